/**
 * `npm run fleet -- --scenario NAME --collector URL --secret S [options]`: a simulated fleet of agents against a real
 * collector (see start-fleet.ts).
 */
import { z } from 'zod';
import { SCENARIO_NAMES } from '../sim/index.js';
import { describeFleetProgress, progressLine } from './progress-line.js';
import { startFleet } from './start-fleet.js';

const HELP = `usage: npm run fleet -- --scenario NAME --collector URL --secret S [options]

Runs one agent per simulated machine of a scenario, in this process, against a real collector. The scenario's
history (--history-days) is fast-forwarded up to the real current time, then the fleet runs live at --speed.
A restart with the same --state continues where it stopped (no event is sent twice).

Options (flag, environment variable):
  --scenario NAME, VAWATCH_SCENARIO         scenario: ${SCENARIO_NAMES.join(', ')}. default: enterprise
  --collector URL, VAWATCH_COLLECTOR        the collector's base URL. default: http://127.0.0.1:8080
  --secret S, VAWATCH_ENROLMENT_SECRET      the collector's enrolment secret. default: none (required)
  --state DIR, VAWATCH_FLEET_STATE          the fleet's state folder (one sub-folder per agent). default: data/fleet
  --speed X, VAWATCH_SIM_SPEED              simulated seconds per real second once live. default: 1
  --history-days N, VAWATCH_HISTORY_DAYS    days of history fast-forwarded before live. default: 30
  --seed N, VAWATCH_SIM_SEED                scenario seed. default: 1
  --scale X, VAWATCH_SIM_SCALE              scenario size multiplier (enterprise, kms-outage) or machine count (scale). default: the scenario's
  --poll-hours H                            simulated hours between polls during fast-forward. default: 4
  --heartbeat-seconds S                     real seconds between heartbeats. default: 60
  --verbose                                 also each machine's agent lines (enrolled, refused…). default: off
  --help                                    this text

Progress (days fast-forwarded, machines, reports) is one line redrawn in place on a terminal, and a plain line
every few seconds otherwise. A bad value stops the fleet with a one-line reason and exit code 2.`;

const num = (what: string) => z.coerce.number({ error: `expected ${what}` }).refine(Number.isFinite, { error: `expected ${what}` });
const Options = z.object({
  scenario: z.enum(SCENARIO_NAMES, { error: (i) => `expected one of ${SCENARIO_NAMES.join(', ')}, got ${JSON.stringify(i.input)}` }),
  collector: z.string().refine((s) => /^https?:\/\/\S+$/.test(s), { error: 'expected an http(s) URL' }),
  secret: z.string().min(1, { error: 'expected the enrolment secret' }),
  state: z.string().min(1),
  speed: num('a positive number').pipe(z.number().positive({ error: 'expected a positive number' })),
  'history-days': num('a number of days ≥ 0').pipe(z.number().min(0, { error: 'expected a number of days ≥ 0' })),
  seed: num('an integer').pipe(z.number().int({ error: 'expected an integer' })),
  scale: num('a positive number').pipe(z.number().positive({ error: 'expected a positive number' })).optional(),
  'poll-hours': num('a positive number of hours').pipe(z.number().positive({ error: 'expected a positive number of hours' })),
  'heartbeat-seconds': num('a positive number of seconds').pipe(z.number().positive({ error: 'expected a positive number of seconds' })),
});

const ENV: Record<string, string> = {
  scenario: 'VAWATCH_SCENARIO',
  collector: 'VAWATCH_COLLECTOR',
  secret: 'VAWATCH_ENROLMENT_SECRET',
  state: 'VAWATCH_FLEET_STATE',
  speed: 'VAWATCH_SIM_SPEED',
  'history-days': 'VAWATCH_HISTORY_DAYS',
  seed: 'VAWATCH_SIM_SEED',
  scale: 'VAWATCH_SIM_SCALE',
};
const DEFAULTS: Record<string, string> = {
  scenario: 'enterprise',
  collector: 'http://127.0.0.1:8080',
  state: 'data/fleet',
  speed: '1',
  'history-days': '30',
  seed: '1',
  'poll-hours': '4',
  'heartbeat-seconds': '60',
};

function fail(message: string): never {
  process.stderr.write(`fleet: ${message}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const raw: Record<string, string> = { ...DEFAULTS };
for (const [k, env] of Object.entries(ENV)) if (process.env[env]) raw[k] = process.env[env]!;
let verbose = false;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--verbose') {
    verbose = true;
    continue;
  }
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
  if (!m || !(m[1]! in Options.shape)) fail(`unknown option ${a} (see --help)`);
  const value = m[2] ?? argv[++i];
  if (value === undefined) fail(`--${m[1]} needs a value`);
  raw[m[1]!] = value;
}
const parsed = Options.safeParse(raw);
if (!parsed.success) {
  const issue = parsed.error.issues[0]!;
  fail(`--${String(issue.path[0])}: ${issue.message}`);
}
const o = parsed.data;
const progress = progressLine({ stream: process.stdout, now: () => Date.now() });
const log = (line: string) => progress.line(`${new Date().toISOString()} ${line}`);
const fleet = await startFleet({
  scenario: o.scenario,
  collectorUrl: o.collector,
  enrolmentSecret: o.secret,
  stateDir: o.state,
  speed: o.speed,
  historyDays: o['history-days'],
  seed: o.seed,
  ...(o.scale !== undefined ? { scale: o.scale } : {}),
  fastForwardPollHours: o['poll-hours'],
  heartbeatMs: o['heartbeat-seconds'] * 1000,
  log,
  onProgress: (s) => progress.update(describeFleetProgress(s)),
  ...(verbose ? { agentLog: log } : {}),
});
const stop = async (signal: string) => {
  log(`${signal}: stopping the fleet`);
  await fleet.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
fleet.caughtUp.then(
  () => {
    progress.end();
    log(`fleet: caught up: ${JSON.stringify(fleet.stats())}`);
  },
  (e: unknown) => fail((e as Error).message),
);
