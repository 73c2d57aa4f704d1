/**
 * `npm run bench [-- NAME…]`: runs every benchmark in bench/*.bench.ts (or only the named ones) and prints each figure
 * with its ratio to a baseline measured in this same run. Not part of `npm test`.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench [-- NAME...]

Runs the benchmarks in bench/*.bench.ts and prints each figure with its ratio to a baseline measured in the
same run (absolute times on a shared machine are noisy). NAME picks benchmarks by file name (e.g. sim, agent).
Available: ${list().join(', ')}`);
  process.exit(0);
}

function list(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.replace(/\.bench\.ts$/, ''))
    .sort();
}

const chosen = args.length ? list().filter((n) => args.includes(n)) : list();
const unknown = args.filter((a) => !list().includes(a));
if (unknown.length) {
  console.error(`bench: no benchmark named ${unknown.join(', ')} (have: ${list().join(', ')})`);
  process.exit(2);
}
for (const name of chosen) {
  console.log(`\n== ${name}`);
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { run: () => Promise<void> };
  await mod.run();
}
