// A stand-in collector for browser tests of the dashboard alone: the REST answers and socket.io messages of
// shared/api.ts and shared/socket-events.ts over a generated fleet, on 127.0.0.1 port 0. Tests that need the real
// pipeline (ingest → store → live) use the real collector; this one pins down what the page does with the contract.
import express from 'express';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import type {
  AlertListItem,
  EventListItem,
  KmsHostDetail,
  KmsHostListItem,
  MachineDetail,
  MachineListItem,
  Role,
  SessionInfo,
  Summary,
} from '../../shared/api.js';
import type { ClientToServerEvents, Delta, Room, RoomSnapshot, ServerToClientEvents } from '../../shared/socket-events.js';
import { formatHresult, hresultHex } from '../../shared/hresult.js';
import { DASHBOARD_CSP, staticWeb } from '../../dashboard/server/http/static-web.js';

const DAY = 86_400_000;

/** The Content-Security-Policy the collector sends with every page; the stand-in sends the same. */
export { DASHBOARD_CSP };

export interface FakeFleetOptions {
  now: number;
  machines?: number;
  /** Host names to plant (e.g. hostile strings), each on its own machine at the start of the list. */
  plantedHostnames?: string[];
}

export interface FakeCollector {
  url: string;
  machines: MachineListItem[];
  alerts: AlertListItem[];
  /** Changes a machine and pushes the deltas a real collector would. */
  setMachineStatus(machineId: string, status: number): void;
  /**
   * Cuts every socket and refuses new ones for `refuseMs` of real time, or until `allowConnections()` with Infinity
   * (the page should show the banner, then recover by itself).
   */
  dropConnections(refuseMs?: number): void;
  /** Ends a refusal started by `dropConnections`. */
  allowConnections(): void;
  close(): Promise<void>;
}

const USERS: Record<string, { password: string; role: Role }> = {
  admin: { password: 'admin-password', role: 'admin' },
  operator: { password: 'operator-password', role: 'operator' },
  viewer: { password: 'viewer-password', role: 'viewer' },
};

function iso(t: number): string {
  return new Date(t).toISOString();
}

function healthOf(status: number | null): MachineListItem['health'] {
  if (status === null) return 'unknown';
  if (status === 1) return 'healthy';
  if (status === 0 || status === 5) return 'critical';
  return 'warning';
}

export function fakeFleet(opts: FakeFleetOptions): { machines: MachineListItem[]; hosts: KmsHostListItem[]; alerts: AlertListItem[] } {
  const n = opts.machines ?? 240;
  const groups = ['HQ', 'branch-lyon', 'branch-osaka', 'datacenter'];
  const hostIds = ['kms01.contoso.com', 'kms02.contoso.com', 'kms-lyon.contoso.com'];
  const machines: MachineListItem[] = [];
  const planted = opts.plantedHostnames ?? [];
  for (let i = 0; i < n; i++) {
    const group = groups[i % groups.length]!;
    const server = group === 'datacenter';
    const kmsHost = group === 'branch-lyon' ? hostIds[2]! : hostIds[i % 2]!;
    let status = 1;
    if (i % 97 === 5) status = 5;
    else if (i % 41 === 3) status = 3;
    else if (i % 53 === 7) status = 2;
    else if (i % 151 === 11) status = 0;
    const hostname = planted[i] ?? `${server ? 'srv' : 'ws'}-${group.replace('branch-', '')}-${String(i).padStart(4, '0')}.contoso.com`;
    const grace = status === 1 ? opts.now + ((i * 7919) % 170) * DAY + 10 * DAY : opts.now + ((i % 29) + 1) * DAY;
    machines.push({
      machineId: `m-${String(i).padStart(5, '0')}`,
      hostname,
      group,
      osKind: server ? 'server' : 'client',
      osCaption: server ? 'Microsoft Windows Server 2022 Standard' : 'Microsoft Windows 11 Enterprise',
      cmid: `c0ffee00-0000-4000-8000-${String(i).padStart(12, '0')}`,
      status,
      statusReason: status === 5 ? 0xc004f00f : 0,
      statusReasonHex: formatHresult(status === 5 ? 0xc004f00f : 0),
      channel: 'kms-client',
      graceExpiresAt: status === 0 || status === 5 ? null : iso(grace),
      kmsHost,
      isKmsHost: false,
      productCount: 1 + (i % 3 === 0 ? 1 : 0),
      lastReportAt: iso(opts.now - ((i * 13) % 600) * 1000),
      lastReceivedAt: iso(opts.now - ((i * 13) % 600) * 1000),
      collectedAt: iso(opts.now - ((i * 13) % 600) * 1000),
      retired: false,
      health: healthOf(status),
    });
  }
  const hosts: KmsHostListItem[] = hostIds.map((id, k) => {
    const users = machines.filter((m) => m.kmsHost === id);
    const count = k === 2 ? 19 : k === 1 ? 38 : 50;
    return {
      id,
      hostname: id,
      machineId: k === 2 ? null : `kms-${k}`,
      group: k === 2 ? 'branch-lyon' : 'HQ',
      currentCount: k === 2 ? null : count,
      requiredClientCount: 25,
      windowCount: count,
      clientsUsing: users.length,
      clientOsUsing: users.filter((m) => m.osKind === 'client').length,
      lastRequestAt: iso(opts.now - (k + 1) * 7 * 60_000),
      dnsPublishing: k === 2 ? null : true,
      dnsPublishFailedAt: k === 1 ? iso(opts.now - 3 * 3600_000) : null,
      dnsPublishFailedHresult: k === 1 ? 0x8007232a : null,
      dnsPublishFailedHresultHex: k === 1 ? formatHresult(0x8007232a) : null,
      lastReportAt: iso(opts.now - 60_000),
      health: k === 2 ? 'warning' : k === 1 ? 'warning' : 'healthy',
      basis: k === 2 ? 'clients' : 'host',
      countAt: k === 2 ? null : iso(opts.now - 60_000),
      countSeenBy: null,
      service: { running: k === 2 ? null : true, listening: k === 2 ? null : true, failure: null },
      applications: [
        { application: 'windows', name: 'Windows', currentCount: k === 2 ? null : count, countAt: k === 2 ? null : iso(opts.now - 60_000), threshold: 25, requiredClientCount: 25, windowCount: count, belowThreshold: k !== 2 && count < 25 },
      ],
    };
  });
  const alerts: AlertListItem[] = [];
  for (const m of machines.filter((x) => x.status === 5).slice(0, 6)) {
    alerts.push({
      id: `a-notif-${m.machineId}`,
      rule: 'ClientInNotification',
      severity: 'critical',
      state: 'new',
      subject: { kind: 'machine', id: m.machineId, name: m.hostname },
      group: m.group,
      kmsHost: m.kmsHost,
      title: `${m.hostname} is in Notification`,
      raisedAt: iso(opts.now - 2 * 3600_000),
      updatedAt: iso(opts.now - 2 * 3600_000),
      resolvedAt: null,
      silencedUntil: null,
    });
  }
  alerts.push({
    id: 'a-kms-lyon',
    rule: 'KmsCountBelowThreshold',
    severity: 'warning',
    state: 'new',
    subject: { kind: 'kms-host', id: hostIds[2]!, name: hostIds[2]! },
    group: 'branch-lyon',
    kmsHost: hostIds[2]!,
    title: 'kms-lyon.contoso.com count 19 is below 25',
    raisedAt: iso(opts.now - 26 * 3600_000),
    updatedAt: iso(opts.now - 26 * 3600_000),
    resolvedAt: null,
    silencedUntil: null,
  });
  return { machines, hosts, alerts };
}

export async function startFakeCollector(opts: { distDir: string; now: () => number; machines?: number; plantedHostnames?: string[] }): Promise<FakeCollector> {
  const fleet = fakeFleet({ now: opts.now(), ...(opts.machines !== undefined ? { machines: opts.machines } : {}), ...(opts.plantedHostnames ? { plantedHostnames: opts.plantedHostnames } : {}) });
  const sessions = new Map<string, SessionInfo>();
  const app = express();
  app.use(express.json());
  const sessionOf = (cookie: string | undefined): SessionInfo | undefined => {
    const sid = /(?:^|;\s*)sid=([^;]+)/.exec(cookie ?? '')?.[1];
    return sid ? sessions.get(sid) : undefined;
  };
  const fail = (res: express.Response, status: number, code: string, message: string) => res.status(status).json({ error: { code, message } });

  app.post('/api/v1/session', (req, res) => {
    const u = USERS[req.body?.username as string];
    if (!u || u.password !== req.body?.password) return fail(res, 401, 'bad-credentials', 'wrong user name or password');
    const sid = Math.random().toString(36).slice(2);
    const s: SessionInfo = { username: req.body.username, role: u.role };
    sessions.set(sid, s);
    res.setHeader('Set-Cookie', `sid=${sid}; Path=/; HttpOnly; SameSite=Lax`);
    res.json(s);
  });
  app.use('/api/v1', (req, res, next) => {
    const s = sessionOf(req.headers.cookie);
    if (!s) return fail(res, 401, 'unauthenticated', 'sign in first');
    res.locals['session'] = s;
    next();
  });
  app.get('/api/v1/session', (_req, res) => res.json(res.locals['session']));
  app.delete('/api/v1/session', (_req, res) => res.status(204).end());

  const summary = (): Summary => {
    const byStatus: Record<string, number> = {};
    const byChannel: Record<string, number> = {};
    const groups = new Map<string, MachineListItem[]>();
    for (const m of fleet.machines) {
      const k = m.status === null ? 'none' : String(m.status);
      byStatus[k] = (byStatus[k] ?? 0) + 1;
      byChannel[m.channel ?? 'none'] = (byChannel[m.channel ?? 'none'] ?? 0) + 1;
      const list = groups.get(m.group);
      if (list) list.push(m);
      else groups.set(m.group, [m]);
    }
    const active = fleet.alerts.filter((a) => a.state !== 'resolved');
    return {
      generatedAt: iso(opts.now()),
      machines: { total: fleet.machines.length, retired: 0, stale: 3 },
      byStatus,
      byChannel,
      byGroup: [...groups].map(([group, ms]) => {
        const bs: Record<string, number> = {};
        for (const m of ms) bs[String(m.status)] = (bs[String(m.status)] ?? 0) + 1;
        return { group, total: ms.length, byStatus: bs, health: ms.some((m) => m.health === 'critical') ? 'critical' : ms.some((m) => m.health === 'warning') ? 'warning' : 'healthy' };
      }),
      kmsHosts: fleet.hosts,
      health: { fleet: fleet.machines.some((m) => m.health === 'critical') ? 'critical' : 'warning' },
      alerts: { active: active.length, critical: active.filter((a) => a.severity === 'critical').length, warning: active.filter((a) => a.severity === 'warning').length, acknowledged: active.filter((a) => a.state === 'acknowledged').length },
    };
  };
  const detailOf = (m: MachineListItem): MachineDetail => ({
    ...m,
    agentId: `agent-${m.machineId}`,
    os: { caption: m.osCaption ?? '', version: '10.0.22631', kind: m.osKind ?? 'client' },
    products: [
      {
        activationId: 'e0c42288-980c-4788-a014-c080d2e1926e',
        applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
        name: 'Windows(R), Enterprise edition',
        description: 'Windows(R) Operating System, VOLUME_KMSCLIENT channel',
        channel: 'kms-client',
        primary: true,
        licenseStatus: (m.status ?? 1) as 0,
        licenseStatusReason: m.statusReason,
        licenseStatusReasonHex: hresultHex(m.statusReason),
        graceExpiresAt: m.graceExpiresAt,
        partialProductKey: 'T83GX',
        kmsHost: m.kmsHost ? { name: m.kmsHost, port: 1688, source: 'dns' } : null,
        rearmsRemaining: 1001,
        renewalIntervalMinutes: 10080,
        activationIntervalMinutes: 120,
      },
    ],
    kmsService: null,
    retiredAt: null,
    retiredReason: null,
    replacedBy: null,
    events: [],
    stateHistory: [
      { at: iso(opts.now() - 40 * DAY), activationId: 'e0c4', productName: 'Windows(R), Enterprise edition', primary: true, status: 2, statusReason: 0, statusReasonHex: '0x00000000', graceExpiresAt: null },
      { at: iso(opts.now() - 38 * DAY), activationId: 'e0c4', productName: 'Windows(R), Enterprise edition', primary: true, status: 1, statusReason: 0, statusReasonHex: '0x00000000', graceExpiresAt: null },
      ...(m.status !== 1 ? [{ at: iso(opts.now() - 2 * DAY), activationId: 'e0c4', productName: 'Windows(R), Enterprise edition', primary: true, status: (m.status ?? 1) as 0, statusReason: 0, statusReasonHex: '0x00000000', graceExpiresAt: null }] : []),
    ],
  });
  const hostDetail = (k: KmsHostListItem): KmsHostDetail => {
    const clients = fleet.machines.filter((m) => m.kmsHost === k.id).slice(0, k.windowCount);
    const events: EventListItem[] = clients.slice(0, 20).map((m, i) => ({
      id: 10_000 + i,
      machineId: k.machineId ?? 'x',
      hostname: k.hostname,
      group: k.group ?? '',
      log: 'Key Management Service',
      provider: 'Microsoft-Windows-Security-SPP',
      eventId: 12290,
      recordId: 500 + i,
      time: iso(opts.now() - i * 3600_000),
      receivedAt: iso(opts.now() - i * 3600_000),
      payload: { kind: 'kms-request', hresult: i % 7 === 3 ? 0xc004f06c : 0, nPolicy: 25, clientFqdn: m.hostname, cmid: m.cmid ?? '', clientTime: '', isVm: false, licenseStatus: 1, minutesToExpiry: 259000, activationId: 'e0c4' },
      hresultHex: formatHresult(i % 7 === 3 ? 0xc004f06c : 0),
    }));
    return {
      ...k,
      kmsService: null,
      countHistory: Array.from({ length: 30 }, (_, i) => ({ at: iso(opts.now() - (30 - i) * DAY), currentCount: Math.min(50, k.windowCount + Math.round((30 - i) * (k.id.includes('lyon') ? 0.35 : 0.05))) })),
      clientWindow: clients.map((m, i) => ({ cmid: m.cmid ?? '', application: 'windows' as const, clientFqdn: m.hostname, lastRequestAt: iso(opts.now() - ((i * 5) % 29) * DAY), agesOutAt: iso(opts.now() + (30 - ((i * 5) % 29)) * DAY), licenseStatus: 1, hresult: 0, hresultHex: '0x00000000', nPolicy: 25, isVm: false, requests: 3 + (i % 9) })),
      events,
    };
  };

  app.get('/api/v1/summary', (_req, res) => res.json(summary()));
  app.get('/api/v1/machines', (req, res) => {
    let items = fleet.machines;
    const q = String(req.query['q'] ?? '').toLowerCase();
    const status = String(req.query['status'] ?? '');
    const group = String(req.query['group'] ?? '');
    const kmsHost = String(req.query['kmsHost'] ?? '');
    if (q) items = items.filter((m) => m.hostname.toLowerCase().includes(q));
    if (status) items = items.filter((m) => status.split(',').includes(String(m.status ?? 'none')));
    if (group) items = items.filter((m) => m.group === group);
    if (kmsHost) items = items.filter((m) => m.kmsHost === kmsHost);
    const sort = String(req.query['sort'] ?? 'hostname');
    const key = sort.replace(/^-/, '') as keyof MachineListItem;
    items = [...items].sort((a, b) => String(a[key] ?? '').localeCompare(String(b[key] ?? '')) * (sort.startsWith('-') ? -1 : 1));
    const offset = Number(req.query['offset'] ?? 0);
    const limit = Number(req.query['limit'] ?? 50);
    res.json({ items: items.slice(offset, offset + limit), total: items.length });
  });
  app.get('/api/v1/machines/:id', (req, res) => {
    const m = fleet.machines.find((x) => x.machineId === req.params.id);
    return m ? res.json(detailOf(m)) : fail(res, 404, 'not-found', 'no such machine');
  });
  app.get('/api/v1/kms-hosts', (_req, res) => res.json({ items: fleet.hosts, total: fleet.hosts.length }));
  app.get('/api/v1/kms-hosts/:id', (req, res) => {
    const k = fleet.hosts.find((x) => x.id === req.params.id);
    return k ? res.json(hostDetail(k)) : fail(res, 404, 'not-found', 'no such KMS host');
  });
  app.get('/api/v1/kms-hosts/:id/forecast', (req, res) => {
    const k = fleet.hosts.find((x) => x.id === req.params.id)!;
    const start = k.windowCount;
    const days = Array.from({ length: 61 }, (_, i) => ({ day: i, at: opts.now() + i * DAY, count: Math.max(0, start - Math.floor(i / (k.id.includes('lyon') ? 2 : 6))) }));
    const below = (th: number) => days.find((d) => d.count < th);
    res.json({
      hostId: k.id,
      hostname: k.hostname,
      at: opts.now(),
      modelledCount: start,
      reportedCount: k.currentCount,
      cap: 50,
      clients: [],
      unnamedClients: { count: 0, agesOutBy: null },
      days,
      crossings: [25, 5].map((th) => ({ threshold: th, alreadyBelow: start < th, at: below(th)?.at ?? null, causedBy: [{ cmid: 'c1', clientFqdn: 'ws-lyon-0009.contoso.com', lastSeenAt: opts.now() - 20 * DAY, agesOutAt: opts.now() + 10 * DAY }], unnamedCausing: 0 })),
    });
  });
  app.get('/api/v1/kms-hosts/:id/blast-radius', (req, res) => {
    const users = fleet.machines.filter((m) => m.kmsHost === req.params.id).slice(0, 40);
    res.json({
      hostId: req.params.id,
      hostname: req.params.id,
      at: opts.now(),
      affected: users.map((m, i) => ({ machineId: m.machineId, hostname: m.hostname, group: m.group, product: 'Windows', licenseStatus: 'Licensed', discovery: 'dns', ootGraceAt: opts.now() + (20 + i) * DAY, notificationAt: opts.now() + (50 + i) * DAY, alreadyInNotification: false, failoverHost: null })),
      coveredByFailover: [],
      byDay: [],
      firstNotificationAt: opts.now() + 50 * DAY,
    });
  });
  app.get('/api/v1/forecast/expiry', (_req, res) => {
    const days = Array.from({ length: 61 }, (_, i) => {
      const date = iso(opts.now() + i * DAY).slice(0, 10);
      const ms = fleet.machines.filter((m) => m.graceExpiresAt && m.status !== 1 && Math.floor((Date.parse(m.graceExpiresAt) - opts.now()) / DAY) === i);
      return { date, from: opts.now() + i * DAY, count: ms.length, machines: ms.map((m) => ({ machineId: m.machineId, hostname: m.hostname, group: m.group, product: 'Windows(R), Enterprise edition', notificationAt: Date.parse(m.graceExpiresAt!), kmsHost: m.kmsHost })) };
    });
    res.json({ at: opts.now(), days, alreadyInNotification: fleet.machines.filter((m) => m.status === 5).length });
  });
  app.get('/api/v1/events', (_req, res) => res.json({ items: [], total: 0 }));
  app.get('/api/v1/alerts/:id', (req, res) => {
    const a = fleet.alerts.find((x) => x.id === req.params.id);
    if (!a) return fail(res, 404, 'not-found', 'no such alert');
    res.json({
      ...a,
      knowledge: {
        meaning: 'The machine is in Notification: Windows nags the user and some features stop until it is activated.',
        cause: 'The KMS activation expired (180 days without a renewal) and the 30-day OOT grace ran out.',
        action: 'Check that the machine reaches its KMS host on TCP 1688, then activate it.',
        hresult: { code: '0xC004F00F', text: 'Hardware out of tolerance (KMS client: activation expired)' },
        commands: ['slmgr /skms kms01.contoso.com:1688', 'slmgr /ato', 'slmgr /dlv'],
      },
      machines: a.subject.kind === 'machine' ? [{ machineId: a.subject.id, hostname: a.subject.name, detail: 'Windows Enterprise, Notification since 2 d' }] : [],
      history: [{ at: a.raisedAt, action: 'raised', by: null, comment: null }, ...(a.state === 'acknowledged' ? [{ at: a.updatedAt, action: 'acknowledged', by: (a as Record<string, unknown>)['acknowledgedBy'] ?? null, comment: null }] : [])],
    });
  });
  app.post('/api/v1/alerts/:id/ack', (req, res) => {
    const s = res.locals['session'] as SessionInfo;
    if (s.role === 'viewer') return fail(res, 403, 'forbidden', 'viewers cannot acknowledge');
    const i = fleet.alerts.findIndex((x) => x.id === req.params.id);
    if (i < 0) return fail(res, 404, 'not-found', 'no such alert');
    const a = { ...fleet.alerts[i]!, state: 'acknowledged' as const, updatedAt: iso(opts.now()), acknowledgedBy: s.username };
    fleet.alerts[i] = a;
    publish('alerts', { type: 'alert', alert: a });
    res.json(a);
  });
  // The policy a hardened deployment would send: the dashboard must work with no inline script and no foreign origin.
  app.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    next();
  });
  app.use(staticWeb(opts.distDir, () => ({ version: 'fake', machines: fleet.machines.length })));

  const http: HttpServer = createServer(app);
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(http);
  const seqs = new Map<string, number>();
  const snapshotOf = (room: Room): RoomSnapshot | null => {
    const at = iso(opts.now());
    const seq = seqs.get(room) ?? 0;
    if (room === 'overview') return { kind: 'overview', room, at, seq, summary: summary() };
    if (room === 'alerts') {
      const s = summary();
      return { kind: 'alerts', room, at, seq, alerts: fleet.alerts, counts: s.alerts };
    }
    if (room === 'machines') return { kind: 'machines', room, at, seq, total: fleet.machines.length };
    if (room === 'events') return { kind: 'events', room, at, seq, latest: [] };
    if (room.startsWith('machine:')) {
      const m = fleet.machines.find((x) => x.machineId === room.slice(8));
      return m ? { kind: 'machine', room, at, seq, machine: detailOf(m) } : null;
    }
    if (room.startsWith('kms-host:')) {
      const k = fleet.hosts.find((x) => x.id === room.slice(9));
      return k ? { kind: 'kms-host', room, at, seq, kmsHost: hostDetail(k) } : null;
    }
    return null;
  };
  let refuseUntil = 0;
  io.use((socket, next) => {
    if (Date.now() < refuseUntil) return next(new Error('collector restarting'));
    return sessionOf(socket.handshake.headers.cookie) ? next() : next(new Error('sign in first'));
  });
  io.on('connection', (socket) => {
    const s = sessionOf(socket.handshake.headers.cookie)!;
    socket.emit('hello', { serverTime: iso(opts.now()), startedAt: iso(opts.now()), session: s, deltaIntervalMs: 250 });
    socket.on('join', (req, ack) => {
      const room = req?.room as Room;
      const snap = snapshotOf(room);
      if (!snap) return ack?.({ ok: false, error: { code: 'not-found', message: 'no such room' } });
      void socket.join(room);
      ack?.({ ok: true, room });
      socket.emit('snapshot', snap);
    });
    socket.on('leave', (req, ack) => {
      void socket.leave(req.room);
      ack?.({ ok: true, room: req.room });
    });
  });
  function publish(room: Room, delta: Delta): void {
    const seq = (seqs.get(room) ?? 0) + 1;
    seqs.set(room, seq);
    io.to(room).emit('delta', [{ room, at: iso(opts.now()), seq, changes: [delta] }]);
  }

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    machines: fleet.machines,
    alerts: fleet.alerts,
    setMachineStatus(machineId, status) {
      const i = fleet.machines.findIndex((m) => m.machineId === machineId);
      const m = { ...fleet.machines[i]!, status, health: healthOf(status), graceExpiresAt: status === 5 ? null : fleet.machines[i]!.graceExpiresAt };
      fleet.machines[i] = m;
      publish('machines', { type: 'machine', machine: m });
      publish(`machine:${machineId}`, { type: 'machine', machine: m });
      publish('overview', { type: 'summary', summary: summary() });
    },
    dropConnections(refuseMs = 0) {
      refuseUntil = Date.now() + refuseMs;
      io.disconnectSockets(true);
    },
    allowConnections() {
      refuseUntil = 0;
    },
    async close() {
      io.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
