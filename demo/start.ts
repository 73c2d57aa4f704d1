/**
 * `npm start`: the collector with its embedded store in ./data (VAWATCH_DATA) and the `enterprise` simulated fleet
 * (history fast-forwarded to now, then live). Prints two lines a script can read:
 *   dashboard: http://127.0.0.1:PORT/
 *   login: USER / PASSWORD
 * The demo credentials and enrolment secret are kept in the data folder, so a restart over it prints the same ones.
 * Progress goes to stderr: one line redrawn in place on a terminal, a plain line every few seconds elsewhere.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { startFleet } from '../agent/fleet/index.js';
import { describeFleetProgress, progressLine, type ProgressLine } from '../agent/fleet/progress-line.js';
import { createCollector } from '../dashboard/server/collector.js';
import { defaultPlugins } from '../dashboard/server/default-plugins.js';
import { consoleLogger, type Logger } from '../dashboard/server/log.js';
import { createCronScheduler } from '../platform/cron-scheduler.js';
import { systemClock } from '../shared/scheduling.js';
import { ensureWebBuilt } from '../dashboard/web/build.js';

const HELP = `usage: npm start [-- OPTIONS]

Runs the collector (embedded SQLite store) and a simulated fleet on one machine, then prints
  dashboard: http://127.0.0.1:PORT/
  login: USER / PASSWORD

Options (flag, environment, default):
  --port N          PORT            8080        port of the dashboard and API (0 = any free port)
  --data DIR        VAWATCH_DATA    ./data      data folder (database, demo credentials, the fleet's agent state)
  --scenario NAME   VAWATCH_SCENARIO enterprise simulated scenario
  --days N          VAWATCH_DAYS    30          days of history fast-forwarded before running live
  --quiet                                       no progress lines on stderr
  --verbose                                     also each simulated machine's agent lines (hundreds)
  --help                                        this text`;

const Options = z.object({
  port: z.coerce.number({ error: 'expected a port number 0..65535' }).int({ error: 'expected a port number 0..65535' }).min(0, { error: 'expected a port number 0..65535' }).max(65535, { error: 'expected a port number 0..65535' }),
  data: z.string().min(1),
  scenario: z.string().min(1),
  days: z.coerce.number({ error: 'expected a number of days' }).int({ error: 'expected whole days' }).min(0, { error: 'expected 0 or more days' }).max(365, { error: 'expected at most 365 days' }),
  quiet: z.boolean(),
  verbose: z.boolean(),
});

const Credentials = z.object({ username: z.string(), password: z.string(), enrolmentSecret: z.string() });

function fail(message: string): never {
  process.stderr.write(`start: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): z.infer<typeof Options> {
  const raw: Record<string, unknown> = {
    port: process.env.PORT ?? '8080',
    data: process.env.VAWATCH_DATA ?? './data',
    scenario: process.env.VAWATCH_SCENARIO ?? 'enterprise',
    days: process.env.VAWATCH_DAYS ?? '30',
    quiet: false,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quiet') raw.quiet = true;
    else if (a === '--verbose') raw.verbose = true;
    else if (['--port', '--data', '--scenario', '--days'].includes(a)) {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      raw[a.slice(2)] = v;
    } else fail(`unknown option ${a} (see --help)`);
  }
  const r = Options.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    fail(`--${String(i.path[0])}: ${i.message}`);
  }
  if (r.data.quiet && r.data.verbose) fail('--quiet and --verbose contradict each other');
  return r.data;
}

/** The demo's credentials: made up at the first start, then read back, so a restart prints the same login. */
function demoCredentials(dataDir: string): z.infer<typeof Credentials> {
  const file = join(dataDir, 'demo-credentials.json');
  if (existsSync(file)) {
    const r = Credentials.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!r.success) fail(`${file} is damaged; delete the data folder to start afresh`);
    return r.data;
  }
  const creds = { username: 'admin', password: randomBytes(9).toString('base64url'), enrolmentSecret: randomBytes(18).toString('base64url') };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  return creds;
}

/** The collector's log lines, printed above the progress line instead of through it. */
function progressLogger(progress: ProgressLine): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    progress.line(`${new Date().toISOString()} ${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const opts = parseArgs(argv);
  const dataDir = resolve(opts.data);
  const creds = demoCredentials(dataDir);
  const quiet = opts.quiet;
  const progress = quiet ? null : progressLine({ stream: process.stderr, now: () => Date.now() });
  const log = quiet ? { info() {}, warn() {}, error: consoleLogger().error } : progressLogger(progress!);

  // A fresh clone has no built dashboard; build it (about a second) when missing or older than its sources.
  // If that fails the collector still runs and serves its plain status page.
  let webDir: string | undefined;
  try {
    webDir = (await ensureWebBuilt()).outDir;
  } catch (e) {
    process.stderr.write(`start: the web dashboard could not be built (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); serving the plain page\n`);
  }

  const collector = await createCollector({
    config: {
      host: '127.0.0.1',
      port: opts.port,
      dataDir,
      adminUsername: creds.username,
      adminPassword: creds.password,
      enrolmentSecret: creds.enrolmentSecret,
      webDir,
    },
    clock: systemClock,
    scheduler: createCronScheduler(),
    log,
    plugins: defaultPlugins(),
  });
  let url: string;
  try {
    ({ url } = await collector.listen());
  } catch (e) {
    await collector.close();
    fail(`cannot listen on 127.0.0.1:${opts.port}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (try --port 0)`);
  }
  process.stdout.write(`dashboard: ${url}\n`);
  process.stdout.write(`login: ${creds.username} / ${creds.password}\n`);

  const fleet = await startFleet({
    scenario: opts.scenario,
    collectorUrl: url.replace(/\/$/, ''),
    enrolmentSecret: creds.enrolmentSecret,
    stateDir: join(dataDir, 'fleet'),
    historyDays: opts.days,
    ...(progress
      ? {
          log: (line: string) => progress.line(line),
          onProgress: (s) => progress.update(describeFleetProgress(s)),
          ...(opts.verbose ? { agentLog: (line: string) => progress.line(line) } : {}),
        }
      : {}),
  });
  fleet.caughtUp.then(
    () => {
      if (!progress) return;
      progress.end();
      // The address and the sign-in again, where a person looks once the scrolling stops.
      progress.line(`start: history caught up; ${fleet.stats().machines} machines running live`);
      progress.line(`dashboard: ${url}`);
      progress.line(`login: ${creds.username} / ${creds.password}`);
    },
    (e: unknown) => {
      progress?.end();
      process.stderr.write(`start: the fleet stopped: ${e instanceof Error ? e.message : String(e)}\n`);
    },
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await fleet.stop().catch(() => undefined);
    await collector.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

await main();
