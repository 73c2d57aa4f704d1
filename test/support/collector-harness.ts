import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, DeltaBatch, Hello, RoomSnapshot, ServerToClientEvents } from '../../shared/socket-events.js';
import type { MachineSnapshot, ProductState, Report } from '../../shared/protocol.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { createCollector, type Collector } from '../../dashboard/server/collector.js';
import type { CollectorConfigInput } from '../../dashboard/server/config.js';
import { silentLogger } from '../../dashboard/server/log.js';
import type { CollectorPlugin } from '../../dashboard/server/plugin.js';

/** Where every collector test starts: 2026-11-01T00:00:00Z. */
export const T0 = Date.parse('2026-11-01T00:00:00Z');
export const SECRET = 'test-enrolment-secret-0123';
export const ADMIN = { username: 'admin', password: 'admin-password-1' };

export interface Harness {
  collector: Collector;
  clock: VirtualClock;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** A real collector on 127.0.0.1:0 with a real SQLite file in a temp folder, driven by a virtual clock. */
export async function startCollector(
  options: { config?: CollectorConfigInput; dataDir?: string; clock?: VirtualClock; plugins?: CollectorPlugin[]; keepData?: boolean } = {},
): Promise<Harness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'vawatch-collector-'));
  const clock = options.clock ?? new VirtualClock(T0);
  const collector = await createCollector({
    config: {
      host: '127.0.0.1',
      port: 0,
      dataDir,
      enrolmentSecret: SECRET,
      adminUsername: ADMIN.username,
      adminPassword: ADMIN.password,
      ...options.config,
    },
    clock,
    scheduler: clock,
    log: silentLogger,
    plugins: options.plugins ?? [],
  });
  const { url } = await collector.listen();
  return {
    collector,
    clock,
    url: url.replace(/\/$/, ''),
    dataDir,
    async close() {
      await collector.close();
      if (!options.keepData && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? safeJson(text) : undefined, headers: res.headers };
}

export async function getJson(url: string, cookie?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers: cookie ? { cookie } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? safeJson(text) : undefined };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface EnrolledAgent {
  agentId: string;
  machineId: string;
  token: string;
}

export async function enrolAgent(h: Harness, machineId: string, hostname: string, extra: Record<string, unknown> = {}): Promise<EnrolledAgent> {
  const r = await postJson(`${h.url}/api/v1/agents/enrol`, { secret: SECRET, machineId, hostname, ...extra });
  if (r.status !== 201) throw new Error(`enrol ${machineId}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as EnrolledAgent;
}

export async function signIn(h: Harness, username = ADMIN.username, password = ADMIN.password): Promise<string> {
  const res = await fetch(`${h.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in ${username}: ${res.status} ${await res.text()}`);
  const set = res.headers.get('set-cookie') ?? '';
  return set.split(';')[0]!;
}

/** A Windows product in a given state. */
export function product(overrides: Partial<ProductState> = {}): ProductState {
  return {
    activationId: 'a1b2c3d4-0000-4000-8000-000000000001',
    applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
    name: 'Windows(R), Enterprise edition',
    description: 'Windows(R) Operating System, VOLUME_KMSCLIENT channel',
    channel: 'kms-client',
    primary: true,
    licenseStatus: 1,
    licenseStatusReason: 0,
    graceExpiresAt: new Date(T0 + 180 * 86_400_000).toISOString(),
    partialProductKey: 'ABCDE',
    kmsHost: { name: 'kms01.contoso.com', port: 1688, source: 'dns' },
    rearmsRemaining: 1000,
    ...overrides,
  };
}

export function snapshot(machineId: string, hostname: string, at: number, overrides: Partial<MachineSnapshot> = {}): MachineSnapshot {
  return {
    machineId,
    hostname,
    group: 'HQ',
    os: { caption: 'Microsoft Windows 11 Enterprise', version: '10.0.22631', kind: 'client' },
    cmid: `cmid-${machineId}`,
    products: [product()],
    collectedAt: new Date(at).toISOString(),
    ...overrides,
  };
}

export function report(agent: EnrolledAgent, seq: number, at: number, fields: Partial<Report> = {}, epoch = 1): Report {
  return { protocol: 1, agentId: agent.agentId, epoch, seq, sentAt: new Date(at).toISOString(), ...fields } as Report;
}

export async function sendBatch(h: Harness, agent: EnrolledAgent, reports: unknown[]): Promise<{ status: number; body: any; headers: Headers }> {
  return postJson(`${h.url}/api/v1/reports`, { protocol: 1, reports }, { authorization: `Bearer ${agent.token}` });
}

/** Row counts of the tables a refusal must leave untouched. */
const COUNTED_TABLES = ['machines', 'events', 'state_history', 'kms_hosts', 'kms_clients', 'agent_seqs'] as const;
export function storeCounts(h: Harness): Record<(typeof COUNTED_TABLES)[number] | 'snapshots', number> {
  const n = (sql: string) => (h.collector.db.prepare(sql).get() as { n: number }).n;
  const out = { snapshots: n('SELECT COUNT(*) AS n FROM machines WHERE snapshot IS NOT NULL') } as Record<(typeof COUNTED_TABLES)[number] | 'snapshots', number>;
  for (const t of COUNTED_TABLES) out[t] = n(`SELECT COUNT(*) AS n FROM ${t}`);
  return out;
}

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A real socket.io client signed in with a session cookie; records what it receives. */
export async function connectLive(h: Harness, cookie: string): Promise<{ socket: LiveSocket; snapshots: RoomSnapshot[]; deltas: DeltaBatch[]; hello: Promise<Hello> }> {
  const socket: LiveSocket = connect(h.url, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false, forceNew: true });
  const snapshots: RoomSnapshot[] = [];
  const deltas: DeltaBatch[] = [];
  socket.on('snapshot', (s) => snapshots.push(s));
  socket.on('delta', (b) => deltas.push(...b));
  const hello = new Promise<Hello>((resolve) => socket.once('hello', resolve));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (e) => reject(e));
  });
  return { socket, snapshots, deltas, hello };
}

/**
 * Waits (real time, bounded) until `check` holds; for network round trips only, never for the collector's clock. The
 * deadline is generous (a loaded 2-core machine runs several test files at once): it bounds a hang, it is no SLA.
 */
export async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
