import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enrolAgent,
  getJson,
  product,
  report,
  sendBatch,
  signIn,
  snapshot,
  startCollector,
  T0,
  type EnrolledAgent,
  type Harness,
} from '../support/collector-harness.js';

const DAY = 86_400_000;

describe('collector: machine list filters, sort and paging; events; retirement and retention', () => {
  let h: Harness;
  let cookie: string;
  const fleet: Array<{ id: string; host: string; group: string; status: number; channel: 'kms-client' | 'mak'; kms: string | null }> = [
    { id: 'm-1', host: 'ws-001.contoso.com', group: 'HQ', status: 1, channel: 'kms-client', kms: 'kms01.contoso.com' },
    { id: 'm-2', host: 'ws-002.contoso.com', group: 'HQ', status: 5, channel: 'kms-client', kms: 'kms01.contoso.com' },
    { id: 'm-3', host: 'lap-003.contoso.com', group: 'Mobile', status: 3, channel: 'mak', kms: null },
    { id: 'm-4', host: 'ws-004.branch.contoso.com', group: 'Branch', status: 2, channel: 'kms-client', kms: 'kms02.contoso.com' },
  ];
  const agents = new Map<string, EnrolledAgent>();
  beforeAll(async () => {
    h = await startCollector({ config: { retireAfterDays: 30, retentionDays: 90 } });
    for (const [i, m] of fleet.entries()) {
      const a = await enrolAgent(h, m.id, m.host);
      agents.set(m.id, a);
      const at = T0 - (i + 1) * 3_600_000;
      const p = product({
        licenseStatus: m.status,
        channel: m.channel,
        kmsHost: m.kms ? { name: m.kms, port: 1688, source: 'dns' } : null,
        graceExpiresAt: m.status === 1 ? null : new Date(T0 + (10 + i) * DAY).toISOString(),
      });
      await sendBatch(h, a, [
        report(a, 1, at, {
          snapshot: snapshot(m.id, m.host, at, { group: m.group, products: [p] }),
          events: [{ log: 'Application', provider: 'Microsoft-Windows-Security-SPP', id: 8198, recordId: 1, time: new Date(at).toISOString(), payload: { kind: 'activation-failed' as const, hresult: 0xc004f074, commandLine: null } }],
        }),
      ]);
    }
    cookie = await signIn(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const ids = async (query: string) => {
    const r = await getJson(`${h.url}/api/v1/machines?${query}`, cookie);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return { ids: r.body.items.map((m: any) => m.machineId), total: r.body.total };
  };

  it.each([
    { query: '', ids: ['m-3', 'm-1', 'm-2', 'm-4'] },
    { query: 'status=5', ids: ['m-2'] },
    { query: 'status=2,3', ids: ['m-3', 'm-4'] },
    { query: 'channel=mak', ids: ['m-3'] },
    { query: 'kmsHost=KMS01.contoso.com', ids: ['m-1', 'm-2'] },
    { query: 'group=HQ', ids: ['m-1', 'm-2'] },
    { query: 'q=BRANCH', ids: ['m-4'] },
    { query: 'sort=-lastReportAt', ids: ['m-1', 'm-2', 'm-3', 'm-4'] },
    { query: 'sort=graceExpiresAt', ids: ['m-2', 'm-3', 'm-4', 'm-1'] },
    { query: 'sort=status&status=1,2,3,5', ids: ['m-1', 'm-4', 'm-3', 'm-2'] },
  ])('machines?$query', async ({ query, ids: expected }) => {
    expect((await ids(query)).ids).toEqual(expected);
  });

  it('pages with offset and limit, and says how many match in all', async () => {
    expect(await ids('limit=2&offset=1')).toEqual({ ids: ['m-1', 'm-2'], total: 4 });
  });

  it.each(['status=9', 'limit=0', 'limit=5000', 'sort=cpu', 'offset=-1', 'retired=maybe'])('refuses ?%s with 400 naming the parameter', async (query) => {
    const r = await getJson(`${h.url}/api/v1/machines?${query}`, cookie);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid-query');
    expect(r.body.error.issues[0].path).toMatch(new RegExp(`^${query.split('=')[0]}`));
  });

  it('lists events newest first, filtered', async () => {
    const all = await getJson(`${h.url}/api/v1/events?eventId=8198`, cookie);
    expect(all.body.total).toBe(4);
    expect(all.body.items.map((e: any) => e.machineId)).toEqual(['m-1', 'm-2', 'm-3', 'm-4']);
    const hq = await getJson(`${h.url}/api/v1/events?group=HQ&eventId=8198`, cookie);
    expect(hq.body).toMatchObject({ total: 2, items: [{ machineId: 'm-1' }, { machineId: 'm-2' }] });
    expect((await getJson(`${h.url}/api/v1/events?group=Nowhere`, cookie)).body.total).toBe(0);
    const one = await getJson(`${h.url}/api/v1/events?machineId=m-3&kind=collector`, cookie);
    expect(one.body.items.map((e: any) => e.payload.code)).toEqual(['machine-enrolled']);
  });

  it("filters events by a machine's effective group: an admin's override moves its events with it, and back", async () => {
    const group = async (id: string, g: string | null) => {
      const r = await fetch(`${h.url}/api/v1/machines/${id}`, { method: 'PATCH', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ group: g }) });
      expect(r.status).toBe(200);
    };
    const branch = async () => (await getJson(`${h.url}/api/v1/events?group=Branch&eventId=8198`, cookie)).body.items.map((e: any) => e.machineId);
    expect(await branch()).toEqual(['m-4']);
    await group('m-3', 'Branch');
    expect(await branch()).toEqual(['m-3', 'm-4']);
    await group('m-3', null);
    expect(await branch()).toEqual(['m-4']);
  });

  it('does not retire a machine whose reports are old but arrive now (a fleet replaying its history)', async () => {
    const replay = await enrolAgent(h, 'm-replay', 'ws-replay.contoso.com');
    const old = h.clock.now() - 45 * DAY;
    await sendBatch(h, replay, [report(replay, 1, old, { snapshot: snapshot('m-replay', 'ws-replay.contoso.com', old) })]);
    expect(h.collector.runMaintenance().retired).toBe(0);
    expect(h.collector.state.machine('m-replay')?.retired).toBeNull();
    const cookie2 = await signIn(h);
    await fetch(`${h.url}/api/v1/machines/m-replay/retire`, { method: 'POST', headers: { cookie: cookie2, 'content-type': 'application/json' }, body: '{}' });
  });

  it('retires machines silent for 30 days, with an event, and prunes events past the retention', async () => {
    h.clock.advanceBy(29 * DAY);
    const a1 = agents.get('m-1')!;
    expect((await sendBatch(h, a1, [report(a1, 2, h.clock.now(), { heartbeat: true })])).status).toBe(200);
    h.clock.advanceBy(2 * DAY); // the hourly check runs on the collector's scheduler
    cookie = await signIn(h); // the old session ended after 12 idle hours
    const summary = (await getJson(`${h.url}/api/v1/summary`, cookie)).body;
    expect(summary.machines).toMatchObject({ total: 1, retired: 4 }); // m-2..m-4, and m-replay retired by an admin above
    const m2 = (await getJson(`${h.url}/api/v1/machines/m-2`, cookie)).body;
    expect(m2).toMatchObject({ retired: true, retiredReason: 'silent for more than 30 days' });
    expect(m2.events[0].payload).toMatchObject({ code: 'machine-retired', message: 'retired automatically: no report for more than 30 days' });
    expect((await ids('retired=retired')).ids).toEqual(['m-3', 'm-2', 'm-4', 'm-replay']);
    // A retired machine that reports again is active again, with an event saying so.
    const a3 = agents.get('m-3')!;
    await sendBatch(h, a3, [report(a3, 2, h.clock.now(), { heartbeat: true })]);
    expect((await getJson(`${h.url}/api/v1/machines/m-3`, cookie)).body.events[0].payload.code).toBe('machine-reactivated');

    expect((await getJson(`${h.url}/api/v1/events?eventId=8198`, cookie)).body.total).toBe(4);
    h.clock.advanceBy(60 * DAY); // the 8198s are now older than 90 days; the daily prune removes them
    cookie = await signIn(h);
    expect((await getJson(`${h.url}/api/v1/events?eventId=8198`, cookie)).body.total).toBe(0);
    expect((await getJson(`${h.url}/api/v1/machines/m-2`, cookie)).body.stateHistory).toEqual([]);
  });
});
