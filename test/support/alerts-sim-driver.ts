/**
 * Drives a simulator scenario through real agents into a real collector (port 0, SQLite file) with the alerts
 * plug-in, step by step on the simulation's virtual clock: each step runs the simulation, moves the collector's clock
 * to the same instant, polls every running machine's agent, queues heartbeats and delivers. Nothing sleeps.
 */
import { Agent, DEFAULT_SCHEDULES } from '../../agent/agent.js';
import { CollectorClient } from '../../agent/delivery/collector-client.js';
import { MemoryOutbox } from '../../agent/outbox/memory-outbox.js';
import { createScenario, type ScenarioName, type Simulation, type SimulatedMachine } from '../../agent/sim/index.js';
import { SimSource } from '../../agent/sources/sim-source.js';
import { MemoryCredentialStore } from '../../agent/state/credentials.js';
import { alertsPlugin, type AlertsEngine } from '../../dashboard/alerts/alerts-plugin.js';
import { MS } from '../../shared/kms-rules.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { getJson, SECRET, signIn, startCollector, type Harness } from './collector-harness.js';

export interface SimRun {
  sim: Simulation;
  h: Harness;
  engine: AlertsEngine;
  /** Runs the fleet up to `ms`, polling every `stepMs` of simulated time. `each` runs after every step. */
  runTo(ms: number, each?: () => void): Promise<void>;
  /** Runs the simulation and the collector's clock to `ms` in `stepMs` strides with no agent polling (a quiet stretch). */
  skipTo(ms: number, each?: () => void): Promise<void>;
  /** GET /api/v1… as the admin. */
  api(path: string): Promise<any>;
  deadLetters: string[];
  close(): Promise<void>;
}

export async function startSimRun(
  scenario: ScenarioName,
  opts: { startMs: number; seed?: number; stepMs?: number; recheckMs?: number; applicationLogRecords?: number },
): Promise<SimRun> {
  const stepMs = opts.stepMs ?? MS.DAY;
  const sim = createScenario(scenario, {
    startMs: opts.startMs,
    seed: opts.seed ?? 1,
    // A smaller Application log keeps the backlog after a skipped stretch small (what wraps away is not needed).
    ...(opts.applicationLogRecords ? { logCapacity: { application: opts.applicationLogRecords } } : {}),
  });
  const plugin = alertsPlugin({ recheckMs: opts.recheckMs ?? MS.HOUR });
  // Agents heartbeat once per step; the collector calls them stale after 3 steps without a word.
  const h = await startCollector({
    clock: new VirtualClock(opts.startMs),
    plugins: process.env.SIM_NOPLUGIN ? [] : [plugin],
    config: { staleAfterMinutes: (3 * stepMs) / MS.MINUTE, retireAfterDays: 3650 },
  });
  const client = new CollectorClient({ baseUrl: h.url });
  const deadLetters: string[] = [];
  const agents = new Map<string, { machine: SimulatedMachine; agent: Agent }>();
  // A machine nobody runs an agent on (a host of another team) is seen only through its clients.
  for (const machine of sim.enrolledMachines) {
    const agent = new Agent({
      source: new SimSource(machine),
      scheduler: sim.clock,
      timers: sim.clock,
      outbox: new MemoryOutbox({ epoch: 1 }),
      credentials: new MemoryCredentialStore(),
      client,
      enrolmentSecret: SECRET,
      group: machine.group,
      machineId: machine.machineId,
      hostname: machine.hostname,
      schedules: { ...DEFAULT_SCHEDULES, heartbeatMs: stepMs },
      deadLetter: async (l) => void deadLetters.push(JSON.stringify(l).slice(0, 300)),
      log: () => {},
      deliverOnQueue: false,
    });
    agents.set(machine.machineId, { machine, agent });
  }
  const live = () => [...agents.values()].filter((a) => !a.machine.retired);
  const step = async (next: number) => {
    const t0 = performance.now();
    sim.runUntil(next);
    const t1 = performance.now();
    await h.clock.advanceToAsync(Math.max(next, h.clock.now()));
    const t2 = performance.now();
    for (const a of live()) await a.agent.poll({ licensing: true, events: true });
    for (const a of live()) await a.agent.heartbeat();
    const t3 = performance.now();
    const batch = live();
    for (let i = 0; i < batch.length; i += 8) await Promise.all(batch.slice(i, i + 8).map((a) => a.agent.deliver()));
    // Fleet-scoped rules run at most once a second of the collector's clock: let that second pass.
    await h.clock.advanceToAsync(next + 1000);
    if (process.env.SIM_DEBUG) console.log(`sim ${(t1 - t0).toFixed(0)} collector ${(t2 - t1).toFixed(0)} poll ${(t3 - t2).toFixed(0)} deliver ${(performance.now() - t3).toFixed(0)} ms`);
  };
  await step(opts.startMs);
  return {
    sim,
    h,
    engine: plugin.engine(),
    deadLetters,
    async runTo(ms, each) {
      while (sim.clock.now() < ms) {
        await step(Math.min(ms, sim.clock.now() + stepMs));
        each?.();
      }
    },
    async skipTo(ms, each) {
      while (sim.clock.now() < ms) {
        const next = Math.min(ms, sim.clock.now() + stepMs);
        sim.runUntil(next);
        await h.clock.advanceToAsync(Math.max(next, h.clock.now()));
        each?.();
      }
    },
    async api(path) {
      // Sessions expire on the collector's clock, which the run moves by days: sign in afresh.
      const r = await getJson(`${h.url}/api/v1${path}`, await signIn(h));
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async close() {
      await Promise.all([...agents.values()].map((a) => a.agent.stop()));
      await h.close();
    },
  };
}
