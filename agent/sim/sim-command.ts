/**
 * The simulator's command line, as a function of its arguments and two output sinks, so tests run it in-process and
 * `cli.ts` runs it for `npm run sim`.
 */
import { MS } from '../../shared/kms-rules.js';
import { type ScenarioName, SCENARIOS, createScenario, isScenarioName, scenarioInfo } from './scenarios.js';
import { DEFAULT_SEED, DEFAULT_START_MS, type DaySummary } from './simulation.js';

export interface SimCommandOptions {
  scenario: ScenarioName;
  days: number;
  json: boolean;
  seed: number;
  scale: number | undefined;
  help: boolean;
}

const MAX_DAYS = 3650;

export function usage(): string {
  const names = SCENARIOS.map((s) => `  ${s.name.padEnd(24)} ${String(s.days).padStart(3)} d  ${s.description}`).join('\n');
  return `usage: npm run sim -- [--scenario NAME] [--days N] [--json] [--seed N] [--scale N] [--help]

Runs a simulated Volume Activation fleet on a virtual clock and prints one summary per simulated day, each taken at
the end of that day (day 0 first): the primary Windows product of every running machine counted by LicenseStatus
(0 Unlicensed, 1 Licensed, 2 initial grace, 3 OOT grace, 4 non-genuine grace, 5 Notification, 6 extended grace),
the volume Office products counted the same way, each KMS host's Windows count and, separately, its Office count
(a host with the Office host product keeps one per application, each against its own threshold: 25 / 5 for
Windows, 5 for Office), and the event records written that day.

options:
  --scenario NAME  which fleet to simulate (default: enterprise); see the list below
  --days N         how many days to print, 1..${MAX_DAYS} (default: the scenario's own length, below)
  --json           one JSON object per day instead of a table:
                   {"day": n, "licenseStatus": {"0": a, …, "6": g}, "officeLicenseStatus": {"0": …},
                    "kmsHosts": {"<fqdn>": Windows count}, "officeKmsHosts": {"<fqdn>": Office count}, "events": k}
  --seed N         seed of the random generator, an integer 0..4294967295 (default: ${DEFAULT_SEED}); same seed, same run
  --scale N        enterprise / vista-era / kms-outage: multiply the fleet by N (default 1); scale: the number of machines
                   (default 10000); other scenarios have fixed sizes
  --help           this text

The simulation starts at ${new Date(DEFAULT_START_MS).toISOString()}.

scenarios (name, default days, what happens):
${names}
`;
}

/** Parses the arguments; throws an Error whose message is the one-line reason for a bad one. */
export function parseSimArgs(argv: readonly string[]): SimCommandOptions {
  const o: SimCommandOptions = { scenario: 'enterprise', days: NaN, json: false, seed: DEFAULT_SEED, scale: undefined, help: false };
  const args = argv.flatMap((a) => (a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a]));
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    const integer = (lo: number, hi: number): number => {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < lo || n > hi) throw new Error(`${a} must be an integer ${lo}..${hi}, got "${v}"`);
      return n;
    };
    switch (a) {
      case '--scenario': {
        const v = value();
        if (!isScenarioName(v)) throw new Error(`--scenario must be one of ${SCENARIOS.map((s) => s.name).join(', ')}, got "${v}"`);
        o.scenario = v;
        break;
      }
      case '--days':
        o.days = integer(1, MAX_DAYS);
        break;
      case '--seed':
        o.seed = integer(0, 4294967295);
        break;
      case '--scale':
        o.scale = integer(1, 1_000_000);
        break;
      case '--json':
        o.json = true;
        break;
      case '--help':
      case '-h':
        o.help = true;
        break;
      default:
        throw new Error(`unknown option "${a}" (try --help)`);
    }
  }
  if (Number.isNaN(o.days)) o.days = scenarioInfo(o.scenario).days;
  return o;
}

/** The JSON line of one day, in the agreed shape. */
export function dayJson(day: number, s: DaySummary): string {
  return JSON.stringify({
    day,
    licenseStatus: s.licenseStatus,
    officeLicenseStatus: s.officeLicenseStatus,
    kmsHosts: s.kmsHosts,
    officeKmsHosts: s.officeKmsHosts,
    events: s.events,
  });
}

/** Runs the command; returns the exit code (0, or 2 for a bad option). */
export function runSimCommand(argv: readonly string[], out: (line: string) => void, err: (line: string) => void): number {
  let o: SimCommandOptions;
  try {
    o = parseSimArgs(argv);
  } catch (e) {
    err(`sim: ${(e as Error).message}`);
    return 2;
  }
  if (o.help) {
    out(usage());
    return 0;
  }
  const sim = createScenario(o.scenario, { seed: o.seed, ...(o.scale !== undefined ? { scale: o.scale } : {}) });
  if (!o.json) {
    out(`scenario ${o.scenario}: ${scenarioInfo(o.scenario).description}`);
    out(`(seed ${o.seed}, ${o.days} days from ${new Date(sim.startMs).toISOString().slice(0, 10)}, ${sim.machines.length} machines)`);
  }
  let hosts: string[] | null = null;
  let officeHosts: string[] = [];
  for (let day = 0; day < o.days; day++) {
    sim.runUntil(sim.startMs + (day + 1) * MS.DAY);
    const s = sim.summary();
    if (o.json) {
      out(dayJson(day, s));
      continue;
    }
    if (!hosts) {
      hosts = Object.keys(s.kmsHosts);
      officeHosts = Object.keys(s.officeKmsHosts);
      if (officeHosts.length > 0) out('KMS host columns: the Windows count; "office:" columns: the same host\'s Office count');
      out(
        [
          'day',
          'date      ',
          'Unlic',
          'Licensed',
          'OOB',
          'OOT',
          'NonGen',
          'Notif',
          'ExtGr',
          ...hosts,
          ...officeHosts.map((h) => `office:${h}`),
          ...(officeHosts.length > 0 ? ['Office licensed'] : []),
          'events',
        ].join('  '),
      );
    }
    const ls = s.licenseStatus;
    const cells = [
      String(day).padStart(3),
      new Date(s.atMs - 1).toISOString().slice(0, 10),
      String(ls['0']).padStart(5),
      String(ls['1']).padStart(8),
      String(ls['2']).padStart(3),
      String(ls['3']).padStart(3),
      String(ls['4']).padStart(6),
      String(ls['5']).padStart(5),
      String(ls['6']).padStart(5),
      ...hosts.map((h) => String(s.kmsHosts[h] ?? '-').padStart(h.length)),
      ...officeHosts.map((h) => String(s.officeKmsHosts[h] ?? '-').padStart(`office:${h}`.length)),
      ...(officeHosts.length > 0 ? [`${s.officeLicenseStatus['1']}/${Object.values(s.officeLicenseStatus).reduce((a, b) => a + b, 0)}`.padStart(15)] : []),
      String(s.events).padStart(6),
    ];
    out(cells.join('  '));
  }
  return 0;
}
