/**
 * The agent's configuration: one table of options, read from flags, environment (VAWATCH_*) and a JSON file (in that
 * order of precedence), validated with zod into a frozen object at start. `--help` is generated from the same table,
 * so every option and its default is documented where it is defined.
 */
import { z } from 'zod';
import { parseCron } from '../shared/scheduling.js';
import { DEFAULT_OUTBOX_MAX_BYTES } from './outbox/outbox-core.js';

const cron = z.string().refine(
  (s) => {
    try {
      parseCron(s);
      return true;
    } catch {
      return false;
    }
  },
  { error: (iss) => `expected a cron expression like "*/15 * * * *", got ${JSON.stringify(iss.input)}` },
);
const positiveInt = (what: string) =>
  z.coerce.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const positive = (what: string) => z.coerce.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const url = z.string().refine((s) => /^https?:\/\/[^\s/]+/.test(s), { error: (iss) => `expected an http(s) URL, got ${JSON.stringify(iss.input)}` });
const isoInstant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: (iss) => `expected an ISO instant like 2026-01-05T00:00:00Z, got ${JSON.stringify(iss.input)}` });
const nonEmpty = z.string().min(1, { error: 'expected a non-empty value' });

interface OptionSpec {
  flag: string;
  env: string;
  schema: z.ZodType;
  default?: unknown;
  /** What --help prints as the default when it is computed. */
  defaultText?: string;
  help: string;
  commands: ReadonlyArray<'run' | 'snapshot'>;
}

const BOTH = ['run', 'snapshot'] as const;
const RUN = ['run'] as const;

/** Every option: key in the JSON file → flag, environment variable, schema, default, help. */
export const OPTIONS = {
  source: { flag: '--source', env: 'VAWATCH_SOURCE', schema: z.enum(['cim', 'replay', 'sim'], { error: (i) => `expected cim, replay or sim, got ${JSON.stringify(i.input)}` }), default: 'cim', help: 'where licensing state is read: cim (this Windows machine, through PowerShell), replay (a folder of saved PowerShell output), sim (a simulated machine)', commands: BOTH },
  path: { flag: '--path', env: 'VAWATCH_REPLAY_PATH', schema: nonEmpty, help: 'replay: the folder holding SoftwareLicensingProduct.json, SoftwareLicensingService.json, Win32_OperatingSystem.json and events/*.json', defaultText: 'none (required with --source replay)', commands: BOTH },
  powershell: { flag: '--powershell', env: 'VAWATCH_POWERSHELL', schema: nonEmpty, default: 'auto', help: 'cim: the PowerShell the agent keeps running (one process, fed every command): auto (powershell.exe, Windows PowerShell 5.1, else pwsh.exe, PowerShell 7), powershell.exe, pwsh, or a full path', commands: BOTH },
  scenario: { flag: '--scenario', env: 'VAWATCH_SCENARIO', schema: nonEmpty, default: 'enterprise', help: 'sim: the simulator scenario', commands: BOTH },
  machine: { flag: '--machine', env: 'VAWATCH_SIM_MACHINE', schema: nonEmpty, help: 'sim: the simulated machine to be (its host name, or its machine id)', defaultText: "the scenario's first machine", commands: BOTH },
  seed: { flag: '--seed', env: 'VAWATCH_SIM_SEED', schema: z.coerce.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }), default: 1, help: 'sim: the scenario seed', commands: BOTH },
  simStart: { flag: '--sim-start', env: 'VAWATCH_SIM_START', schema: isoInstant, help: 'sim: the simulated instant the scenario starts at (kept in the state folder after the first run)', defaultText: '7 days before now', commands: BOTH },
  speed: { flag: '--speed', env: 'VAWATCH_SIM_SPEED', schema: positive('a positive number'), default: 1, help: 'sim: simulated seconds per real second', commands: BOTH },
  at: { flag: '--at', env: 'VAWATCH_SNAPSHOT_AT', schema: isoInstant, help: 'snapshot: the collection instant GracePeriodRemaining is counted from', defaultText: 'now', commands: ['snapshot'] },
  hresults: { flag: '--hresults', env: 'VAWATCH_SNAPSHOT_HRESULTS', schema: z.enum(['hex', 'number'], { error: (i) => `expected hex or number, got ${JSON.stringify(i.input)}` }), default: 'hex', help: 'snapshot: HRESULTs as Windows prints them (hex: 0xC004F038) or as the numbers the agent sends (number: 3221549112)', commands: ['snapshot'] },
  collector: { flag: '--collector', env: 'VAWATCH_COLLECTOR', schema: url, help: "the collector's base URL, e.g. http://collector:8080", defaultText: 'none (required for run)', commands: RUN },
  enrolmentSecret: { flag: '--secret', env: 'VAWATCH_ENROLMENT_SECRET', schema: nonEmpty, help: "the collector's enrolment secret; needed once (and again if the collector revokes the token)", defaultText: 'none', commands: RUN },
  state: { flag: '--state', env: 'VAWATCH_STATE', schema: nonEmpty, help: 'the state folder (token, sequence, event bookmarks, outbox, dead letters); created with mode 0700', defaultText: '%ProgramData%\\vawatch\\agent on Windows, ~/.vawatch/agent elsewhere', commands: RUN },
  group: { flag: '--group', env: 'VAWATCH_GROUP', schema: z.string().max(100, { error: 'expected at most 100 characters' }), default: 'default', help: 'the site / OU label this machine reports (sim: the simulated machine\'s own group unless set)', commands: BOTH },
  hostname: { flag: '--hostname', env: 'VAWATCH_HOSTNAME', schema: nonEmpty, help: 'the host name to report', defaultText: 'Win32_OperatingSystem.CSName (sim: the machine\'s FQDN)', commands: BOTH },
  machineId: { flag: '--machine-id', env: 'VAWATCH_MACHINE_ID', schema: nonEmpty, help: "this machine's stable id", defaultText: 'the MachineGuid of the registry (replay: replay-<host name>; sim: the machine\'s id)', commands: BOTH },
  licensingSchedule: { flag: '--licensing-schedule', env: 'VAWATCH_LICENSING_SCHEDULE', schema: cron, default: '*/15 * * * *', help: 'cron expression (UTC) of the licensing poll; each machine runs it at its own splay offset within the interval', commands: RUN },
  eventsSchedule: { flag: '--events-schedule', env: 'VAWATCH_EVENTS_SCHEDULE', schema: cron, default: '* * * * *', help: 'cron expression (UTC) of the event-log poll; each machine runs it at its own splay offset within the interval', commands: RUN },
  heartbeatSeconds: { flag: '--heartbeat-seconds', env: 'VAWATCH_HEARTBEAT_SECONDS', schema: positive('a positive number of seconds'), default: 60, help: 'a heartbeat goes out when nothing else did for this long, until the collector sets the interval (it does in every ack)', commands: RUN },
  expiryToleranceMinutes: { flag: '--expiry-tolerance-minutes', env: 'VAWATCH_EXPIRY_TOLERANCE_MINUTES', schema: positive('a positive number of minutes'), default: 60, help: 'the grace expiry instant must move by more than this to count as a change', commands: RUN },
  outboxMaxBytes: { flag: '--outbox-max-bytes', env: 'VAWATCH_OUTBOX_MAX_BYTES', schema: positiveInt('a positive number of bytes'), default: DEFAULT_OUTBOX_MAX_BYTES, help: 'bound of the on-disk outbox: superseded snapshots are compacted first, then the oldest events dropped (and counted)', commands: RUN },
  retryBaseSeconds: { flag: '--retry-base-seconds', env: 'VAWATCH_RETRY_BASE_SECONDS', schema: positive('a positive number of seconds'), default: 1, help: 'first delay of the jittered exponential backoff', commands: RUN },
  retryCapSeconds: { flag: '--retry-cap-seconds', env: 'VAWATCH_RETRY_CAP_SECONDS', schema: positive('a positive number of seconds'), default: 300, help: 'largest backoff delay (Retry-After may ask for longer)', commands: RUN },
  slowRetrySeconds: { flag: '--slow-retry-seconds', env: 'VAWATCH_SLOW_RETRY_SECONDS', schema: positive('a positive number of seconds'), default: 600, help: 'retry delay when only a person can help (bad secret, revoked token without a secret)', commands: RUN },
} satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof OPTIONS;

export interface AgentConfig {
  source: 'cim' | 'replay' | 'sim';
  path?: string;
  powershell: string;
  scenario: string;
  machine?: string;
  seed: number;
  simStart?: string;
  speed: number;
  at?: string;
  hresults: 'hex' | 'number';
  collector?: string;
  enrolmentSecret?: string;
  state?: string;
  group: string;
  /** True when the group came from flags, env or file (sim: otherwise the machine's own). */
  groupGiven: boolean;
  hostname?: string;
  machineId?: string;
  licensingSchedule: string;
  eventsSchedule: string;
  heartbeatSeconds: number;
  expiryToleranceMinutes: number;
  outboxMaxBytes: number;
  retryBaseSeconds: number;
  retryCapSeconds: number;
  slowRetrySeconds: number;
}

/** A configuration problem: the program prints the message on one line and exits 2. */
export class ConfigError extends Error {}

export interface ConfigInput {
  command: 'run' | 'snapshot';
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
}

/** Parses flags (`--x value` or `--x=value`), `--config FILE`, env and file into a validated, frozen configuration. */
export function loadConfig(input: ConfigInput): Readonly<AgentConfig> {
  const byFlag = new Map<string, OptionKey>(Object.entries(OPTIONS).map(([k, o]) => [o.flag, k as OptionKey]));
  const fromFlags: Partial<Record<OptionKey, string>> = {};
  let configFile = input.env.VAWATCH_CONFIG;
  const args = [...input.argv];
  while (args.length) {
    const a = args.shift()!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const value = () => {
      if (inline !== undefined) return inline;
      const v = args.shift();
      if (v === undefined || v.startsWith('--')) throw new ConfigError(`${name} needs a value`);
      return v;
    };
    if (name === '--config') {
      configFile = value();
      continue;
    }
    const key = byFlag.get(name);
    if (!key || !(OPTIONS[key].commands as readonly string[]).includes(input.command)) {
      throw new ConfigError(`unknown option ${name} for "${input.command}" (see --help)`);
    }
    fromFlags[key] = value();
  }
  let fromFile: Record<string, unknown> = {};
  if (configFile) {
    let text: string;
    try {
      text = input.readFile(configFile);
    } catch (e) {
      throw new ConfigError(`--config ${configFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      const parsed: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a JSON object');
      fromFile = parsed as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`--config ${configFile}: not a JSON object of options (${(e as Error).message})`);
    }
    for (const k of Object.keys(fromFile)) {
      if (!(k in OPTIONS)) throw new ConfigError(`--config ${configFile}: unknown option "${k}" (keys are: ${Object.keys(OPTIONS).join(', ')})`);
    }
  }
  const out: Record<string, unknown> = {};
  let groupGiven = false;
  for (const [k, o] of Object.entries(OPTIONS) as Array<[OptionKey, OptionSpec]>) {
    let raw: unknown;
    let where: string;
    if (fromFlags[k] !== undefined) {
      raw = fromFlags[k];
      where = o.flag;
    } else if (input.env[o.env] !== undefined && input.env[o.env] !== '') {
      raw = input.env[o.env];
      where = o.env;
    } else if (fromFile[k] !== undefined) {
      raw = fromFile[k];
      where = `${configFile}: ${k}`;
    } else {
      if (o.default !== undefined) out[k] = o.default;
      continue;
    }
    if (k === 'group') groupGiven = true;
    const r = o.schema.safeParse(raw);
    if (!r.success) throw new ConfigError(`${where}: ${r.error.issues[0]?.message ?? 'invalid value'}`);
    out[k] = r.data;
  }
  const config = { ...out, groupGiven } as unknown as AgentConfig;
  if (config.source === 'replay' && !config.path) throw new ConfigError('--source replay needs --path DIR');
  if (input.command === 'run' && !config.collector) throw new ConfigError('run needs --collector URL (or VAWATCH_COLLECTOR)');
  if (config.retryCapSeconds < config.retryBaseSeconds) throw new ConfigError('--retry-cap-seconds must be at least --retry-base-seconds');
  return Object.freeze(config);
}

/** The --help text of a command, generated from the option table. */
export function helpText(command: 'run' | 'snapshot'): string {
  const lines =
    command === 'run'
      ? ['usage: npm run agent -- run [options]', '', 'Reads licensing state and event logs on schedules, queues every change durably, and sends it to the collector.']
      : [
          'usage: npm run agent -- snapshot --source replay --path DIR [options]',
          '',
          'Prints {"snapshot": MachineSnapshot, "events": EventRecord[]} as JSON without contacting anyone: what the agent',
          'would report for this machine (or this folder of saved PowerShell output).',
        ];
  lines.push('', 'Options (flag, environment variable; precedence: flag > environment > --config file > default):', '');
  lines.push('  --config FILE, VAWATCH_CONFIG', '      a JSON object whose keys are the option names below (e.g. {"collector": "http://…", "group": "hq"})', '      default: none', '');
  for (const [k, o] of Object.entries(OPTIONS) as Array<[OptionKey, OptionSpec]>) {
    if (!o.commands.includes(command)) continue;
    const def = o.defaultText ?? (o.default === undefined ? 'none' : JSON.stringify(o.default));
    lines.push(`  ${o.flag} VALUE, ${o.env}   (file key: ${k})`, `      ${o.help}`, `      default: ${def}`);
  }
  lines.push('', 'A bad value stops the agent with a one-line reason and exit code 2.');
  return lines.join('\n');
}
