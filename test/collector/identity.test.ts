import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  enrolAgent,
  getJson,
  postJson,
  report,
  SECRET,
  sendBatch,
  signIn,
  snapshot,
  startCollector,
  storeCounts,
  T0,
  type Harness,
} from '../support/collector-harness.js';

const HOUR = 3_600_000;

describe('collector: enrolment cannot take over a live machine, and leaves no ghost', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startCollector({ config: { reenrolAfterSilentHours: 24 } });
  });
  afterEach(async () => {
    await h.close();
  });

  const enrolRaw = (body: Record<string, unknown>) => postJson(`${h.url}/api/v1/agents/enrol`, { secret: SECRET, ...body });

  it('refuses re-enrolment of a live machine with 409 and a reason, storing nothing', async () => {
    const a = await enrolAgent(h, 'm-1', 'ws-1');
    await sendBatch(h, a, [report(a, 1, T0, { snapshot: snapshot('m-1', 'ws-1', T0) })]);
    h.clock.advanceBy(23 * HOUR);
    const before = storeCounts(h);
    const r = await enrolRaw({ machineId: 'm-1', hostname: 'ws-1' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'machine-enrolled', message: expect.stringContaining('previous token') });
    expect(storeCounts(h)).toEqual(before);
    // The live agent keeps working.
    expect((await sendBatch(h, a, [report(a, 2, T0, { heartbeat: true })])).status).toBe(200);
  });

  const allowed: Array<{ name: string; prepare: (h: Harness, token: string, agentId: string) => Promise<Record<string, unknown>> }> = [
    { name: 'with its previous token', prepare: async (_h, token) => ({ previousToken: token }) },
    {
      name: 'after an admin revoked it',
      prepare: async (h, _t, agentId) => {
        const cookie = await signIn(h);
        await postJson(`${h.url}/api/v1/agents/${agentId}/revoke`, {}, { cookie });
        return {};
      },
    },
    {
      name: 'after 24 h of silence',
      prepare: async (h) => {
        h.clock.advanceBy(24 * HOUR + 1000);
        return {};
      },
    },
  ];
  it.each(allowed)('allows re-enrolment $name; the old token stops working', async ({ prepare }) => {
    const a = await enrolAgent(h, 'm-1', 'ws-1');
    await sendBatch(h, a, [report(a, 1, T0, { snapshot: snapshot('m-1', 'ws-1', T0) })]);
    const extra = await prepare(h, a.token, a.agentId);
    const r = await enrolRaw({ machineId: 'm-1', hostname: 'ws-1', ...extra });
    expect(r.status).toBe(201);
    expect(r.body.machineId).toBe('m-1');
    expect((await sendBatch(h, a, [report(a, 2, T0, { heartbeat: true })])).status).toBe(401);
    const fresh = r.body;
    expect((await sendBatch(h, fresh, [report(fresh, 100, T0 + 1, { heartbeat: true })])).status).toBe(200);
    // Still one machine, with its snapshot.
    expect(h.collector.state.machineCount).toBe(1);
    expect(h.collector.state.machine('m-1')?.snapshot).not.toBeNull();
  });

  it('a reinstall (new machine id, same host name) retires the silent old machine', async () => {
    const old = await enrolAgent(h, 'm-old', 'ws-1.contoso.com');
    await sendBatch(h, old, [report(old, 1, T0, { snapshot: snapshot('m-old', 'ws-1.contoso.com', T0) })]);
    h.clock.advanceBy(48 * HOUR);
    await enrolAgent(h, 'm-new', 'WS-1.contoso.com');
    const cookie = await signIn(h);
    const d = await getJson(`${h.url}/api/v1/machines/m-old`, cookie);
    expect(d.body).toMatchObject({ retired: true, replacedBy: 'm-new', retiredReason: 'replaced by m-new' });
    expect(d.body.events[0].payload).toMatchObject({ kind: 'collector', code: 'machine-replaced' });
    const list = await getJson(`${h.url}/api/v1/machines`, cookie);
    expect(list.body.items.map((m: any) => m.machineId)).toEqual(['m-new']);
  });

  it('a second live machine with the same host name is not retired', async () => {
    const one = await enrolAgent(h, 'm-1', 'ws-dup');
    await sendBatch(h, one, [report(one, 1, T0, { heartbeat: true })]);
    await enrolAgent(h, 'm-2', 'ws-dup');
    expect(h.collector.state.machine('m-1')?.retired).toBeNull();
  });

  it('rotating the secret keeps enrolled agents working and refuses the old secret for new ones', async () => {
    const a = await enrolAgent(h, 'm-1', 'ws-1');
    const cookie = await signIn(h);
    const rot = await postJson(`${h.url}/api/v1/enrolment-secret/rotate`, {}, { cookie });
    expect(rot.status).toBe(200);
    expect(rot.body.secret).not.toBe(SECRET);
    expect((await sendBatch(h, a, [report(a, 1, T0, { heartbeat: true })])).status).toBe(200);
    expect((await enrolRaw({ machineId: 'm-2', hostname: 'ws-2' })).status).toBe(401);
    expect((await postJson(`${h.url}/api/v1/agents/enrol`, { secret: rot.body.secret, machineId: 'm-2', hostname: 'ws-2' })).status).toBe(201);
  });
});

describe('collector: reports are idempotent on (agent, epoch, seq)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startCollector();
  });
  afterEach(async () => {
    await h.close();
  });

  it('a resent batch stores nothing twice; a new epoch starts afresh', async () => {
    const a = await enrolAgent(h, 'm-1', 'ws-1');
    const event = (recordId: number, at: number) => ({
      log: 'Application',
      provider: 'Microsoft-Windows-Security-SPP',
      id: 8198,
      recordId,
      time: new Date(at).toISOString(),
      payload: { kind: 'activation-failed' as const, hresult: 0xc004f074, commandLine: null },
    });
    const batch = [
      report(a, 1, T0, { snapshot: snapshot('m-1', 'ws-1', T0), events: [event(10, T0)] }),
      report(a, 2, T0 + 1000, { events: [event(11, T0 + 1000)] }),
    ];
    expect((await sendBatch(h, a, batch)).body).toEqual({ epoch: 1, ackedThrough: 2, heartbeatSeconds: 300 });
    const once = storeCounts(h);
    // The ack was lost; the agent sends the same batch again, plus one new report.
    const again = await sendBatch(h, a, [...batch, report(a, 3, T0 + 2000, { events: [event(12, T0 + 2000)] })]);
    expect(again.body).toEqual({ epoch: 1, ackedThrough: 3, heartbeatSeconds: 300 });
    expect(storeCounts(h).events).toBe(once.events + 1);
    // The agent lost its state: epoch 2 starts at seq 1 and is not mistaken for a duplicate; events it re-reads
    // (same record ids) are not stored twice.
    const e2 = await sendBatch(h, a, [report(a, 1, T0 + 3000, { events: [event(12, T0 + 2000), event(13, T0 + 3000)] }, 2)]);
    expect(e2.body).toEqual({ epoch: 2, ackedThrough: 1, heartbeatSeconds: 300 });
    expect(storeCounts(h).events).toBe(once.events + 2);
  });
});
