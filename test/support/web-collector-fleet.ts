// The real collector for the dashboard's end-to-end tests: createCollector on 127.0.0.1:0 with a temporary SQLite
// file, the wall clock (the browser judges time by it too) and the built dashboard, filled through its real ingest
// API — agents enrol with the secret and POST report batches, exactly as `npm run agent` does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EventRecord, MachineSnapshot, ProductState, Report } from '../../shared/protocol.js';
import { createCronScheduler } from '../../platform/cron-scheduler.js';
import { createCollector, type Collector } from '../../dashboard/server/collector.js';
import { defaultPlugins } from '../../dashboard/server/default-plugins.js';
import { silentLogger } from '../../dashboard/server/log.js';

const DAY = 86_400_000;
const MINUTE = 60_000;
export const WEB_SECRET = 'web-e2e-enrolment-secret';
export const WEB_USERS = {
  admin: { username: 'admin', password: 'admin-password-1' },
  operator: { username: 'olivia', password: 'operator-password-1' },
  viewer: { username: 'victor', password: 'viewer-password-1' },
} as const;
export const HOSTILE_HOSTNAME = '<img src=x onerror=alert(1)>';

export interface FleetMachine {
  machineId: string;
  hostname: string;
  group: string;
  kind: 'client' | 'server';
  kmsHost: string | null;
  status: number;
  /** For KMS hosts: the count history to report, oldest first, as [days ago, count]. */
  kmsCounts?: Array<[number, number]>;
  /** For KMS hosts: the Office host product's count (volume Office has its own count and threshold, 5). */
  officeCount?: number;
  /** Volume Office installed (Office LTSC Professional Plus 2021, a KMS client of the same host). */
  office?: boolean;
  /** The OS caption, when not the default of its kind. */
  caption?: string;
  /** Activated by an Active Directory activation object (ADBA): channel `ad-based`, no KMS host. */
  adba?: boolean;
}

export interface WebCollector {
  collector: Collector;
  url: string;
  machines: FleetMachine[];
  /** Sends a new snapshot of a machine with its primary product in `status`, through the ingest API. */
  report(machineId: string, status: number): Promise<void>;
  /** A signed-in fetch for comparing the page with the API. */
  api<T = unknown>(pathname: string, user?: keyof typeof WEB_USERS): Promise<T>;
  /** The HTTP status of a signed-in GET (404 tells a route this collector does not have). */
  status(pathname: string, user?: keyof typeof WEB_USERS): Promise<number>;
  close(): Promise<void>;
}

const WINDOWS_APP = '55c92734-d682-4d71-983e-d6ec3f16059f';
const OFFICE_APP = '0ff1ce15-a989-479d-af46-f275c6370663';
/** Office LTSC Professional Plus 2021's KMS client activation ID (shared/kms-rules.ts). */
const OFFICE_2021_PROPLUS = 'fbdb3e18-a8ef-4fb3-9183-dffd60bd0984';
/** A KMS host nobody runs an agent on: known only through its clients' requests (12288) and its answers (12289). */
export const AGENTLESS_KMS_HOST = 'kms-paris.contoso.com';
/** The activation object of the fleet's ADBA site. */
export const AD_OBJECT = { objectName: 'Windows 11 Enterprise Volume (ADBA)', objectDn: 'CN=Windows 11 Enterprise Volume (ADBA),CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=contoso,DC=com' };

function product(m: FleetMachine, status: number, now: number, i: number): ProductState {
  const grace =
    status === 1 ? now + (168 + ((i * 37) % 12)) * DAY : status === 3 ? now + (4 + ((i * 11) % 26)) * DAY : status === 2 ? now + (10 + (i % 20)) * DAY : null;
  return {
    activationId: m.kind === 'server' ? 'c052f164-cdf6-409a-a0cb-853ba0f0f55a' : '73111121-5638-40f6-bc11-f1d7b0d64300',
    applicationId: WINDOWS_APP,
    name: m.kind === 'server' ? 'Windows(R), ServerStandard edition' : 'Windows(R), Enterprise edition',
    description: 'Windows(R) Operating System, VOLUME_KMSCLIENT channel',
    channel: 'kms-client',
    primary: true,
    licenseStatus: status as ProductState['licenseStatus'],
    licenseStatusReason: status === 5 ? 0xc004f00f : status === 0 ? 0xc004f014 : 0,
    graceExpiresAt: grace === null ? null : new Date(grace).toISOString(),
    partialProductKey: m.kind === 'server' ? 'DPH2V' : 'XGVPP',
    kmsHost: m.kmsHost ? { name: m.kmsHost, port: 1688, source: 'dns' } : null,
    rearmsRemaining: 1001,
    renewalIntervalMinutes: 10080,
    activationIntervalMinutes: 120,
  };
}

/** A mid-sized fleet: two KMS hosts (HQ healthy, the Lyon branch below 25), clients and servers, a few in trouble. */
export function webFleet(): FleetMachine[] {
  const out: FleetMachine[] = [
    { machineId: 'kms01', hostname: 'kms01.contoso.com', group: 'HQ', kind: 'server', kmsHost: null, status: 1, kmsCounts: [[28, 44], [21, 47], [14, 50], [7, 50], [1, 50]], officeCount: 10 },
    { machineId: 'kms-lyon', hostname: 'kms-lyon.contoso.com', group: 'branch-lyon', kind: 'server', kmsHost: null, status: 1, kmsCounts: [[28, 31], [21, 28], [14, 25], [9, 23], [4, 21], [1, 19]], officeCount: 3 },
  ];
  const add = (n: number, group: string, kind: 'client' | 'server', kmsHost: string, prefix: string) => {
    for (let i = 0; i < n; i++) {
      const idx = out.length;
      const status = idx % 17 === 6 ? 3 : idx % 23 === 9 ? 5 : idx % 29 === 13 ? 0 : idx % 19 === 4 ? 2 : 1;
      out.push({ machineId: `${prefix}-${String(i + 1).padStart(3, '0')}`, hostname: `${prefix}-${String(i + 1).padStart(3, '0')}.contoso.com`, group, kind, kmsHost, status });
    }
  };
  add(34, 'HQ', 'client', 'kms01.contoso.com', 'ws-hq');
  add(14, 'branch-lyon', 'client', 'kms-lyon.contoso.com', 'ws-lyon');
  add(10, 'datacenter', 'server', 'kms01.contoso.com', 'srv-dc');
  add(6, 'branch-paris', 'client', AGENTLESS_KMS_HOST, 'ws-paris');
  // An ADBA site: activated by an AD activation object, no KMS host.
  for (let i = 1; i <= 3; i++) out.push({ machineId: `ws-oslo-00${i}`, hostname: `ws-oslo-00${i}.contoso.com`, group: 'branch-oslo', kind: 'client', kmsHost: null, status: 1, adba: true });
  // Today's fleet: Windows 10 beside 11 and Server 2025 beside 2022, volume Office on part of it.
  for (const [i, m] of out.entries()) {
    if (m.kmsCounts) continue;
    if (m.kind === 'client' && i % 4 === 1) m.caption = 'Microsoft Windows 10 Enterprise';
    if (m.kind === 'server' && i % 3 === 0) m.caption = 'Microsoft Windows Server 2025 Datacenter';
    if (m.kind === 'client' && i % 3 === 0) m.office = true;
  }
  out.push({ machineId: 'hostile-01', hostname: HOSTILE_HOSTNAME, group: 'HQ', kind: 'client', kmsHost: 'kms01.contoso.com', status: 1 });
  return out;
}

function officeProduct(m: FleetMachine, now: number): ProductState {
  return {
    activationId: OFFICE_2021_PROPLUS,
    applicationId: OFFICE_APP,
    name: 'Office 21, Office21ProPlus2021VL_KMS_Client_AE edition',
    description: 'Office 21, VOLUME_KMSCLIENT channel',
    channel: 'kms-client',
    primary: false,
    licenseStatus: 1,
    licenseStatusReason: 0,
    graceExpiresAt: new Date(now + 170 * DAY).toISOString(),
    partialProductKey: '6F7TH',
    kmsHost: m.kmsHost ? { name: m.kmsHost, port: 1688, source: 'dns' } : null,
    rearmsRemaining: 1,
    renewalIntervalMinutes: 10080,
    activationIntervalMinutes: 120,
  };
}

/** A client's request to its KMS host (12288) and the host's answer carrying its count (12289). */
function askedAndAnswered(m: FleetMachine, t: number, count: number): EventRecord[] {
  const when = new Date(t).toISOString().slice(0, 16).replace('T', ' ');
  return [
    {
      log: 'Application',
      provider: 'Microsoft-Windows-Security-SPP',
      id: 12288,
      recordId: 1,
      time: new Date(t).toISOString(),
      payload: { kind: 'activation-request', hresult: 0, statusFlags: 0, kmsHost: m.kmsHost, kmsPort: 1688, cmid: `cmid-${m.machineId}`, clientTime: when, vmFlag: 0, licenseStatus: 1, minutesToExpiry: 250_000, activationId: '73111121-5638-40f6-bc11-f1d7b0d64300', nPolicy: 25 },
    },
    {
      log: 'Application',
      provider: 'Microsoft-Windows-Security-SPP',
      id: 12289,
      recordId: 2,
      time: new Date(t + 1000).toISOString(),
      payload: { kind: 'activation-response', hresult: 0, statusFlags: 0, activated: true, currentCount: count, activationIntervalMinutes: 120, renewalIntervalMinutes: 10080, clientTime: when, notEnoughCount: false },
    },
  ];
}

function kmsRequestEvents(host: FleetMachine, clients: FleetMachine[], now: number, firstRecord: number): EventRecord[] {
  return clients.map((c, i) => {
    // The newest request minutes ago (an active host), the rest spread over the 30-day window.
    const t = i === 0 ? now - 5 * MINUTE : now - ((i * 3 + 1) % 27) * DAY - i * 7 * MINUTE;
    return {
      log: 'Key Management Service',
      provider: 'Microsoft-Windows-Security-SPP',
      id: 12290,
      recordId: firstRecord + i,
      time: new Date(t).toISOString(),
      payload: {
        kind: 'kms-request',
        hresult: i % 9 === 4 ? 0xc004f06c : 0,
        nPolicy: c.kind === 'client' ? 25 : 5,
        clientFqdn: c.hostname,
        cmid: `cmid-${c.machineId}`,
        clientTime: new Date(t).toISOString().slice(0, 16).replace('T', ' '),
        isVm: false,
        licenseStatus: c.status,
        minutesToExpiry: 259_200,
        activationId: '73111121-5638-40f6-bc11-f1d7b0d64300',
      },
    };
  });
}

export async function startWebCollector(webDir: string): Promise<WebCollector> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vawatch-web-e2e-'));
  const scheduler = createCronScheduler();
  const collector = await createCollector({
    config: { host: '127.0.0.1', port: 0, dataDir, enrolmentSecret: WEB_SECRET, adminUsername: WEB_USERS.admin.username, adminPassword: WEB_USERS.admin.password, webDir },
    clock: scheduler,
    scheduler,
    log: silentLogger,
    plugins: defaultPlugins(),
  });
  const { url: raw } = await collector.listen();
  const url = raw.replace(/\/$/, '');
  const cookies = new Map<string, string>();

  async function signIn(user: keyof typeof WEB_USERS): Promise<string> {
    const known = cookies.get(user);
    if (known) return known;
    const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(WEB_USERS[user]) });
    if (res.status !== 200) throw new Error(`sign-in ${user}: ${res.status} ${await res.text()}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    cookies.set(user, cookie);
    return cookie;
  }
  async function call(method: string, pathname: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${url}${pathname}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  const adminCookie = await signIn('admin');
  for (const role of ['operator', 'viewer'] as const) {
    const r = await call('POST', '/api/v1/users', { ...WEB_USERS[role], role }, { cookie: adminCookie });
    if (r.status >= 300) throw new Error(`create ${role}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  const machines = webFleet();
  const agents = new Map<string, { agentId: string; token: string; seq: number }>();
  const now = Date.now();

  const snapshotOf = (m: FleetMachine, status: number, at: number, i: number, count?: number): MachineSnapshot => ({
    machineId: m.machineId,
    hostname: m.hostname,
    group: m.group,
    os:
      m.kind === 'server'
        ? { caption: m.caption ?? 'Microsoft Windows Server 2022 Standard', version: m.caption?.includes('2025') ? '10.0.26100' : '10.0.20348', kind: 'server' }
        : { caption: m.caption ?? 'Microsoft Windows 11 Enterprise', version: m.caption?.includes('10') ? '10.0.19045' : '10.0.22631', kind: 'client' },
    cmid: `cmid-${m.machineId}`,
    products: m.kmsCounts
      ? [
          {
            ...product(m, 1, at, i),
            name: 'Windows(R), ServerStandard edition',
            description: 'Windows(R) Operating System, VOLUME_KMS_2012-R2_WIN10 channel',
            channel: 'kms-host',
            graceExpiresAt: null,
            kmsHost: null,
          },
        ]
      : m.adba
        ? [{ ...product(m, status, at, i), channel: 'ad-based', kmsHost: null, vlActivationType: 1, adActivation: AD_OBJECT }]
        : [product(m, status, at, i), ...(m.office ? [officeProduct(m, at)] : [])],
    ...(m.kmsCounts
      ? {
          kmsService: {
            currentCount: count ?? null,
            requiredClientCount: 25,
            listeningPort: 1688,
            dnsPublishing: true,
            lowPriority: false,
            requests: { total: 900 + i, failed: 12, unlicensed: 3, licensed: 820, oobGrace: 40, ootGrace: 20, nonGenuineGrace: 0, notification: 5 },
            serviceRunning: true,
            listening: true,
            applications: [
              { applicationId: WINDOWS_APP, name: 'Windows(R), ServerStandard edition', currentCount: count ?? null, requiredClientCount: 25 },
              ...(m.officeCount !== undefined ? [{ applicationId: OFFICE_APP, name: 'Office 21, Office21KMSHostVL_KMS_Host edition', currentCount: m.officeCount, requiredClientCount: 5 }] : []),
            ],
          },
        }
      : {}),
    collectedAt: new Date(at).toISOString(),
  });

  async function send(m: FleetMachine, reports: Array<Omit<Report, 'protocol' | 'agentId' | 'epoch' | 'seq'>>): Promise<void> {
    let agent = agents.get(m.machineId);
    if (!agent) {
      const r = await call('POST', '/api/v1/agents/enrol', { secret: WEB_SECRET, machineId: m.machineId, hostname: m.hostname }, {});
      if (r.status !== 201) throw new Error(`enrol ${m.machineId}: ${r.status} ${JSON.stringify(r.body)}`);
      const b = r.body as { agentId: string; token: string };
      agent = { agentId: b.agentId, token: b.token, seq: 0 };
      agents.set(m.machineId, agent);
    }
    const a = agent;
    const batch = { protocol: 1, reports: reports.map((r) => ({ protocol: 1, agentId: a.agentId, epoch: 1, seq: ++a.seq, ...r })) };
    const r = await call('POST', '/api/v1/reports', batch, { authorization: `Bearer ${a.token}` });
    if (r.status !== 200) throw new Error(`report ${m.machineId}: ${r.status} ${JSON.stringify(r.body)}`);
    const refused = (r.body as { refused?: unknown[] }).refused;
    if (refused?.length) throw new Error(`report ${m.machineId} refused: ${JSON.stringify(refused)}`);
  }

  // Clients first, then the hosts with their count history (reports dated in the past, as a fast-forwarded agent
  // sends them) and the 12290 requests their clients made.
  await Promise.all(
    machines
      .filter((m) => !m.kmsCounts)
      .map((m, i) =>
        send(m, [
          {
            sentAt: new Date(now - 2 * MINUTE).toISOString(),
            snapshot: snapshotOf(m, m.status, now - 2 * MINUTE, i),
            // Clients of the host nobody runs an agent on: their requests and its answers are all there is to know of it.
            ...(m.kmsHost === AGENTLESS_KMS_HOST ? { events: askedAndAnswered(m, now - (3 + i % 20) * DAY, 31) } : {}),
          },
        ]),
      ),
  );
  for (const [i, host] of machines.filter((m) => m.kmsCounts).entries()) {
    const clients = machines.filter((m) => m.kmsHost === host.hostname);
    const history = host.kmsCounts!.map(([daysAgo, count]) => {
      const at = now - daysAgo * DAY;
      return { sentAt: new Date(at).toISOString(), snapshot: snapshotOf(host, 1, at, i, count) };
    });
    await send(host, history);
    await send(host, [{ sentAt: new Date(now - MINUTE).toISOString(), events: kmsRequestEvents(host, clients, now, 1000) }]);
  }

  return {
    collector,
    url,
    machines,
    async report(machineId, status) {
      const m = machines.find((x) => x.machineId === machineId);
      if (!m) throw new Error(`no machine ${machineId}`);
      m.status = status;
      const t = Date.now();
      await send(m, [{ sentAt: new Date(t).toISOString(), snapshot: snapshotOf(m, status, t, 0) }]);
    },
    async api<T>(pathname: string, user: keyof typeof WEB_USERS = 'admin') {
      const r = await call('GET', pathname, undefined, { cookie: await signIn(user) });
      if (r.status !== 200) throw new Error(`GET ${pathname}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as T;
    },
    async status(pathname: string, user: keyof typeof WEB_USERS = 'admin') {
      return (await call('GET', pathname, undefined, { cookie: await signIn(user) })).status;
    },
    async close() {
      await collector.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
