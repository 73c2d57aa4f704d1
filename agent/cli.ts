/**
 * `npm run agent -- run|snapshot …`: the agent's command line and its composition root (the only place that reads
 * the environment, the wall clock and the console).
 */
import { readFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import pkg from '../package.json' with { type: 'json' };
import { createCronScheduler } from '../platform/cron-scheduler.js';
import { formatHresult } from '../shared/hresult.js';
import { systemClock, type Scheduler } from '../shared/scheduling.js';
import { Agent } from './agent.js';
import { ConfigError, helpText, loadConfig, type AgentConfig } from './config.js';
import { ConfigureError, configureHelpText, mergeAgentFile, parseConfigureArgs } from './configure.js';
import { CollectorClient } from './delivery/collector-client.js';
import { normaliseEvents, normaliseSnapshot } from './normalise.js';
import { FileOutbox } from './outbox/file-outbox.js';
import { CimSource } from './sources/cim-source.js';
import type { LicensingSource } from './sources/licensing-source.js';
import { ReplaySource } from './sources/replay-source.js';
import { openSimMachine, SimSetupError, type SimMachine } from './sources/sim-runtime.js';
import { WATCHED_LOGS } from './sources/watched-events.js';
import { FileCredentialStore } from './state/credentials.js';
import { fileDeadLetterSink } from './state/dead-letter.js';
import { ensurePrivateDir, writeFileAtomic } from './state/atomic-file.js';
import { restrictToAdministrators } from './state/windows-acl.js';

const USAGE = `usage: npm run agent -- <command> [options]   (vawatch-agent.exe <command> [options] on Windows)

Commands:
  run        run the agent: poll licensing state and event logs, send changes to the collector
  snapshot   print what the agent would report ({"snapshot", "events"}) without contacting anyone
  configure  write the configuration file run --config reads (what the MSI does with its properties)

"npm run agent -- <command> --help" lists every option of a command with its default; --version prints the version.`;

function defaultStateDir(): string {
  return process.platform === 'win32'
    ? join(process.env.ProgramData ?? 'C:\\ProgramData', 'vawatch', 'agent')
    : join(homedir(), '.vawatch', 'agent');
}

function defaultConfigFile(): string {
  return process.platform === 'win32'
    ? join(process.env.ProgramData ?? 'C:\\ProgramData', 'vawatch', 'agent.json')
    : join(homedir(), '.vawatch', 'agent.json');
}

function fail(code: number, message: string): never {
  process.stderr.write(`agent: ${message.split(/\r?\n/)[0]}\n`);
  process.exit(code);
}

interface SourceSetup {
  source: LicensingSource;
  scheduler: Scheduler;
  sim?: SimMachine;
}

async function buildSource(config: AgentConfig, stateDir: string | undefined): Promise<SourceSetup> {
  if (config.source === 'cim') return { source: new CimSource({ powershell: config.powershell }), scheduler: createCronScheduler() };
  if (config.source === 'replay') return { source: new ReplaySource(config.path!), scheduler: createCronScheduler() };
  const simStartMs = config.simStart !== undefined ? Date.parse(config.simStart) : undefined;
  const sim = await openSimMachine({
    scenario: config.scenario,
    seed: config.seed,
    machine: config.machine,
    simStartMs,
    speed: config.speed,
    stateDir,
    wall: systemClock,
  });
  return { source: sim.source, scheduler: sim.sim.clock, sim };
}

async function snapshot(config: AgentConfig): Promise<void> {
  const { source, sim } = await buildSource(config, undefined);
  const atMs = config.at !== undefined ? Date.parse(config.at) : sim ? sim.sim.clock.now() : Date.now();
  if (sim && config.at !== undefined) sim.sim.runUntil(atMs);
  // One after the other, so the error names the first file that is wrong.
  const products = await source.readProducts();
  const service = await source.readService();
  const os = await source.readOs();
  const machineId = config.machineId ?? (await source.stableMachineId());
  const hostname = config.hostname ?? sim?.machine.hostname;
  const group = config.groupGiven || !sim ? config.group : sim.machine.group;
  const snap = normaliseSnapshot({ products, service, os }, { machineId, hostname, group }, atMs);
  const events = [];
  for (const log of WATCHED_LOGS) {
    const read = await source.readEvents(log, 0);
    if (read.logExists) events.push(...normaliseEvents(read.records));
  }
  process.stdout.write(`${JSON.stringify({ snapshot: snap, events }, config.hresults === 'hex' ? hresultsAsHex : undefined, 2)}\n`);
}

/** The report's HRESULT fields (uint32 on the wire) as a person reads them: `0xC004F038`. */
const HRESULT_FIELDS = new Set(['licenseStatusReason', 'hresult']);
function hresultsAsHex(key: string, value: unknown): unknown {
  return HRESULT_FIELDS.has(key) && typeof value === 'number' ? formatHresult(value) : value;
}

async function run(config: AgentConfig): Promise<void> {
  const stateDir = config.state ?? defaultStateDir();
  await ensurePrivateDir(stateDir);
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const timers = createCronScheduler();
  const { source, scheduler, sim } = await buildSource(config, stateDir);
  const outbox = await FileOutbox.open({
    dir: stateDir,
    newEpoch: () => Math.max(1, Math.floor(systemClock.now() / 1000)),
    maxBytes: config.outboxMaxBytes,
    log,
  });
  const agent = new Agent({
    source,
    scheduler,
    timers,
    outbox,
    credentials: new FileCredentialStore(stateDir),
    client: new CollectorClient({ baseUrl: config.collector! }),
    enrolmentSecret: config.enrolmentSecret,
    group: config.groupGiven || !sim ? config.group : sim.machine.group,
    machineId: config.machineId,
    hostname: config.hostname ?? sim?.machine.hostname,
    schedules: { licensing: config.licensingSchedule, events: config.eventsSchedule, heartbeatMs: config.heartbeatSeconds * 1000 },
    expiryToleranceMs: config.expiryToleranceMinutes * 60_000,
    backoff: { baseMs: config.retryBaseSeconds * 1000, capMs: config.retryCapSeconds * 1000 },
    slowRetryMs: config.slowRetrySeconds * 1000,
    deadLetter: fileDeadLetterSink(stateDir),
    log,
  });
  const p = outbox.progress();
  log(`agent starting: source ${config.source}, state ${stateDir}, epoch ${p.epoch}, seq ${p.seq}, ${outbox.size} report(s) waiting`);
  agent.start();
  // The simulation's clock follows the wall clock (× speed); the agent's cron tasks run on it.
  const pump = sim ? setInterval(() => sim.catchUp(), 200) : undefined;
  const stop = async (signal: string) => {
    log(`${signal}: stopping`);
    if (pump) clearInterval(pump);
    await agent.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

/** Writes the configuration file (merged with what it holds); on Windows its folder is restricted first. */
/**
 * An installer shows neither the output nor the error of the programs it runs: configure also appends each outcome to
 * configure.log beside the file, so a failed install (MSI error 1722) says why there.
 */
async function noteOutcome(file: string, line: string): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    await appendFile(join(dirname(file), 'configure.log'), `${new Date().toISOString()} ${line}\n`);
  } catch {
    // The message still goes to stderr.
  }
}

async function configure(argv: string[]): Promise<void> {
  let file = defaultConfigFile();
  try {
    const request = parseConfigureArgs(argv);
    file = request.file ?? file;
    const keys = await writeConfiguration(file, request.values);
    const line = `configure: wrote ${file} (${keys.join(', ')})`;
    await noteOutcome(file, line);
    process.stdout.write(`${line}\n`);
  } catch (e) {
    await noteOutcome(file, `configure: refused: ${(e as Error).message}`);
    fail(e instanceof ConfigureError ? 2 : 1, (e as Error).message);
  }
}

async function writeConfiguration(file: string, values: Parameters<typeof mergeAgentFile>[1]): Promise<string[]> {
  let existing: string | undefined;
  try {
    existing = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const content = mergeAgentFile(existing, values, file);
  await mkdir(dirname(file), { recursive: true });
  await restrictToAdministrators(dirname(file));
  await writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`);
  return Object.keys(content);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(command === undefined ? 2 : 0);
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`vawatch-agent ${pkg.version}\n`);
    process.exit(0);
  }
  if (command === 'configure') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${configureHelpText(defaultConfigFile())}\n`);
      process.exit(0);
    }
    await configure(rest);
    return;
  }
  if (command !== 'run' && command !== 'snapshot') fail(2, `unknown command ${command} (run, snapshot or configure; see --help)`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${helpText(command)}\n`);
    process.exit(0);
  }
  let config: AgentConfig;
  try {
    config = loadConfig({ command, argv: rest, env: process.env, readFile: (p) => readFileSync(p, 'utf8') });
  } catch (e) {
    if (e instanceof ConfigError) fail(2, e.message);
    throw e;
  }
  try {
    if (command === 'snapshot') await snapshot(config);
    else await run(config);
  } catch (e) {
    if (e instanceof SimSetupError) fail(2, e.message);
    fail(1, (e as Error).message);
  }
}

// Not a top-level await: the Windows executable bundles this file as CommonJS (what a Node single executable runs).
void main(process.argv.slice(2));
