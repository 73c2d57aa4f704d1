/**
 * `npm run bench [-- NAME… [--OPTION VALUE…]]`: runs every benchmark in bench/*.bench.ts (or only the named ones) and
 * prints each figure with its ratio to a baseline measured in this same run. Options (anything from the first
 * `--…` on) go to the named benchmarks' `run(args)`. Not part of `npm test`.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Benchmarks that take minutes and build large fixtures: run only when named. */
const ON_REQUEST = ['scale'];

const argv = process.argv.slice(2);
const firstOption = argv.findIndex((a) => a.startsWith('-'));
const names = firstOption === -1 ? argv : argv.slice(0, firstOption);
const options = firstOption === -1 ? [] : argv.slice(firstOption);

if (names.length === 0 && (options.includes('--help') || options.includes('-h'))) {
  console.log(`usage: npm run bench [-- NAME... [OPTIONS]]

Runs the benchmarks in bench/*.bench.ts and prints each figure with its ratio to a baseline measured in the
same run (absolute times on a shared machine are noisy). NAME picks benchmarks by file name (e.g. sim, agent).
OPTIONS go to the named benchmarks (npm run bench -- scale --help).
Available: ${list().join(', ')} (${ON_REQUEST.join(', ')} only when named)`);
  process.exit(0);
}

function list(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.replace(/\.bench\.ts$/, ''))
    .sort();
}

const unknown = names.filter((a) => !list().includes(a));
if (unknown.length) {
  console.error(`bench: no benchmark named ${unknown.join(', ')} (have: ${list().join(', ')})`);
  process.exit(2);
}
if (names.length === 0 && options.length > 0) {
  console.error('bench: options go to named benchmarks (e.g. npm run bench -- scale --machines 10000)');
  process.exit(2);
}
const chosen = names.length ? list().filter((n) => names.includes(n)) : list().filter((n) => !ON_REQUEST.includes(n));
for (const name of chosen) {
  console.log(`\n== ${name}`);
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { run: (args: string[]) => Promise<void> };
  await mod.run(options);
}
