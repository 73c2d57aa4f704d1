/**
 * The collector sets the heartbeat interval (heartbeatSeconds in the enrolment answer and every ack); the agent's own
 * --heartbeat-seconds holds until it does, the value survives a restart, and a collector that never sends it changes
 * nothing. Heartbeats run at the machine's splay phase. Virtual clock; real HTTP to a stand-in collector.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { CollectorClient, type CollectorAnswer } from '../../agent/delivery/collector-client.js';
import { FileOutbox } from '../../agent/outbox/file-outbox.js';
import { splayFraction, splayOffsetMs } from '../../agent/splay.js';
import { FileCredentialStore } from '../../agent/state/credentials.js';
import type { EnrolRequest, EnrolResponse, ReportAck, ReportBatch } from '../../shared/protocol.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { startFakeCollector, type FakeCollector } from '../support/agent-fake-collector.js';
import { SECRET, startCollector, T0 as COLLECTOR_T0 } from '../support/collector-harness.js';
import { FakeLicensingSource } from '../support/agent-fake-source.js';
import { tempDir } from '../support/agent-temp-dir.js';

const T0 = Date.parse('2026-11-29T10:00:00Z');
const MACHINE = 'machine-0042';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** The stand-in collector's answers, with the heartbeatSeconds a newer collector adds (undefined: an older one). */
class HeartbeatSettingClient extends CollectorClient {
  heartbeatSeconds: number | undefined;
  override async enrol(req: EnrolRequest): Promise<CollectorAnswer<EnrolResponse>> {
    return this.#tell(await super.enrol(req));
  }
  override async sendBatch(token: string, batch: ReportBatch): Promise<CollectorAnswer<ReportAck>> {
    return this.#tell(await super.sendBatch(token, batch));
  }
  #tell<T>(a: CollectorAnswer<T>): CollectorAnswer<T> {
    return a.kind === 'ok' && this.heartbeatSeconds !== undefined ? { ...a, body: { ...a.body, heartbeatSeconds: this.heartbeatSeconds } } : a;
  }
}

async function agentOn(collector: FakeCollector, stateDir: string, clock: VirtualClock, client: HeartbeatSettingClient, logs: string[]) {
  const agent = new Agent({
    source: new FakeLicensingSource(),
    scheduler: clock,
    timers: clock,
    outbox: await FileOutbox.open({ dir: stateDir, newEpoch: () => 7 }),
    credentials: new FileCredentialStore(stateDir),
    client,
    enrolmentSecret: collector.secret,
    group: 'hq',
    machineId: MACHINE,
    schedules: { licensing: '*/15 * * * *', events: '* * * * *', heartbeatMs: 60_000 },
    deadLetter: async () => {},
    log: (l) => logs.push(l),
  });
  cleanups.push(() => agent.stop());
  return agent;
}

/** Steps the clock a second at a time, letting each heartbeat's delivery finish, and returns the heartbeats' times. */
async function run(agent: Agent, clock: VirtualClock, collector: FakeCollector, untilMs: number): Promise<number[]> {
  const before = collector.stored.length;
  while (clock.now() < untilMs) {
    await clock.advanceByAsync(1_000);
    await agent.deliver();
  }
  return collector.stored.slice(before).filter((s) => s.report.heartbeat).map((s) => Date.parse(s.report.sentAt));
}

describe('heartbeat interval set by the collector', () => {
  it('reads heartbeatSeconds from the wire (enrolment answer and ack)', async () => {
    const server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.url === '/api/v1/agents/enrol' ? { agentId: 'a', machineId: 'm', token: 't', heartbeatSeconds: 300 } : { epoch: 1, ackedThrough: 1, heartbeatSeconds: 120 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(() => r())));
    const client = new CollectorClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    cleanups.push(async () => client.close());
    expect(await client.enrol({ secret: 's', machineId: 'm', hostname: 'h' })).toMatchObject({ kind: 'ok', body: { heartbeatSeconds: 300 } });
    expect(await client.sendBatch('t', { protocol: 1, reports: [{ protocol: 1, agentId: 'a', epoch: 1, seq: 1, sentAt: new Date(T0).toISOString(), heartbeat: true }] })).toMatchObject({ kind: 'ok', body: { heartbeatSeconds: 120 } });
  });

  it('keeps its own interval with a collector that does not set one, then takes and keeps the one a collector sets', async () => {
    const collector = await startFakeCollector();
    cleanups.push(() => collector.close());
    const state = await tempDir();
    cleanups.push(state.remove);
    const clock = new VirtualClock(T0);
    const client = new HeartbeatSettingClient({ baseUrl: collector.url });
    cleanups.push(async () => client.close());
    const logs: string[] = [];
    const agent = await agentOn(collector, state.dir, clock, client, logs);
    const phase60 = splayOffsetMs(splayFraction(MACHINE), 60_000);
    const phase300 = splayOffsetMs(splayFraction(MACHINE), 300_000);

    // An older collector: the configured 60 s, at this machine's phase of the minute.
    agent.start();
    let beats = await run(agent, clock, collector, T0 + 10 * 60_000);
    expect(agent.heartbeatMs).toBe(60_000);
    expect(beats.length).toBeGreaterThanOrEqual(8);
    for (const t of beats) expect(t % 60_000).toBe(phase60);

    // The collector now says 300 s in its acks: from the next heartbeat on, one every 5 minutes, at the 5-minute phase.
    client.heartbeatSeconds = 300;
    beats = await run(agent, clock, collector, T0 + 40 * 60_000);
    expect(agent.heartbeatMs).toBe(300_000);
    expect(logs).toContain('the collector sets the heartbeat interval to 300 s (was 60 s)');
    const later = beats.filter((t) => t > T0 + 12 * 60_000);
    expect(later.length).toBeGreaterThanOrEqual(5);
    expect(later.length).toBeLessThanOrEqual(6);
    for (const t of later) expect(t % 300_000).toBe(phase300);
    expect(JSON.parse(await readFile(join(state.dir, 'credentials.json'), 'utf8'))).toMatchObject({ machineId: MACHINE, heartbeatSeconds: 300 });
    await agent.stop();

    // Restarted, and the collector (downgraded) sends nothing: the last interval it set still holds.
    client.heartbeatSeconds = undefined;
    const again = await agentOn(collector, state.dir, clock, client, logs);
    again.start();
    beats = await run(again, clock, collector, clock.now() + 30 * 60_000);
    expect(again.heartbeatMs).toBe(300_000);
    expect(beats.length).toBeGreaterThanOrEqual(5);
    expect(beats.length).toBeLessThanOrEqual(6);
    for (const t of beats) expect(t % 300_000).toBe(phase300);
  }, 60_000);

  it('takes the interval from the enrolment answer', async () => {
    const collector = await startFakeCollector();
    cleanups.push(() => collector.close());
    const state = await tempDir();
    cleanups.push(state.remove);
    const clock = new VirtualClock(T0);
    const client = new HeartbeatSettingClient({ baseUrl: collector.url });
    cleanups.push(async () => client.close());
    client.heartbeatSeconds = 120;
    const logs: string[] = [];
    const agent = await agentOn(collector, state.dir, clock, client, logs);
    await agent.poll();
    await agent.deliver();
    expect(collector.enrolments).toHaveLength(1);
    expect(agent.heartbeatMs).toBe(120_000);
    expect(logs).toContain('the collector sets the heartbeat interval to 120 s');
    expect(JSON.parse(await readFile(join(state.dir, 'credentials.json'), 'utf8'))).toMatchObject({ heartbeatSeconds: 120 });
  });

  it('takes the interval the real collector is configured with (--heartbeat-seconds 120)', async () => {
    const h = await startCollector({ config: { heartbeatSeconds: 120 } });
    cleanups.push(() => h.close());
    const state = await tempDir();
    cleanups.push(state.remove);
    const clock = new VirtualClock(COLLECTOR_T0);
    const client = new CollectorClient({ baseUrl: h.url });
    cleanups.push(async () => client.close());
    const agent = new Agent({
      source: new FakeLicensingSource(),
      scheduler: clock,
      timers: clock,
      outbox: await FileOutbox.open({ dir: state.dir, newEpoch: () => 7 }),
      credentials: new FileCredentialStore(state.dir),
      client,
      enrolmentSecret: SECRET,
      group: 'hq',
      deadLetter: async () => {},
      log: () => {},
    });
    cleanups.push(() => agent.stop());
    expect(agent.heartbeatMs).toBe(60_000);
    await agent.poll();
    await agent.deliver();
    expect(agent.stats.reportsAcked).toBe(1);
    expect(agent.heartbeatMs).toBe(120_000);
    expect(JSON.parse(await readFile(join(state.dir, 'credentials.json'), 'utf8'))).toMatchObject({ heartbeatSeconds: 120 });
  });
});
