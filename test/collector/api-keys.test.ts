// API keys through the real collector (HTTP on port 0, SQLite file, virtual clock): created by admins, shown once,
// stored hashed, used as Authorization: Bearer on the REST API only, expiring on the collector's clock, revocable,
// listed with their last use (written back at most once a minute), and audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import { createCollector } from '../../dashboard/server/collector.js';
import { silentLogger } from '../../dashboard/server/log.js';
import {
  enrolAgent,
  postJson,
  product,
  report,
  SECRET,
  sendBatch,
  signIn,
  snapshot,
  startCollector,
  T0,
  type Harness,
} from '../support/collector-harness.js';

const HOUR = 3_600_000;

async function call(h: Harness, method: string, path: string, auth: { cookie?: string; key?: string }, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.key) headers.authorization = `Bearer ${auth.key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${h.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('API keys (real HTTP, SQLite, virtual clock)', () => {
  let h: Harness;
  let admin: string;
  let operator: string;
  let alertId: string;
  beforeAll(async () => {
    h = await startCollector({ plugins: [alertsPlugin()] });
    admin = await signIn(h);
    await h.collector.users.add('olga', 'operator-pass-1', 'operator');
    operator = await signIn(h, 'olga', 'operator-pass-1');
    const agent = await enrolAgent(h, 'm-a', 'a.contoso.com');
    const notif = snapshot('m-a', 'a.contoso.com', T0, { products: [product({ licenseStatus: 5, licenseStatusReason: 0xc004f00f, graceExpiresAt: null })] });
    expect((await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: notif })])).status).toBe(200);
    const alerts = await call(h, 'GET', '/api/v1/alerts', { cookie: admin });
    alertId = alerts.body.items[0].id;
  });
  afterAll(async () => {
    await h.close();
  });

  const create = (body: unknown, cookie = admin) => call(h, 'POST', '/api/v1/api-keys', { cookie }, body);

  it('shows a new key once, stores only its hash, and never lists the key', async () => {
    const r = await create({ name: 'grafana', role: 'viewer' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'grafana', role: 'viewer', createdBy: 'admin', expiresAt: null, revokedAt: null, lastUsedAt: null });
    expect(r.body.key).toMatch(/^vw_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(r.body.key.slice(3, 15)).toBe(r.body.id);
    const row = h.collector.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(r.body.id) as Record<string, unknown>;
    expect(JSON.stringify(row)).not.toContain(r.body.key.slice(16));
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);

    const list = await call(h, 'GET', '/api/v1/api-keys', { cookie: admin });
    expect(list.status).toBe(200);
    const listed = list.body.items.find((k: { id: string }) => k.id === r.body.id);
    expect(listed).toMatchObject({ name: 'grafana', role: 'viewer' });
    expect(JSON.stringify(list.body)).not.toContain(r.body.key.slice(16));
    expect(JSON.stringify(list.body)).not.toContain(row.key_hash as string);
    expect(listed).not.toHaveProperty('key');
  });

  it('refuses bad input with a readable 400 and a duplicate live name with 409; only admins manage keys', async () => {
    expect((await create({ name: '', role: 'viewer' })).status).toBe(400);
    expect((await create({ name: 'x', role: 'admin' })).body.error.issues[0].path).toContain('role');
    expect((await create({ name: 'x', role: 'viewer', expiresAt: 'tomorrow' })).status).toBe(400);
    const past = await create({ name: 'x', role: 'viewer', expiresAt: new Date(h.clock.now() - 1000).toISOString() });
    expect(past).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('not in the future') } } });
    expect((await create({ name: 'x', role: 'viewer', extra: 1 })).status).toBe(400);
    expect((await create({ name: 'grafana', role: 'operator' })).status).toBe(409);
    expect((await create({ name: 'by-operator', role: 'viewer' }, operator)).status).toBe(403);
    expect((await call(h, 'GET', '/api/v1/api-keys', { cookie: operator })).status).toBe(403);
  });

  it('works as Authorization: Bearer on the REST API with its role, acting as api-key:<name>', async () => {
    const { body: key } = await create({ name: 'siem', role: 'viewer' });
    expect(await call(h, 'GET', '/api/v1/session', { key: key.key })).toEqual({ status: 200, body: { username: 'api-key:siem', role: 'viewer' } });
    expect((await call(h, 'GET', '/api/v1/summary', { key: key.key })).status).toBe(200);
    expect((await call(h, 'GET', '/api/v1/machines', { key: key.key })).body.total).toBe(1);
    // A viewer key is no admin, and no key is ever an admin.
    expect((await call(h, 'GET', '/api/v1/users', { key: key.key })).status).toBe(403);
    expect((await call(h, 'GET', '/api/v1/api-keys', { key: key.key })).status).toBe(403);
    // A key with one wrong character, an unknown id, or another kind of token: 401.
    const last = key.key.at(-1) === 'A' ? 'B' : 'A';
    for (const bad of [`${key.key.slice(0, -1)}${last}`, `vw_000000000000_${key.key.slice(16)}`, 'not-a-key']) {
      expect(await call(h, 'GET', '/api/v1/summary', { key: bad })).toMatchObject({ status: 401, body: { error: { code: 'bad-api-key' } } });
    }
  });

  it("leaves a signed-in browser alone when a proxy adds a Bearer of its own; a vw_ key decides by itself", async () => {
    const headers = (authorization: string) => ({ cookie: admin, authorization });
    const sso = await fetch(`${h.url}/api/v1/session`, { headers: headers('Bearer eyJhbGciOiJSUzI1NiJ9.sso.token') });
    expect(await sso.json()).toEqual({ username: 'admin', role: 'admin' });
    const { body: key } = await create({ name: 'beside-cookie', role: 'viewer' });
    const withKey = await fetch(`${h.url}/api/v1/session`, { headers: headers(`Bearer ${key.key}`) });
    expect(await withKey.json()).toEqual({ username: 'api-key:beside-cookie', role: 'viewer' });
    const badKey = await fetch(`${h.url}/api/v1/session`, { headers: headers(`Bearer ${key.key.slice(0, -2)}xx`) });
    expect(badKey.status).toBe(401);
  });

  it('a viewer key cannot acknowledge (403, audited as refused); an operator key can (audited as api-key:<name>)', async () => {
    const viewerKey = (await create({ name: 'reports', role: 'viewer' })).body.key;
    const refused = await call(h, 'POST', `/api/v1/alerts/${alertId}/ack`, { key: viewerKey }, { comment: 'from a script' });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await call(h, 'GET', `/api/v1/alerts/${alertId}`, { key: viewerKey })).body.state).toBe('new');

    const opKey = (await create({ name: 'runbook', role: 'operator' })).body.key;
    const ok = await call(h, 'POST', `/api/v1/alerts/${alertId}/ack`, { key: opKey }, { comment: 'auto-ack' });
    expect(ok).toMatchObject({ status: 200, body: { state: 'acknowledged', acknowledgedBy: 'api-key:runbook' } });

    const audit = await call(h, 'GET', '/api/v1/audit?action=alert.ack', { cookie: admin });
    expect(audit.status).toBe(200);
    expect(audit.body.items.map((e: any) => [e.actor, e.target, e.outcome, e.status])).toEqual([
      ['api-key:runbook', alertId, 'ok', 200],
      ['api-key:reports', alertId, 'refused', 403],
    ]);
    expect(audit.body.items[0]).toMatchObject({ address: expect.stringMatching(/127\.0\.0\.1/), detail: { comment: 'auto-ack' } });
  });

  it('an expired key gets 401 on the collector clock; a revoked one at once; both stay listed', async () => {
    const expiresAt = new Date(h.clock.now() + 2 * HOUR).toISOString();
    const temp = (await create({ name: 'temp', role: 'viewer', expiresAt })).body;
    expect(temp.expiresAt).toBe(expiresAt);
    expect((await call(h, 'GET', '/api/v1/summary', { key: temp.key })).status).toBe(200);
    h.clock.advanceBy(2 * HOUR);
    expect(await call(h, 'GET', '/api/v1/summary', { key: temp.key })).toMatchObject({ status: 401, body: { error: { message: 'this API key has expired' } } });

    const gone = (await create({ name: 'gone', role: 'operator' })).body;
    expect((await call(h, 'GET', '/api/v1/summary', { key: gone.key })).status).toBe(200);
    const del = await call(h, 'DELETE', `/api/v1/api-keys/${gone.id}`, { cookie: admin });
    expect(del).toMatchObject({ status: 200, body: { id: gone.id, revokedAt: new Date(h.clock.now()).toISOString() } });
    expect(await call(h, 'GET', '/api/v1/summary', { key: gone.key })).toMatchObject({ status: 401, body: { error: { message: 'this API key was revoked' } } });
    expect((await call(h, 'DELETE', `/api/v1/api-keys/${gone.id}`, { cookie: admin })).status).toBe(409);
    expect((await call(h, 'DELETE', '/api/v1/api-keys/000000000000', { cookie: admin })).status).toBe(404);
    // A revoked key's changing attempt is still audited under its name (refused before any route: method and path).
    expect((await call(h, 'POST', `/api/v1/alerts/${alertId}/comment`, { key: gone.key }, { comment: 'late' })).status).toBe(401);
    const audit = await call(h, 'GET', '/api/v1/audit?actor=api-key:gone', { cookie: admin });
    expect(audit.body.items[0]).toMatchObject({ action: `POST /api/v1/alerts/${alertId}/comment`, outcome: 'refused', status: 401 });
    // The name is free again once the key is revoked.
    expect((await create({ name: 'gone', role: 'viewer' })).status).toBe(201);

    const list = (await call(h, 'GET', '/api/v1/api-keys', { cookie: admin })).body.items;
    expect(list.find((k: any) => k.id === temp.id)).toMatchObject({ expiresAt, revokedAt: null });
    expect(list.find((k: any) => k.id === gone.id).revokedAt).not.toBeNull();
  });

  it('is refused on the agent routes: reports and enrolment', async () => {
    const key = (await create({ name: 'agent-impostor', role: 'operator' })).body.key;
    const agent = await enrolAgent(h, 'm-b', 'b.contoso.com');
    const batch = { protocol: 1, reports: [report(agent, 1, h.clock.now(), { snapshot: snapshot('m-b', 'b.contoso.com', h.clock.now()) })] };
    const reports = await postJson(`${h.url}/api/v1/reports`, batch, { authorization: `Bearer ${key}` });
    expect(reports.status).toBe(401);
    const enrol = await postJson(`${h.url}/api/v1/agents/enrol`, { machineId: 'm-c', hostname: 'c.contoso.com' }, { authorization: `Bearer ${key}` });
    expect([400, 401]).toContain(enrol.status);
    const enrolAsSecret = await postJson(`${h.url}/api/v1/agents/enrol`, { secret: key, machineId: 'm-c', hostname: 'c.contoso.com' });
    expect(enrolAsSecret.status).toBe(401);
    expect(h.collector.state.machine('m-c')).toBeUndefined();
    expect(h.collector.state.machine('m-b')!.lastReportAt).toBeNull();
    // The agent's own token still works: the refusal was about the key.
    expect((await sendBatch(h, agent, batch.reports)).status).toBe(200);
  });

  it('records its last use in memory and writes it back at most once a minute per key', async () => {
    const k = (await create({ name: 'busy', role: 'viewer' })).body;
    const lastUsed = () => (h.collector.db.prepare('SELECT last_used_at FROM api_keys WHERE id = ?').get(k.id) as { last_used_at: number | null }).last_used_at;
    const t1 = h.clock.now();
    await call(h, 'GET', '/api/v1/summary', { key: k.key });
    expect(lastUsed()).toBe(t1); // the first use is written at once
    h.clock.advanceBy(10_000);
    for (let i = 0; i < 5; i++) await call(h, 'GET', '/api/v1/summary', { key: k.key });
    expect(lastUsed()).toBe(t1); // not one write per request
    const listed = (await call(h, 'GET', '/api/v1/api-keys', { cookie: admin })).body.items.find((x: any) => x.id === k.id);
    expect(listed).toMatchObject({ lastUsedAt: new Date(t1 + 10_000).toISOString(), lastUsedFrom: expect.stringMatching(/127\.0\.0\.1/) });
    h.clock.advanceBy(60_000);
    await call(h, 'GET', '/api/v1/summary', { key: k.key });
    expect(lastUsed()).toBe(t1 + 70_000);
  });
});

describe('API keys across a restart', () => {
  it('a key keeps working after a restart, and a revoked one stays refused', async () => {
    const h = await startCollector({ keepData: true });
    const admin = await signIn(h);
    const keep = (await call(h, 'POST', '/api/v1/api-keys', { cookie: admin }, { name: 'keep', role: 'viewer' })).body;
    const drop = (await call(h, 'POST', '/api/v1/api-keys', { cookie: admin }, { name: 'drop', role: 'viewer' })).body;
    await call(h, 'DELETE', `/api/v1/api-keys/${drop.id}`, { cookie: admin });
    await h.close();
    const again = await createCollector({
      config: { host: '127.0.0.1', port: 0, dataDir: h.dataDir, enrolmentSecret: SECRET, adminPassword: 'admin-password-1' },
      clock: h.clock,
      scheduler: h.clock,
      log: silentLogger,
    });
    const { url } = await again.listen();
    try {
      const get = (key: string) => fetch(`${url}api/v1/summary`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
      expect(await get(keep.key)).toBe(200);
      expect(await get(drop.key)).toBe(401);
    } finally {
      await again.close();
    }
  });
});
