/**
 * Agent cost with the `sim` source (targets: ≤ 60 MB RSS, ≤ 50 ms CPU per poll):
 * - CPU per poll, in-process: one agent on a simulated KMS host (the busiest machine: every client's 12290 lands in
 *   its log) and one on a client, polled every simulated 15 minutes, each poll read, normalised, diffed, queued in a
 *   file outbox and sent to a local collector stand-in.
 * - RSS of a real agent process (`run --source sim`) after it has run for a few seconds: as deployed (bundled with
 *   esbuild into one file, run by plain node with a small young generation, see agent/README.md) and under tsx as
 *   `npm run agent` runs it, next to the RSS of a bare node process doing nothing (the floor any agent pays).
 * - PowerShell starts per simulated day on the `cim` source: the agent's real schedules (splayed) run over one day of
 *   a virtual clock against the fake PowerShell of the tests (test/support/fake-powershell.ts, answering from a replay
 *   set), once with the persistent process (real process starts counted) and once the old way, one process per
 *   command (each start counted by a stand-in runner that answers in-process, so the run takes seconds, not the
 *   thousands of real node starts it counts).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Agent, DEFAULT_SCHEDULES } from '../agent/agent.js';
import { CollectorClient } from '../agent/delivery/collector-client.js';
import { FileOutbox } from '../agent/outbox/file-outbox.js';
import { MemoryOutbox } from '../agent/outbox/memory-outbox.js';
import { createScenario } from '../agent/sim/index.js';
import { CimSource } from '../agent/sources/cim-source.js';
import { DEFAULT_MAX_COMMANDS, OneShotPowerShell, PersistentPowerShell, type PowerShellSession } from '../agent/sources/powershell-session.js';
import { SimSource } from '../agent/sources/sim-source.js';
import { MemoryCredentialStore } from '../agent/state/credentials.js';
import { VirtualClock } from '../shared/scheduling.js';
import { answerCommand, FAKE_MACHINE_GUID } from '../test/support/fake-powershell-answers.js';
import { fakePowerShellSpawn } from '../test/support/fake-powershell-spawn.js';
import { cpuBaselineOpsPerSec, report } from './baseline.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const START = Date.UTC(2026, 0, 5);

/** Acks every batch, enrols everyone: the cheapest collector, so the agent's own cost is what is measured. */
async function ackingCollector(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { reports?: Array<{ epoch: number; seq: number }>; machineId?: string };
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v1/agents/enrol') return res.end(JSON.stringify({ agentId: `a-${body.machineId}`, machineId: body.machineId, token: 't' }));
      const last = body.reports?.at(-1);
      res.end(JSON.stringify({ epoch: last?.epoch ?? 1, ackedThrough: last?.seq ?? 0 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function cpuPerPoll(collectorUrl: string, hostname: string, polls: number): Promise<{ ms: number; events: number; reports: number }> {
  const sim = createScenario('vista-era', { startMs: START, seed: 1 });
  const machine = sim.machines.find((m) => m.hostname === hostname)!;
  const dir = await mkdtemp(join(tmpdir(), 'vawatch-bench-agent-'));
  try {
    const outbox = await FileOutbox.open({ dir, newEpoch: () => 1 });
    const agent = new Agent({
      source: new SimSource(machine),
      scheduler: sim.clock,
      timers: sim.clock,
      outbox,
      credentials: new MemoryCredentialStore(),
      client: new CollectorClient({ baseUrl: collectorUrl }),
      enrolmentSecret: 's',
      group: machine.group,
      hostname: machine.hostname,
      deadLetter: async () => {},
      log: () => {},
    });
    // Warm up past the first activations, so the polls measured are the steady state plus renewals.
    sim.runUntil(START + 2 * 86_400_000);
    await agent.poll();
    await agent.deliver();
    let cpu = 0;
    for (let i = 0; i < polls; i++) {
      sim.runUntil(sim.clock.now() + 15 * 60_000);
      const before = process.cpuUsage();
      await agent.poll();
      await agent.deliver();
      const d = process.cpuUsage(before);
      cpu += (d.user + d.system) / 1000;
    }
    return { ms: cpu / polls, events: agent.stats.eventsQueued, reports: agent.stats.reportsQueued };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function rssOf(args: string[], settleMs: number): Promise<number> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, settleMs));
  let kb = NaN;
  try {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
    kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  } catch {
    // Not Linux: no /proc; the figure is printed as NaN rather than guessed.
  }
  child.kill('SIGKILL');
  return kb / 1024;
}

const DAY_MS = 86_400_000;

/** One simulated day of the agent's default schedules on the cim source; returns the PowerShell starts and commands. */
async function powershellDay(replayDir: string, way: 'persistent' | 'per-command'): Promise<{ starts: number; commands: number; reports: number }> {
  const clock = new VirtualClock(START);
  let commands = 0;
  let oneShot: OneShotPowerShell | undefined;
  let persistent: PersistentPowerShell | undefined;
  const fake = fakePowerShellSpawn({ replayDir });
  let session: PowerShellSession;
  if (way === 'persistent') {
    session = persistent = new PersistentPowerShell({ spawn: fake.spawn });
  } else {
    session = oneShot = new OneShotPowerShell({
      runner: async (_exe, args) => {
        commands++;
        return answerCommand(args[args.length - 1]!, replayDir);
      },
    });
  }
  const agent = new Agent({
    source: new CimSource({ session }),
    scheduler: clock,
    timers: clock,
    outbox: new MemoryOutbox({ epoch: 1 }),
    credentials: new MemoryCredentialStore(),
    group: 'bench',
    machineId: FAKE_MACHINE_GUID,
    schedules: DEFAULT_SCHEDULES,
    deadLetter: async () => {},
    log: () => {},
  });
  agent.start();
  await clock.advanceToAsync(START + DAY_MS);
  await agent.stop();
  for (const s of fake.started) s.child.kill('SIGKILL');
  const reports = agent.stats.reportsQueued;
  if (persistent) return { starts: persistent.stats.starts, commands: persistent.stats.commands, reports };
  return { starts: oneShot!.starts, commands, reports };
}

export async function run(): Promise<void> {
  const ops = cpuBaselineOpsPerSec();
  report('baseline: JSON round trips of a report-sized object', `${Math.round(ops)} ops/s`);
  for (const [label, set] of [
    ['KMS host', 'kms-host-counters'],
    ['KMS client', 'win7-kms-client-licensed'],
  ] as const) {
    const replayDir = join(ROOT, 'test/fixtures/replay', set);
    const t0 = performance.now();
    const kept = await powershellDay(replayDir, 'persistent');
    const seconds = (performance.now() - t0) / 1000;
    const old = await powershellDay(replayDir, 'per-command');
    report(`PowerShell starts per simulated day, cim ${label}, one process`, `${kept.starts}`, `target ≤ 5; ${kept.commands} commands, a new process every ${DEFAULT_MAX_COMMANDS}; ${kept.reports} reports; ${seconds.toFixed(1)} s to run the day`);
    report(`PowerShell starts per simulated day, cim ${label}, per command`, `${old.starts}`, `the way before: one process per command (${old.commands} commands, ${old.reports} reports)`);
  }
  const collector = await ackingCollector();
  try {
    for (const [label, host] of [
      ['KMS host (kms01, 12290s from 300 clients)', 'kms01.contoso.com'],
      ['KMS client (ws-0001)', 'ws-0001.contoso.com'],
    ] as const) {
      const r = await cpuPerPoll(collector.url, host, 200);
      report(`agent CPU per poll, sim ${label}`, `${r.ms.toFixed(2)} ms`, `target ≤ 50 ms; = ${(r.ms / (1000 / ops)).toFixed(0)} baseline ops; ${r.reports} reports, ${r.events} events in 200 polls`);
    }
    const dir = await mkdtemp(join(tmpdir(), 'vawatch-bench-agent-rss-'));
    try {
      const bundle = join(dir, 'vawatch-agent.mjs');
      await build({ entryPoints: [join(ROOT, 'agent/cli.ts')], bundle: true, minify: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'warning' });
      // The smallest scenario with a KMS host: the simulated world lives in the agent's process and is not the agent.
      const runArgs = (state: string) => ['run', '--source', 'sim', '--scenario', 'branch-below-threshold', '--machine', 'kms-branch.branch.contoso.com',
        '--sim-start', '2026-01-05T00:00:00Z', '--speed', '600', '--collector', collector.url, '--secret', 's', '--state', join(dir, state)];
      const floor = await rssOf(['-e', 'setTimeout(() => {}, 60000)'], 3_000);
      const bundled = await rssOf(['--max-semi-space-size=1', bundle, ...runArgs('a')], 6_000);
      const underTsx = await rssOf(['--import', 'tsx', 'agent/cli.ts', ...runArgs('b')], 6_000);
      report('baseline: RSS of an idle node process', `${floor.toFixed(1)} MB`);
      report('agent RSS, sim KMS host, deployed (bundled, node --max-semi-space-size=1)', `${bundled.toFixed(1)} MB`, `target ≤ 60 MB; ${(bundled - floor).toFixed(1)} MB above the idle floor`);
      report('agent RSS under tsx (npm run agent), for comparison', `${underTsx.toFixed(1)} MB`, 'tsx and its esbuild loader included');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await collector.close();
  }
  const live = await fleetLiveCpu(75);
  report(`fleet live at 1× (enterprise, ${live.machines} agents, 75 s)`, `${live.percentOfOneCore.toFixed(1)} % of a core`, `${live.reports} reports (heartbeats and changes) in 75 s, a local collector stand-in included`);
}

/** CPU of a steady simulated fleet running live at 1× (one day of history fast-forwarded first, not counted). */
export async function fleetLiveCpu(seconds: number): Promise<{ percentOfOneCore: number; machines: number; reports: number }> {
  const { startFleet } = await import('../agent/fleet/index.js');
  const collector = await ackingCollector();
  const dir = await mkdtemp(join(tmpdir(), 'vawatch-bench-fleet-'));
  try {
    const fleet = await startFleet({ scenario: 'enterprise', collectorUrl: collector.url, enrolmentSecret: 's', stateDir: dir, historyDays: 1 });
    await fleet.caughtUp;
    await new Promise((r) => setTimeout(r, 2_000)); // let the first live polls settle
    const before = process.cpuUsage();
    const queued = fleet.stats().reportsQueued;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const d = process.cpuUsage(before);
    const wall = performance.now() - t0;
    const s = fleet.stats();
    await fleet.stop();
    return { percentOfOneCore: ((d.user + d.system) / 1000 / wall) * 100, machines: s.machines, reports: s.reportsQueued - queued };
  } finally {
    await collector.close();
    await rm(dir, { recursive: true, force: true });
  }
}
