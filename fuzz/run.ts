/**
 * `npm run fuzz [-- --cases N] [--seed S] [--concurrency C] [--path P]`: the hostile-client fuzzing campaign (see
 * fuzz/README.md). The last line is the verdict, e.g. `fuzz: 100000 cases, 0 5xx, 0 crashes, seed 1234`; the exit
 * code is 1 on any 5xx, crash or store change by a refused request, after printing the shrunk counterexample.
 */
import { runFuzz } from './campaign.js';

const HELP = `npm run fuzz -- [options]

Sends generated hostile requests to a real collector on 127.0.0.1 (a temporary data folder, the default plug-ins)
and checks every answer: a 2xx, or a 4xx with a readable error; never a 5xx or a dropped connection; and a refused
request must leave the store unchanged (SQLite rows and the in-memory fleet).

Options:
  --cases N         requests to send (default 100000)
  --seed S          fast-check seed (default: random, printed); the same seed sends the same requests
  --concurrency C   requests in flight at once, one keep-alive connection each (default 64)
  --path P          replay a failing run printed by an earlier campaign (with its --seed)
  --help            this text

The last line reads "fuzz: N cases, X 5xx, Y crashes, seed S"; the exit code is 0 only when X and Y are 0 and no
refused request changed the store.`;

function parseArgs(argv: string[]): { cases: number; seed: number; concurrency: number; path?: string } | 'help' {
  const out: { cases: number; seed: number; concurrency: number; path?: string } = { cases: 100_000, seed: Math.floor(Math.random() * 2 ** 31), concurrency: 64 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return 'help';
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (!['--cases', '--seed', '--concurrency', '--path'].includes(name)) throw new Error(`unknown option ${a} (see --help)`);
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--path') {
      if (!/^\d+(:\d+)*$/.test(value)) throw new Error(`--path: expected a replay path like 12:0:3, got ${value}`);
      out.path = value;
      continue;
    }
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < (name === '--seed' ? -(2 ** 31) : 1)) throw new Error(`${name}: expected a whole number${name === '--seed' ? '' : ' ≥ 1'}, got ${value}`);
    if (name === '--cases') out.cases = n;
    else if (name === '--seed') out.seed = n;
    else out.concurrency = Math.min(n, 256);
  }
  return out;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`fuzz: ${(e as Error).message}`);
    return 2;
  }
  if (args === 'help') {
    console.log(HELP);
    return 0;
  }
  console.error(`fuzz: ${args.cases} cases, seed ${args.seed}, ${args.concurrency} connections…`);
  const r = await runFuzz({ cases: args.cases, seed: args.seed, concurrency: args.concurrency, ...(args.path ? { path: args.path } : {}), progress: (l) => console.error(l) });
  for (const [route, statuses] of Object.entries(r.byRoute).sort()) {
    const parts = Object.entries(statuses)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([s, n]) => `${s}×${n}`);
    console.log(`  ${route.padEnd(14)} ${parts.join(' ')}`);
  }
  console.log(`  ${r.refusalsChecked} refusals checked for an unchanged store (${r.fullDigests} full table digests); ${(r.durationMs / 1000).toFixed(1)} s`);
  if (r.failure) {
    console.log('\nFAILED. Shrunk counterexample:');
    console.log(r.failure.message);
    console.log(`\nfast-check's value: ${r.failure.counterexample}`);
    console.log(`replay: ${r.failure.replay}`);
  }
  console.log(`fuzz: ${r.cases} cases, ${r.serverErrors} 5xx, ${r.crashes} crashes, seed ${r.seed}${r.stateChanges ? `, ${r.stateChanges} store changes by refusals` : ''}`);
  return r.failure || r.serverErrors || r.crashes || r.stateChanges ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack : String(e));
    console.log('fuzz: 0 cases, 0 5xx, 1 crashes (the campaign itself failed)');
    process.exit(1);
  },
);
