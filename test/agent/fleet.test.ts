import { afterEach, describe, expect, it } from 'vitest';
import { startFleet, type FleetStats } from '../../agent/fleet/index.js';
import { startFakeCollector, type FakeCollector } from '../support/agent-fake-collector.js';
import { tempDir } from '../support/agent-temp-dir.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function collector(): Promise<FakeCollector> {
  const c = await startFakeCollector();
  cleanups.push(() => c.close());
  return c;
}

/** Per agent: the (log, recordId) of every event stored, in arrival order. */
function eventKeys(c: FakeCollector): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of c.stored) for (const e of s.report.events ?? []) {
    const list = out.get(s.agentId) ?? [];
    list.push(`${e.log}#${e.recordId}`);
    out.set(s.agentId, list);
  }
  return out;
}

describe('fleet runner', () => {
  it('fast-forwards the history to now, one agent per machine, then runs live; a restart sends no event twice', async () => {
    const c = await collector();
    const state = await tempDir();
    cleanups.push(state.remove);
    const opts = { scenario: 'branch-below-threshold', collectorUrl: c.url, enrolmentSecret: c.secret, stateDir: state.dir, historyDays: 3, heartbeatMs: 1_000 };
    const lines: string[] = [];
    const agentLines: string[] = [];
    const progress: FleetStats[] = [];
    const fleet = await startFleet({ ...opts, log: (l) => lines.push(l), agentLog: (l) => agentLines.push(l), onProgress: (p) => progress.push(p) });
    await fleet.caughtUp;
    const s = fleet.stats();
    expect(s.phase).toBe('live');
    expect(s.machines).toBe(21);
    // Caught up with the wall clock (the history began 3 days back); the margin is for a loaded machine.
    expect(Math.abs(Date.parse(s.simulatedNow) - Date.now())).toBeLessThan(60_000);
    // One line per machine goes to the agent log only; the fleet's own lines are few, and progress counts the days.
    expect(agentLines.filter((l) => /^\S+: enrolled as agent \S+$/.test(l))).toHaveLength(21);
    expect(lines.some((l) => l.includes('enrolled'))).toBe(false);
    expect(lines.length).toBeLessThan(5);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.map((p) => p.historyDaysDone)).toEqual([...progress.map((p) => p.historyDaysDone)].sort((a, b) => a - b));
    expect(progress[0]!.historyDaysDone).toBe(0);
    expect(progress.at(-1)).toMatchObject({ phase: 'live', machines: 21 });
    expect(progress.at(-1)!.historyDaysDone).toBe(progress.at(-1)!.historyDaysTotal);
    expect(progress.at(-1)!.historyDaysTotal).toBeCloseTo(3, 1);
    // Live: heartbeats in real time from every agent (a 1 s interval here, so the test waits little).
    const storedBefore = c.stored.length;
    const beating = () => new Set(c.stored.slice(storedBefore).filter((r) => r.report.heartbeat).map((r) => r.agentId)).size;
    await expect.poll(beating, { timeout: 30_000, interval: 100 }).toBe(21);
    await fleet.stop();
    expect(c.enrolments).toHaveLength(21);
    const agentsWithSnapshot = new Set(c.stored.filter((r) => r.report.snapshot).map((r) => r.agentId));
    expect(agentsWithSnapshot.size).toBe(21);
    const before = eventKeys(c);
    const total = [...before.values()].reduce((n, l) => n + l.length, 0);
    // 20 clients retrying every 2 h for 3 days, and the host answering each: thousands of events.
    expect(total).toBeGreaterThan(20 * 12 * 3);
    for (const keys of before.values()) expect(new Set(keys).size).toBe(keys.length);

    const again = await startFleet(opts);
    await again.caughtUp;
    await again.stop();
    expect(c.enrolments).toHaveLength(21); // tokens were kept
    expect(c.duplicates).toBe(0);
    for (const keys of eventKeys(c).values()) expect(new Set(keys).size).toBe(keys.length);
  }, 120_000);

  it('reports in from every agent when it goes live, so a quiet fleet does not look silent', async () => {
    // retirement-wave's clients are Licensed and quiet between weekly renewals: the history leaves their last report
    // days old on the simulated clock, and the first live heartbeat is a minute away.
    const c = await collector();
    const state = await tempDir();
    cleanups.push(state.remove);
    const fleet = await startFleet({ scenario: 'retirement-wave', collectorUrl: c.url, enrolmentSecret: c.secret, stateDir: state.dir, historyDays: 3, heartbeatMs: 60_000 });
    await fleet.caughtUp;
    const newestSentAt = new Map<string, number>();
    for (const r of c.stored) newestSentAt.set(r.agentId, Math.max(newestSentAt.get(r.agentId) ?? 0, Date.parse(r.report.sentAt)));
    expect(newestSentAt.size).toBe(fleet.stats().machines);
    for (const at of newestSentAt.values()) expect(Date.now() - at).toBeLessThan(60_000);
    await fleet.stop();
  }, 120_000);
});
