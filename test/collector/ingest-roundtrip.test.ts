import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  connectLive,
  enrolAgent,
  getJson,
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

describe('collector: enrol, report, read back, live delta', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startCollector();
  });
  afterEach(async () => {
    await h.close();
  });

  it('stores a report and serves it through the read API', async () => {
    const agent = await enrolAgent(h, 'm-1', 'ws-0001.contoso.com');
    const at = T0 - 2 * 86_400_000; // a past report, as the demo's fast-forward sends
    const r = await sendBatch(h, agent, [report(agent, 1, at, { snapshot: snapshot('m-1', 'ws-0001.contoso.com', at) })]);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ epoch: 1, ackedThrough: 1, heartbeatSeconds: 300 });

    const cookie = await signIn(h);
    const list = await getJson(`${h.url}/api/v1/machines`, cookie);
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    expect(list.body.items[0]).toMatchObject({
      machineId: 'm-1',
      hostname: 'ws-0001.contoso.com',
      group: 'HQ',
      status: 1,
      channel: 'kms-client',
      kmsHost: 'kms01.contoso.com',
      lastReportAt: new Date(at).toISOString(),
      health: 'healthy',
    });

    const detail = await getJson(`${h.url}/api/v1/machines/m-1`, cookie);
    expect(detail.body.products).toHaveLength(1);
    // History carries the report's own time, not the collector's.
    expect(detail.body.stateHistory).toEqual([
      expect.objectContaining({ at: new Date(at).toISOString(), status: 1, primary: true }),
    ]);
    expect(detail.body.events.map((e: any) => e.payload.code)).toEqual(['machine-enrolled']);

    const summary = await getJson(`${h.url}/api/v1/summary`, cookie);
    expect(summary.body.machines.total).toBe(1);
    expect(summary.body.byStatus['1']).toBe(1);
    expect(summary.body.byChannel['kms-client']).toBe(1);
    expect(summary.body.kmsHosts.map((k: any) => [k.id, k.clientsUsing, k.clientOsUsing])).toEqual([['kms01.contoso.com', 1, 1]]);
  });

  it('tracks a KMS host: its count history and the client window from 12290 events', async () => {
    const host = await enrolAgent(h, 'kms-1', 'KMS01.contoso.com');
    const hostSnap = (count: number, at: number) =>
      snapshot('kms-1', 'KMS01.contoso.com', at, {
        os: { caption: 'Windows Server 2022', version: '10.0.20348', kind: 'server' },
        products: [product({ channel: 'kms-host', kmsHost: null, graceExpiresAt: null })],
        kmsService: {
          currentCount: count,
          requiredClientCount: 25,
          listeningPort: 1688,
          dnsPublishing: true,
          lowPriority: false,
          requests: { total: 10, failed: 0, unlicensed: 0, licensed: 10, oobGrace: 0, ootGrace: 0, nonGenuineGrace: 0, notification: 0 },
        },
      });
    const request = (recordId: number, cmid: string, at: number) => ({
      log: 'Key Management Service',
      provider: 'Microsoft-Windows-Security-SPP',
      id: 12290,
      recordId,
      time: new Date(at).toISOString(),
      payload: {
        kind: 'kms-request' as const,
        hresult: 0,
        nPolicy: 25,
        clientFqdn: `${cmid}.contoso.com`,
        cmid,
        clientTime: '2026/10/30 10:00',
        isVm: false,
        licenseStatus: 1,
        minutesToExpiry: 259200,
        activationId: 'a1',
      },
    });
    const t1 = T0 - 3 * 86_400_000;
    const t2 = T0 - 86_400_000;
    const r = await sendBatch(h, host, [
      report(host, 1, t1, { snapshot: hostSnap(24, t1), events: [request(1, 'c-1', t1), request(2, 'c-2', t1)] }),
      report(host, 2, t2, { snapshot: hostSnap(26, t2), events: [request(3, 'c-1', t2)] }),
    ]);
    expect(r.body).toEqual({ epoch: 1, ackedThrough: 2, heartbeatSeconds: 300 });
    const cookie = await signIn(h);
    const d = await getJson(`${h.url}/api/v1/kms-hosts/kms01.contoso.com`, cookie);
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ id: 'kms01.contoso.com', machineId: 'kms-1', currentCount: 26, windowCount: 2 });
    expect(d.body.countHistory).toEqual([
      { at: new Date(t1).toISOString(), currentCount: 24 },
      { at: new Date(t2).toISOString(), currentCount: 26 },
    ]);
    // Soonest to age out first; c-1 asked again, so it ages out 30 days after its second request.
    expect(d.body.clientWindow.map((c: any) => [c.cmid, c.requests, c.agesOutAt])).toEqual([
      ['c-2', 1, new Date(t1 + 30 * 86_400_000).toISOString()],
      ['c-1', 2, new Date(t2 + 30 * 86_400_000).toISOString()],
    ]);
  });

  it('sends a snapshot on join, then the change as a coalesced delta', async () => {
    const agent = await enrolAgent(h, 'm-1', 'ws-0001.contoso.com');
    const cookie = await signIn(h);
    const live = await connectLive(h, cookie);
    try {
      const acks = await Promise.all(
        (['overview', 'machines', 'machine:m-1'] as const).map(
          (room) => new Promise((resolve) => live.socket.emit('join', { room }, resolve)),
        ),
      );
      expect(acks).toEqual([
        { ok: true, room: 'overview' },
        { ok: true, room: 'machines' },
        { ok: true, room: 'machine:m-1' },
      ]);
      expect(live.snapshots.map((s) => s.kind)).toEqual(['overview', 'machines', 'machine']);

      // Two reports inside one delta period: one row per room, showing the newer state.
      await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: snapshot('m-1', 'ws-0001.contoso.com', T0) })]);
      await sendBatch(h, agent, [
        report(agent, 2, T0 + 60_000, {
          snapshot: snapshot('m-1', 'ws-0001.contoso.com', T0 + 60_000, { products: [product({ licenseStatus: 5, graceExpiresAt: null })] }),
        }),
      ]);
      expect(live.deltas).toEqual([]);
      h.clock.advanceBy(250);
      await until(() => live.deltas.length >= 3, 'three delta batches');
      const machines = live.deltas.find((d) => d.room === 'machines')!;
      expect(machines.changes).toEqual([{ type: 'machine', machine: expect.objectContaining({ machineId: 'm-1', status: 5, health: 'critical' }) }]);
      const overview = live.deltas.find((d) => d.room === 'overview')!;
      expect(overview.changes).toEqual([{ type: 'summary', summary: expect.objectContaining({ byStatus: expect.objectContaining({ '5': 1, '1': 0 }) }) }]);
      const detail = live.deltas.find((d) => d.room === 'machine:m-1')!;
      expect(detail.changes.filter((c) => c.type === 'machine-detail')).toHaveLength(1);

      // An unknown machine's room is refused with a reason, and a malformed message is answered, not thrown.
      expect(await new Promise((r) => live.socket.emit('join', { room: 'machine:nope' }, r))).toMatchObject({ ok: false, error: { code: 'not-found' } });
      expect(await new Promise((r) => live.socket.emit('join', { room: 42 } as never, r))).toMatchObject({ ok: false, error: { code: 'invalid-message' } });
    } finally {
      live.socket.disconnect();
    }
  });

  it('catches up after a reconnect: joining again brings a snapshot with what changed meanwhile', async () => {
    const agent = await enrolAgent(h, 'm-1', 'ws-0001.contoso.com');
    const cookie = await signIn(h);
    const first = await connectLive(h, cookie);
    await new Promise((r) => first.socket.emit('join', { room: 'overview' }, r));
    const seenBefore = first.snapshots[0]!;
    first.socket.disconnect(); // the connection drops

    await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: snapshot('m-1', 'ws-0001.contoso.com', T0) })]);
    h.clock.advanceBy(250);

    const again = await connectLive(h, cookie);
    try {
      again.socket.emit('join', { room: 'overview', since: seenBefore.seq }, () => undefined);
      await until(() => again.snapshots.length === 1, 'the catch-up snapshot');
      const snap = again.snapshots[0]!;
      expect(snap.kind === 'overview' && snap.summary.byStatus['1']).toBe(1);
      expect(seenBefore.kind === 'overview' && seenBefore.summary.byStatus['1']).toBe(0);
    } finally {
      again.socket.disconnect();
    }
  });

  it('says hello with the server time, and ends the live session on sign-out', async () => {
    const cookie = await signIn(h);
    const live = await connectLive(h, cookie);
    const ended = new Promise<{ message: string }>((resolve) => live.socket.once('session-ended', resolve));
    expect(await live.hello).toMatchObject({ serverTime: new Date(T0).toISOString(), session: { username: 'admin', role: 'admin' }, deltaIntervalMs: 250 });
    await fetch(`${h.url}/api/v1/session`, { method: 'DELETE', headers: { cookie } });
    expect(await ended).toEqual({ message: 'signed out' });
  });

  it('sends a fresh snapshot instead of a flood when a room falls too far behind', async () => {
    const agent = await enrolAgent(h, 'm-1', 'ws-0001.contoso.com');
    const cookie = await signIn(h);
    const live = await connectLive(h, cookie);
    try {
      await new Promise((r) => live.socket.emit('join', { room: 'events' }, r));
      const events = Array.from({ length: 2100 }, (_, i) => ({
        log: 'Application',
        provider: 'Microsoft-Windows-Security-SPP',
        id: 8198,
        recordId: i + 1,
        time: new Date(T0 + i * 1000).toISOString(),
        payload: { kind: 'activation-failed' as const, hresult: 0xc004f074, commandLine: null },
      }));
      expect((await sendBatch(h, agent, [report(agent, 1, T0, { events })])).status).toBe(200);
      h.clock.advanceBy(250);
      await until(() => live.snapshots.length === 2, 'the resync snapshot');
      const snap = live.snapshots[1]!;
      expect(snap.kind).toBe('events');
      expect(snap.kind === 'events' && snap.latest[0]?.recordId).toBe(2100);
      expect(live.deltas.filter((d) => d.room === 'events')).toEqual([]);
    } finally {
      live.socket.disconnect();
    }
  });

  it('refuses a socket without a session', async () => {
    await expect(connectLive(h, 'vawatch_session=forged')).rejects.toThrow(/unauthorized/);
  });
});
