/**
 * The fleet runner: one agent per simulated machine, all in this process, on the simulation's clock.
 *
 * Fast-forward: the scenario starts `historyDays` before now; its history is run up to the wall clock with coarse
 * polls (every machine every `fastForwardPollHours` simulated hours, often enough that the bounded event logs lose
 * nothing) and no heartbeats, each agent sending its queued reports in one batch after each step. Live: the
 * simulation's clock follows the wall clock (× speed), each agent polls on its cron schedules on that clock, and
 * heartbeats go out in real time, spread over the heartbeat interval.
 *
 * Restart: the state folder keeps the simulation's anchor and how far the agents had polled, and one sub-folder per
 * agent (token, seq, bookmarks, outbox). A restart rebuilds the same seeded simulation, runs it silently up to where
 * the agents stopped, and continues: no event is sent twice and none is skipped.
 */
import { join } from 'node:path';
import { createCronScheduler } from '../../platform/cron-scheduler.js';
import { MS } from '../../shared/kms-rules.js';
import { systemClock, type Cancel, type Clock, type Scheduler } from '../../shared/scheduling.js';
import { createScenario, isScenarioName, SCENARIO_NAMES, type SimulatedMachine } from '../sim/index.js';
import { Agent, DEFAULT_SCHEDULES } from '../agent.js';
import { CollectorClient } from '../delivery/collector-client.js';
import { FileOutbox } from '../outbox/file-outbox.js';
import { loadSimAnchor, saveSimAnchor, simulatedNow, type SimAnchor } from '../sources/sim-pacing.js';
import { SimSource } from '../sources/sim-source.js';
import { ensurePrivateDir } from '../state/atomic-file.js';
import { FileCredentialStore } from '../state/credentials.js';
import { fileDeadLetterSink } from '../state/dead-letter.js';

export interface FleetOptions {
  /** A scenario name of the simulator (enterprise, kms-outage, …). */
  scenario: string;
  /** The collector's base URL, e.g. http://127.0.0.1:8080 */
  collectorUrl: string;
  /** The collector's enrolment secret. */
  enrolmentSecret: string;
  /** Where the agents keep their state (one sub-folder per machine); a restart continues from it. */
  stateDir: string;
  /** Simulated seconds per real second once the history is caught up (default 1). */
  speed?: number;
  /** Days of simulated history fast-forwarded before live (default 30). */
  historyDays?: number;
  /** Where the fleet's own lines go: the start, going live, a failure (default: nowhere). */
  log?: (line: string) => void;
  /** Where each machine's agent lines go (`host: enrolled as agent …`), hundreds of them (default: nowhere). */
  agentLog?: (line: string) => void;
  /** Called after each fast-forward step and once live, for a progress display. */
  onProgress?: (stats: FleetStats) => void;
  /** Scenario seed (default 1). */
  seed?: number;
  /** Scenario size multiplier (see the simulator's ScenarioOptions.scale). */
  scale?: number;
  /** Simulated hours between two polls of a machine during fast-forward (default 4). */
  fastForwardPollHours?: number;
  /** Heartbeat interval in real milliseconds (default 60 s). */
  heartbeatMs?: number;
  /** Requests in flight at once during fast-forward (default 8). */
  concurrency?: number;
  /** Injected for tests: the wall clock and the real-time timers. */
  wall?: Clock;
  timers?: Scheduler;
}

export interface FleetStats {
  machines: number;
  simulatedNow: string;
  phase: 'fast-forward' | 'live' | 'stopped';
  /** Days of the history run so far, and in all (both fractional; equal once live). */
  historyDaysDone: number;
  historyDaysTotal: number;
  reportsQueued: number;
  reportsAcked: number;
  /** Reports waiting in the agents' outboxes. */
  reportsWaiting: number;
  eventsQueued: number;
  deadLettered: number;
}

export interface Fleet {
  /** Resolves when the history is caught up and the fleet runs live (rejects if the fast-forward failed). */
  readonly caughtUp: Promise<void>;
  stats(): FleetStats;
  stop(): Promise<void>;
}

interface FleetAgent {
  machine: SimulatedMachine;
  agent: Agent;
  outbox: FileOutbox;
  live: boolean;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  if (!isScenarioName(opts.scenario)) throw new Error(`unknown scenario ${opts.scenario} (have: ${SCENARIO_NAMES.join(', ')})`);
  const scenario = opts.scenario;
  const wall = opts.wall ?? systemClock;
  const timers = opts.timers ?? createCronScheduler();
  const log = opts.log ?? (() => {});
  const agentLog = opts.agentLog ?? (() => {});
  const speed = opts.speed ?? 1;
  const seed = opts.seed ?? 1;
  const historyDays = opts.historyDays ?? 30;
  const stepMs = (opts.fastForwardPollHours ?? 4) * MS.HOUR;
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_SCHEDULES.heartbeatMs;
  const concurrency = opts.concurrency ?? 8;
  if (!(speed > 0)) throw new Error(`speed must be positive, got ${speed}`);
  if (!(historyDays >= 0)) throw new Error(`historyDays must be 0 or more, got ${historyDays}`);
  await ensurePrivateDir(opts.stateDir);

  const now = wall.now();
  const stored = await loadSimAnchor(opts.stateDir);
  if (stored && (stored.scenario !== scenario || stored.seed !== seed)) {
    throw new Error(`${opts.stateDir} holds the fleet of scenario ${stored.scenario} seed ${stored.seed}, not ${scenario} seed ${seed}: use another state folder`);
  }
  // Re-anchored at every start, so a changed speed applies from now on and simulated time never jumps back.
  const anchor: SimAnchor = stored
    ? { ...stored, simAnchorMs: simulatedNow(stored, wall), wallAnchorMs: now, speed }
    : {
        scenario,
        seed,
        simStartMs: Math.floor((now - historyDays * MS.DAY) / MS.MINUTE) * MS.MINUTE,
        simAnchorMs: now,
        wallAnchorMs: now,
        speed,
      };
  await saveSimAnchor(opts.stateDir, anchor);
  const sim = createScenario(scenario, { startMs: anchor.simStartMs, seed, ...(opts.scale ? { scale: opts.scale } : {}) });
  const client = new CollectorClient({ baseUrl: opts.collectorUrl });
  const agents: FleetAgent[] = [];
  const byId = new Map<string, FleetAgent>();
  let phase: FleetStats['phase'] = 'fast-forward';
  let stopped = false;
  const cancels: Cancel[] = [];

  const addAgents = async (): Promise<FleetAgent[]> => {
    const added: FleetAgent[] = [];
    for (const machine of sim.machines) {
      // A host that belongs to another team runs no agent: the collector sees it only through its clients.
      if (byId.has(machine.machineId) || !machine.runsAgent) continue;
      const dir = join(opts.stateDir, 'agents', machine.machineId);
      const prefix = (line: string) => agentLog(`${machine.hostname}: ${line}`);
      const outbox = await FileOutbox.open({ dir, newEpoch: () => Math.max(1, Math.floor(wall.now() / 1000)), log: prefix, sync: false });
      const agent = new Agent({
        source: new SimSource(machine),
        scheduler: sim.clock,
        timers,
        outbox,
        credentials: new FileCredentialStore(dir),
        client,
        enrolmentSecret: opts.enrolmentSecret,
        group: machine.group,
        machineId: machine.machineId,
        hostname: machine.hostname,
        schedules: { ...DEFAULT_SCHEDULES, heartbeatMs },
        deadLetter: fileDeadLetterSink(dir),
        log: prefix,
        deliverOnQueue: false,
      });
      const fa: FleetAgent = { machine, agent, outbox, live: false };
      agents.push(fa);
      byId.set(machine.machineId, fa);
      added.push(fa);
    }
    return added;
  };

  // The history ends where the wall clock stood when the fast-forward began (live takes over from there).
  let historyEndMs = simulatedNow(anchor, wall);
  const stats = (): FleetStats => {
    const simNow = sim.clock.now();
    const total = Math.max(0, historyEndMs - anchor.simStartMs) / MS.DAY;
    const s: FleetStats = {
      machines: agents.length,
      simulatedNow: new Date(simNow).toISOString(),
      phase,
      historyDaysDone: phase === 'fast-forward' ? Math.min(total, Math.max(0, simNow - anchor.simStartMs) / MS.DAY) : total,
      historyDaysTotal: total,
      reportsQueued: 0,
      reportsAcked: 0,
      reportsWaiting: 0,
      eventsQueued: 0,
      deadLettered: 0,
    };
    for (const a of agents) {
      s.reportsQueued += a.agent.stats.reportsQueued;
      s.reportsAcked += a.agent.stats.reportsAcked;
      s.eventsQueued += a.agent.stats.eventsQueued;
      s.deadLettered += a.agent.stats.deadLettered;
      s.reportsWaiting += a.outbox.size;
    }
    return s;
  };

  const deliverWaiting = (limit: number) =>
    eachLimited(
      agents.filter((a) => a.outbox.size > 0 && !a.agent.waitingToRetry),
      limit,
      (a) => a.agent.deliver(),
    );

  const fastForward = async (): Promise<void> => {
    await addAgents();
    // After a restart: what the agents already polled is in their state; run it again silently.
    if (anchor.polledThroughMs !== undefined && anchor.polledThroughMs > sim.clock.now()) {
      sim.runUntil(anchor.polledThroughMs);
      await addAgents();
    }
    const firstMs = sim.clock.now();
    historyEndMs = simulatedNow(anchor, wall);
    const days = (historyEndMs - firstMs) / MS.DAY;
    log(`fleet: ${scenario}: ${sim.machines.length} machines; fast-forwarding ${days >= 1 ? `${Math.round(days)} days` : 'less than a day'} of history, from ${new Date(firstMs).toISOString()} to now`);
    opts.onProgress?.(stats());
    for (;;) {
      if (stopped) return;
      const target = simulatedNow(anchor, wall);
      const t = sim.clock.now();
      // Within one step of now: live takes over from here (chasing a moving target step by step never ends).
      if (target - t < Math.min(stepMs, MS.MINUTE)) break;
      const next = Math.min(t + stepMs, target);
      sim.runUntil(next);
      await addAgents();
      await eachLimited(
        agents.filter((a) => !a.machine.retired),
        concurrency,
        (a) => a.agent.poll({ licensing: true, events: true }),
      );
      await deliverWaiting(concurrency);
      anchor.polledThroughMs = next;
      await saveSimAnchor(opts.stateDir, anchor);
      historyEndMs = Math.max(historyEndMs, next);
      opts.onProgress?.(stats());
      await yieldToLoop();
    }
  };

  const goLive = async (): Promise<void> => {
    if (stopped) return;
    sim.runUntil(Math.max(sim.clock.now(), simulatedNow(anchor, wall)));
    await addAgents();
    phase = 'live';
    const startLive = (a: FleetAgent) => {
      if (a.live || a.machine.retired) return;
      a.live = true;
      a.agent.start({ heartbeat: false });
    };
    agents.forEach(startLive);
    // The history only reported changes, so many machines' last report is hours or days old on the simulated clock:
    // every agent reports in once now, or screens would count the fleet as silent until the heartbeats came round.
    await eachLimited(
      agents.filter((a) => a.live),
      concurrency,
      (a) => a.agent.heartbeat({ force: true }),
    );
    await deliverWaiting(concurrency);
    opts.onProgress?.(stats());
    log(`fleet: live at ${new Date(sim.clock.now()).toISOString()} (speed ${speed}), ${agents.length} agents`);
    let pumping = false;
    let lastSave = wall.now();
    cancels.push(
      timers.every(250, async () => {
        if (pumping || stopped) return;
        pumping = true;
        try {
          sim.runUntil(Math.max(sim.clock.now(), simulatedNow(anchor, wall)));
          (await addAgents()).forEach(startLive);
          for (const a of agents) {
            if (a.live && a.machine.retired) {
              a.live = false;
              void a.agent.stop();
            }
          }
          void deliverWaiting(concurrency);
          if (wall.now() - lastSave > 10_000) {
            lastSave = wall.now();
            anchor.polledThroughMs = sim.clock.now();
            await saveSimAnchor(opts.stateDir, anchor);
          }
        } finally {
          pumping = false;
        }
      }),
    );
    // Heartbeats in real time, spread over the interval so the collector sees a steady trickle, not a burst.
    const slots = Math.max(1, Math.round(heartbeatMs / 1000));
    let tick = 0;
    cancels.push(
      timers.every(heartbeatMs / slots, () => {
        const slot = tick++ % slots;
        agents.forEach((a, i) => {
          if (a.live && i % slots === slot) void a.agent.heartbeat().then(() => a.agent.deliver());
        });
      }),
    );
  };

  const caughtUp = fastForward().then(goLive);
  caughtUp.catch((e: unknown) => log(`fleet: stopped: ${(e as Error).message}`));

  return {
    caughtUp,
    stats,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const c of cancels) c();
      await caughtUp.catch(() => undefined);
      await Promise.all(agents.map((a) => a.agent.stop()));
      if (phase === 'live') anchor.polledThroughMs = sim.clock.now();
      await saveSimAnchor(opts.stateDir, anchor);
      phase = 'stopped';
    },
  };
}
