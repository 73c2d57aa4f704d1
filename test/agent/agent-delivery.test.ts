/**
 * The agent against a real HTTP stand-in for the collector: what it sends, when it retries, what it sets aside.
 * Polls and retries run on a virtual clock; only the HTTP round trips are real.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { CollectorClient } from '../../agent/delivery/collector-client.js';
import { FileOutbox } from '../../agent/outbox/file-outbox.js';
import { FileCredentialStore } from '../../agent/state/credentials.js';
import { DEAD_LETTER_FILE, fileDeadLetterSink } from '../../agent/state/dead-letter.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { startFakeCollector, type FakeCollector } from '../support/agent-fake-collector.js';
import { FakeLicensingSource } from '../support/agent-fake-source.js';
import { waitFor } from '../support/agent-process.js';
import { tempDir } from '../support/agent-temp-dir.js';

const T0 = Date.parse('2026-11-29T10:00:00Z');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(opts: { secret?: string | null; heartbeatMs?: number } = {}) {
  const collector = await startFakeCollector();
  cleanups.push(() => collector.close());
  const state = await tempDir();
  cleanups.push(state.remove);
  const clock = new VirtualClock(T0);
  const source = new FakeLicensingSource();
  const logs: string[] = [];
  const outbox = await FileOutbox.open({ dir: state.dir, newEpoch: () => 7 });
  const agent = new Agent({
    source,
    scheduler: clock,
    timers: clock,
    outbox,
    credentials: new FileCredentialStore(state.dir),
    client: new CollectorClient({ baseUrl: collector.url }),
    enrolmentSecret: opts.secret === null ? undefined : (opts.secret ?? collector.secret),
    group: 'hq',
    schedules: { licensing: '*/15 * * * *', events: '* * * * *', heartbeatMs: opts.heartbeatMs ?? 60_000 },
    backoff: { baseMs: 1_000, capMs: 60_000 },
    slowRetryMs: 600_000,
    random: () => 0.5,
    deadLetter: fileDeadLetterSink(state.dir),
    log: (l) => logs.push(l),
  });
  cleanups.push(() => agent.stop());
  return { collector, state, clock, source, logs, outbox, agent };
}

const storedSeqs = (c: FakeCollector) => c.stored.map((s) => s.report.seq);

describe('agent delivery', () => {
  it('enrols once, sends a snapshot with the new events, then only changes and heartbeats', async () => {
    const { collector, clock, source, agent, outbox } = await setup();
    source.addEvent();
    source.addEvent();
    await agent.poll();
    await agent.deliver();
    expect(collector.enrolments).toEqual([
      expect.objectContaining({ machineId: 'machine-0042', hostname: 'WS-0042', secret: collector.secret }),
    ]);
    expect(collector.stored).toHaveLength(1);
    const first = collector.stored[0]!.report;
    expect(first).toMatchObject({ protocol: 1, epoch: 7, seq: 1, sentAt: '2026-11-29T10:00:00.000Z' });
    expect(first.snapshot?.products[0]?.graceExpiresAt).toBe('2027-05-28T10:00:00.000Z');
    expect(first.events?.map((e) => e.recordId)).toEqual([1, 2]);
    expect(outbox.size).toBe(0);

    // 30 minutes later the grace counter ticked 30 minutes down: the same expiry instant, not a change.
    clock.advanceTo(T0 + 30 * 60_000);
    source.product.GracePeriodRemaining = 259200 - 30;
    expect(await agent.poll()).toBe(0);
    // Renewed at once: the expiry moved 30 minutes, within the 1 h tolerance.
    source.product.GracePeriodRemaining = 259200;
    expect(await agent.poll()).toBe(0);
    // The status changes: that is a report.
    source.product.LicenseStatus = 3;
    source.product.LicenseStatusReason = 0xc004f00f;
    expect(await agent.poll()).toBe(1);
    await agent.deliver();
    expect(collector.stored[1]!.report.snapshot?.products[0]).toMatchObject({ licenseStatus: 3, licenseStatusReason: 0xc004f00f });

    // Nothing else for a heartbeat interval: a heartbeat.
    clock.advanceTo(T0 + 30.5 * 60_000);
    await agent.heartbeat(); // 30 s after the status report: too soon, nothing
    await agent.deliver();
    expect(collector.stored).toHaveLength(2);
    clock.advanceTo(T0 + 31.5 * 60_000);
    await agent.heartbeat();
    await agent.deliver();
    expect(collector.stored[2]!.report).toMatchObject({ seq: 3, heartbeat: true });
    expect(collector.stored[2]!.report.snapshot).toBeUndefined();
    expect(collector.enrolments).toHaveLength(1);
  });

  it('honours Retry-After on 429, then sends what waited', async () => {
    const { collector, clock, source, agent } = await setup();
    source.addEvent();
    collector.mode = { kind: 'throttle', retryAfterSeconds: 30 };
    await agent.poll();
    await agent.deliver();
    expect(agent.waitingToRetry).toBe(true);
    collector.mode = { kind: 'ack' };
    // The retry is the one task on the virtual clock, due exactly at the 30 s the collector asked for (not before).
    expect(clock.pending).toBe(1);
    expect(clock.nextDue()).toBe(T0 + 30_000);
    clock.advanceTo(T0 + 30_000);
    await waitFor(() => collector.stored.length === 1, 30_000, 'the retried batch');
    expect(storedSeqs(collector)).toEqual([1]);
  });

  it('backs off exponentially on 5xx and network errors, capped', async () => {
    const { collector, clock, source, agent } = await setup();
    source.addEvent();
    collector.mode = { kind: 'status', status: 503 };
    await agent.poll();
    await agent.deliver();
    // random 0.5 → 3/4 of the ceiling: 750 ms, 1.5 s, 3 s, 6 s …
    const times: number[] = [];
    for (const delay of [750, 1_500, 3_000]) {
      const before = collector.batchRequests;
      // The next attempt is the one task on the virtual clock, due exactly `delay` from the last failure.
      expect(clock.pending).toBe(1);
      expect(clock.nextDue()).toBe(clock.now() + delay);
      clock.advanceBy(delay);
      await waitFor(() => collector.batchRequests === before + 1 && agent.waitingToRetry, 30_000, 'the next attempt');
      times.push(clock.now() - T0);
    }
    expect(times).toEqual([750, 2_250, 5_250]);
    collector.mode = { kind: 'down' };
    clock.advanceBy(6_000);
    await waitFor(() => agent.waitingToRetry, 30_000, 'a retry after the network error');
    collector.mode = { kind: 'ack' };
    clock.advanceBy(12_000);
    await waitFor(() => collector.stored.length === 1, 30_000, 'delivery once the collector is back');
  });

  it('sets a report the collector refuses (400) aside in the dead-letter file and carries on', async () => {
    const { collector, source, agent, state, logs, outbox } = await setup();
    collector.refuse = (r) => (r.seq === 2 ? 'events[0].payload.hresult: expected 0..4294967295, got -1' : undefined);
    await agent.poll(); // seq 1: the first snapshot
    source.addEvent();
    await agent.poll({ licensing: false, events: true }); // seq 2: refused
    source.addEvent();
    await agent.poll({ licensing: false, events: true }); // seq 3
    await agent.deliver();
    expect(storedSeqs(collector)).toEqual([1, 3]);
    expect(outbox.size).toBe(0);
    const lines = (await readFile(join(state.dir, DEAD_LETTER_FILE), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    const letter = JSON.parse(lines[0]!);
    expect(letter).toMatchObject({ status: 400, code: 'invalid_report', report: { seq: 2 } });
    expect(letter.message).toContain('expected 0..4294967295, got -1');
    expect(logs.some((l) => l.includes('refused report seq 2') && l.includes('dead-letter'))).toBe(true);
    source.addEvent();
    await agent.poll({ licensing: false, events: true });
    await agent.deliver();
    expect(storedSeqs(collector)).toEqual([1, 3, 4]);
  });

  it('splits a batch the collector finds too large (413) and loses nothing', async () => {
    const { collector, clock, source, agent, state } = await setup();
    collector.mode = { kind: 'down' };
    for (let r = 0; r < 30; r++) {
      for (let i = 0; i < 10; i++) source.addEvent();
      await agent.poll({ licensing: r === 0, events: true });
    }
    await agent.deliver();
    expect(agent.waitingToRetry).toBe(true);
    collector.mode = { kind: 'ack' };
    collector.bodyLimitBytes = 12_000; // a report of 10 events is a few KB: 30 of them in one request are too many
    clock.advanceBy(1_000);
    await waitFor(() => collector.stored.length === 30, 30_000, 'all 30 reports');
    expect(storedSeqs(collector)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(collector.eventsOf(collector.stored[0]!.agentId).map((e) => e.recordId)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    await expect(readFile(join(state.dir, DEAD_LETTER_FILE), 'utf8')).rejects.toThrow(/ENOENT/);
    // It learnt the limit: after the first refusals, requests carry a few reports each, not one, and are not refused.
    expect(collector.batchRequests).toBeLessThan(30);
  });

  it('re-enrols with its previous token when the collector answers 401', async () => {
    const { collector, source, agent } = await setup();
    await agent.poll();
    await agent.deliver();
    const firstToken = collector.enrolments.length;
    collector.revokeAll();
    source.addEvent();
    await agent.poll({ licensing: false, events: true });
    await agent.deliver();
    expect(collector.enrolments).toHaveLength(firstToken + 1);
    expect(collector.enrolments[1]!.previousToken).toMatch(/^tok-/);
    expect(storedSeqs(collector)).toEqual([1, 2]);
  });

  it('without an enrolment secret, a 401 keeps the reports and retries slowly, saying why', async () => {
    const { collector, clock, source, agent, logs, outbox, state } = await setup({ secret: null });
    // Enrolled earlier (its token is in the state folder), then the token was revoked.
    const enrol = await new CollectorClient({ baseUrl: collector.url }).enrol({ secret: collector.secret, machineId: 'machine-0042', hostname: 'WS-0042' });
    if (enrol.kind !== 'ok') throw new Error('enrol failed');
    await new FileCredentialStore(state.dir).save({ ...enrol.body });
    collector.revokeAll();
    source.addEvent();
    await agent.poll();
    await agent.deliver();
    expect(outbox.size).toBe(1);
    expect(agent.waitingToRetry).toBe(true);
    expect(logs.some((l) => l.includes('401') && l.includes('no enrolment secret'))).toBe(true);
    const requests = collector.batchRequests;
    // The slow retry is the one task on the virtual clock, due exactly 10 minutes on.
    expect(clock.pending).toBe(1);
    expect(clock.nextDue()).toBe(clock.now() + 600_000);
    clock.advanceBy(600_000);
    await waitFor(() => collector.batchRequests === requests + 1, 30_000, 'the slow retry');
    expect(outbox.size).toBe(1);
  });

  it('checks a snapshot against the protocol before queueing it: a bad one is a log line, not a dead letter', async () => {
    const { collector, source, agent, logs, outbox } = await setup();
    source.product.Name = 'N'.repeat(400);
    source.addEvent();
    expect(await agent.poll()).toBe(1); // the events still go
    expect(outbox.peek(10)[0]!.report.snapshot).toBeUndefined();
    expect(logs.some((l) => l.includes('licensing poll failed: the snapshot is not valid protocol: products[0].name: expected at most 300 characters'))).toBe(true);
    await agent.deliver();
    expect(collector.stored).toHaveLength(1);
  });

  it('notices a cleared event log, says so, and reads it again from its start', async () => {
    const { collector, source, agent, logs } = await setup();
    for (let i = 0; i < 5; i++) source.addEvent();
    await agent.poll();
    source.clear();
    source.addEvent();
    source.addEvent();
    await agent.poll({ licensing: false, events: true });
    await agent.deliver();
    expect(collector.stored.map((s) => s.report.events?.map((e) => e.recordId))).toEqual([[1, 2, 3, 4, 5], [1, 2]]);
    expect(logs.some((l) => l.includes('Application log was cleared'))).toBe(true);
  });
});
