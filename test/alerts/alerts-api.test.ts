import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import {
  connectLive,
  enrolAgent,
  getJson,
  postJson,
  product,
  report,
  sendBatch,
  signIn,
  snapshot,
  startCollector,
  T0,
  until,
  type Harness,
} from '../support/collector-harness.js';

const MIN = 60_000;

describe('alert lifecycle through the real API (collector on port 0, SQLite file)', () => {
  let h: Harness;
  let operator: string;
  let viewer: string;
  beforeEach(async () => {
    h = await startCollector({ plugins: [alertsPlugin()] });
    await h.collector.users.add('olga', 'operator-pass-1', 'operator');
    await h.collector.users.add('vic', 'viewer-pass-1', 'viewer');
    operator = await signIn(h, 'olga', 'operator-pass-1');
    viewer = await signIn(h, 'vic', 'viewer-pass-1');
  });
  afterEach(async () => {
    await h.close();
  });

  const post = (path: string, body: unknown, cookie: string) => postJson(`${h.url}/api/v1${path}`, body, { cookie });
  const get = (path: string, cookie = viewer) => getJson(`${h.url}/api/v1${path}`, cookie);
  const inNotification = (at: number) =>
    snapshot('m-a', 'a.contoso.com', at, { products: [product({ licenseStatus: 5, licenseStatusReason: 0xc004f00f, graceExpiresAt: null })] });
  const licensed = (at: number) => snapshot('m-a', 'a.contoso.com', at);

  it('raises, acknowledges, comments, silences, resolves by itself and links a recurrence', async () => {
    const agent = await enrolAgent(h, 'm-a', 'a.contoso.com');
    await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: inNotification(T0) })]);

    const list = await get('/alerts');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    const raised = list.body.items[0];
    expect(raised).toMatchObject({ rule: 'ClientInNotification', severity: 'critical', state: 'new', kmsHost: 'kms01.contoso.com', group: 'HQ' });

    const detail = await get(`/alerts/${raised.id}`);
    expect(detail.body.knowledge.hresult.code).toBe('0xC004F00F');
    expect(detail.body.knowledge.commands.some((c: string) => c.includes('slmgr.vbs /ato'))).toBe(true);
    expect(detail.body.machines.map((m: { hostname: string }) => m.hostname)).toEqual(['a.contoso.com']);

    // Viewers read only.
    for (const action of ['ack', 'comment', 'silence']) {
      const r = await post(`/alerts/${raised.id}/${action}`, { comment: 'x', reason: 'x', minutes: 5 }, viewer);
      expect(r.status).toBe(403);
    }
    const ack = await post(`/alerts/${raised.id}/ack`, { comment: 'on it' }, operator);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'olga', acknowledgedAt: new Date(T0).toISOString() });
    expect((await post(`/alerts/${raised.id}/ack`, {}, operator)).status).toBe(409);
    expect((await post(`/alerts/${raised.id}/comment`, { comment: '   ' }, operator)).status).toBe(400);
    expect((await post(`/alerts/${raised.id}/comment`, { comment: 'KMS host rebooted' }, operator)).status).toBe(200);
    expect((await post(`/alerts/${raised.id}/silence`, { reason: 'change window' }, operator)).status).toBe(400);
    const silenced = await post(`/alerts/${raised.id}/silence`, { minutes: 120, reason: 'change window' }, operator);
    expect(silenced.body.silencedUntil).toBe(new Date(T0 + 120 * MIN).toISOString());
    expect((await get('/summary')).body.alerts).toMatchObject({ active: 0 });
    expect((await get('/alerts?state=silenced')).body.total).toBe(1);

    // The machine is fixed: the alert resolves by itself.
    await sendBatch(h, agent, [report(agent, 2, T0 + MIN, { snapshot: licensed(T0 + MIN) })]);
    const resolved = await get(`/alerts/${raised.id}`);
    expect(resolved.body).toMatchObject({ state: 'resolved' });
    expect(resolved.body.history.map((x: { kind: string }) => x.kind)).toEqual(['raised', 'acknowledged', 'commented', 'silenced', 'resolved']);
    expect(resolved.body.history[1]).toMatchObject({ actor: 'olga', comment: 'on it' });
    expect((await get('/alerts?state=active')).body.total).toBe(0);

    // It comes back: a new occurrence linked to the old one, still under the silence that is in force.
    await sendBatch(h, agent, [report(agent, 3, T0 + 2 * MIN, { snapshot: inNotification(T0 + 2 * MIN) })]);
    const again = (await get('/alerts?state=active')).body.items[0];
    expect(again.id).not.toBe(raised.id);
    expect(again).toMatchObject({ previousId: raised.id, occurrence: 2, state: 'new', silencedUntil: new Date(T0 + 120 * MIN).toISOString() });
    expect((await get(`/alerts/${again.id}`)).body.previousOccurrences.map((p: { id: string }) => p.id)).toEqual([raised.id]);
    expect((await get('/alerts')).body.total).toBe(2);
  });

  it('re-checks time-based rules on the schedule and resolves them when the condition clears', async () => {
    const agent = await enrolAgent(h, 'm-a', 'a.contoso.com');
    await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: licensed(T0) })]);
    expect((await get('/alerts')).body.total).toBe(0);
    // staleAfterMinutes is 3 heartbeats (15 min) by default: AgentStale after that much silence, found when the
    // machine's deadline comes on the minute re-check.
    expect(h.collector.config.staleAfterMinutes).toBe(15);
    await h.clock.advanceToAsync(T0 + 15 * MIN);
    expect((await get('/alerts?rule=AgentStale')).body.total).toBe(0);
    await h.clock.advanceToAsync(T0 + 16 * MIN);
    const stale = await get('/alerts?rule=AgentStale');
    expect(stale.body.items.map((a: { state: string; severity: string }) => [a.state, a.severity])).toEqual([['new', 'warning']]);
    await sendBatch(h, agent, [report(agent, 2, T0 + 17 * MIN, { heartbeat: true })]);
    expect((await get(`/alerts/${stale.body.items[0].id}`)).body.state).toBe('resolved');
  });

  it('filters by state, severity, rule, group and KMS host, pages, and refuses a bad filter', async () => {
    const a = await enrolAgent(h, 'm-a', 'a.contoso.com');
    const b = await enrolAgent(h, 'm-b', 'b.branch.contoso.com');
    await sendBatch(h, a, [report(a, 1, T0, { snapshot: inNotification(T0) })]);
    await sendBatch(h, b, [
      report(b, 1, T0, {
        snapshot: snapshot('m-b', 'b.branch.contoso.com', T0, {
          group: 'Branch',
          products: [product({ licenseStatus: 2, graceExpiresAt: new Date(T0 + 10 * 86_400_000).toISOString(), kmsHost: { name: 'kms-br.contoso.com', port: 1688, source: 'dns' } })],
        }),
      }),
    ]);
    const rules = async (q: string) => (await get(`/alerts${q}`)).body.items.map((x: { rule: string }) => x.rule).sort();
    expect(await rules('')).toEqual(['ClientInNotification', 'GraceExpiring']);
    expect(await rules('?severity=warning')).toEqual(['GraceExpiring']);
    expect(await rules('?group=Branch')).toEqual(['GraceExpiring']);
    expect(await rules('?kmsHost=KMS01.contoso.com')).toEqual(['ClientInNotification']);
    expect(await rules('?rule=GraceExpiring&state=new')).toEqual(['GraceExpiring']);
    const page = await get('/alerts?limit=1&offset=1');
    expect(page.body).toMatchObject({ total: 2 });
    expect(page.body.items).toHaveLength(1);
    const bad = await get('/alerts?state=bogus');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('state');
    expect((await get('/alerts/999')).status).toBe(404);
    // The summary carries the alert engine's health.
    const summary = (await get('/summary')).body;
    expect(summary.health.fleet).toBe('critical');
    expect(summary.alerts).toMatchObject({ active: 2, critical: 1, warning: 1 });
  });

  it('runs fleet-wide rules at most once a second on ingest, and catches up when the second has passed', async () => {
    const a = await enrolAgent(h, 'm-a', 'a.contoso.com');
    const b = await enrolAgent(h, 'm-b', 'b.contoso.com');
    const clone = (id: string, name: string) => snapshot(id, name, T0, { cmid: 'shared-cmid' });
    await sendBatch(h, a, [report(a, 1, T0, { snapshot: clone('m-a', 'a.contoso.com') })]);
    await sendBatch(h, b, [report(b, 1, T0, { snapshot: clone('m-b', 'b.contoso.com') })]);
    // The first batch ran the fleet rules; the second, in the same second, waits for the next run.
    expect((await get('/alerts?rule=DuplicateClientMachineId')).body.total).toBe(0);
    await h.clock.advanceByAsync(1000);
    const dup = await get('/alerts?rule=DuplicateClientMachineId');
    expect(dup.body.items.map((x: { subject: { id: string }; machineCount: number }) => [x.subject.id, x.machineCount])).toEqual([['shared-cmid', 2]]);
  });

  it('publishes alert changes on the socket alerts room, with a snapshot on join', async () => {
    const agent = await enrolAgent(h, 'm-a', 'a.contoso.com');
    const live = await connectLive(h, operator);
    try {
      expect(await new Promise((r) => live.socket.emit('join', { room: 'alerts' }, r))).toEqual({ ok: true, room: 'alerts' });
      expect(live.snapshots[0]).toMatchObject({ kind: 'alerts', alerts: [], counts: { active: 0 } });
      await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: inNotification(T0) })]);
      h.clock.advanceBy(250);
      const batch = await until(() => live.deltas.find((d) => d.room === 'alerts'), 'an alerts delta');
      expect(batch.changes).toEqual(
        expect.arrayContaining([
          { type: 'alert', alert: expect.objectContaining({ rule: 'ClientInNotification', state: 'new' }) },
          { type: 'alert-counts', counts: { active: 1, critical: 1, warning: 0, acknowledged: 0 } },
        ]),
      );
    } finally {
      live.socket.close();
    }
  });

  it('counts silence only while the collector listens: a restart after a long stop does not find the fleet stale', async () => {
    const agent = await enrolAgent(h, 'm-a', 'a.contoso.com');
    await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: licensed(T0) })]);
    const dataDir = h.dataDir;
    await h.collector.close();
    // Down for two hours: no agent could report.
    h.clock.advanceTo(T0 + 120 * MIN);
    const h2 = await startCollector({ plugins: [alertsPlugin()], dataDir, clock: h.clock });
    try {
      const cookie = await signIn(h2);
      const stale = async () => (await getJson(`${h2.url}/api/v1/alerts?rule=AgentStale`, cookie)).body.total;
      expect(await stale()).toBe(0);
      await h2.clock.advanceToAsync(T0 + 135 * MIN);
      expect(await stale()).toBe(0);
      // Three heartbeats (15 min) of silence after the restart: now it is stale.
      await h2.clock.advanceToAsync(T0 + 136 * MIN);
      expect(await stale()).toBe(1);
    } finally {
      await h2.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
    h = { ...h, close: async () => {} };
  });

  it('survives a restart on the same data folder: open alerts and history are still there', async () => {
    const agent = await enrolAgent(h, 'm-a', 'a.contoso.com');
    const failed = {
      log: 'Application',
      provider: 'Microsoft-Windows-Security-SPP',
      id: 8198,
      recordId: 7,
      time: new Date(T0).toISOString(),
      payload: { kind: 'activation-failed' as const, hresult: 0xc004f074, commandLine: 'slui.exe' },
    };
    await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: inNotification(T0), events: [failed] })]);
    const before = (await get('/alerts')).body.items.map((a: { id: string; rule: string }) => [a.id, a.rule]).sort();
    expect(before.map((x: string[]) => x[1])).toEqual(['ActivationFailing', 'ClientInNotification']);
    const id = before.find((x: string[]) => x[1] === 'ClientInNotification')[0];
    await post(`/alerts/${id}/ack`, { comment: 'seen' }, operator);
    const dataDir = h.dataDir;
    await h.collector.close();
    const h2 = await startCollector({ plugins: [alertsPlugin()], dataDir, clock: h.clock });
    try {
      const cookie = await signIn(h2);
      // Rebuilt from SQLite (snapshots and stored events), the rules find the same conditions: nothing resolved.
      const again = await getJson(`${h2.url}/api/v1/alerts`, cookie);
      expect(again.body.items.map((a: { id: string; rule: string }) => [a.id, a.rule]).sort()).toEqual(before);
      expect(again.body.items.find((a: { id: string }) => a.id === id).state).toBe('acknowledged');
      expect(again.body.items.every((a: { state: string }) => a.state !== 'resolved')).toBe(true);
    } finally {
      await h2.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
    h = { ...h, close: async () => {} };
  });
});
