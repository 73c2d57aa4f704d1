import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorPlugin } from '../../dashboard/server/plugin.js';
import { ApiError } from '../../dashboard/server/http/api-error.js';
import { ADMIN, getJson, postJson, signIn, startCollector, T0, type Harness } from '../support/collector-harness.js';

async function call(h: Harness, method: string, path: string, cookie: string | undefined, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { ...(cookie ? { cookie } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A plug-in route only operators may use, as the alert engine's acknowledge is. */
const ackPlugin: CollectorPlugin = {
  name: 'test-ack',
  migrations: [{ version: 1, description: 'acks', up: 'CREATE TABLE test_acks (who TEXT NOT NULL)' }],
  setup(ctx) {
    ctx.api.post('/test-acks', ctx.requireRole('operator'), (req, res) => {
      ctx.db.prepare('INSERT INTO test_acks (who) VALUES (?)').run(ctx.sessionOf(req).username);
      res.status(201).json({ ok: true });
    });
    ctx.api.get('/test-acks/:id', (req) => {
      throw new ApiError(404, 'not-found', `no ack ${String(req.params.id)}`);
    });
    ctx.api.get('/test-crash', () => {
      throw new Error('secret internals');
    });
  },
};

describe('collector: users, sessions and roles', () => {
  let h: Harness;
  const cookies: Record<string, string> = {};
  beforeAll(async () => {
    h = await startCollector({ plugins: [ackPlugin], config: { signInFailures: 3 } });
    cookies.admin = await signIn(h);
    for (const role of ['viewer', 'operator'] as const) {
      const r = await call(h, 'POST', '/api/v1/users', cookies.admin, { username: role, password: `${role}-password`, role });
      expect(r.status).toBe(201);
      cookies[role] = await signIn(h, role, `${role}-password`);
    }
  });
  afterAll(async () => {
    await h.close();
  });

  it('sets an HttpOnly, SameSite=Strict session cookie', async () => {
    const res = await fetch(`${h.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
    });
    const set = res.headers.get('set-cookie')!;
    expect(set).toMatch(/^vawatch_session=[A-Za-z0-9_-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(await res.json()).toEqual({ username: 'admin', role: 'admin' });
  });

  const matrix: Array<{ what: string; method: string; path: string; body?: unknown; viewer: number; operator: number; admin: number }> = [
    { what: 'read the summary', method: 'GET', path: '/api/v1/summary', viewer: 200, operator: 200, admin: 200 },
    { what: 'list machines', method: 'GET', path: '/api/v1/machines', viewer: 200, operator: 200, admin: 200 },
    { what: 'list events', method: 'GET', path: '/api/v1/events', viewer: 200, operator: 200, admin: 200 },
    { what: 'acknowledge (plug-in route)', method: 'POST', path: '/api/v1/test-acks', body: {}, viewer: 403, operator: 201, admin: 201 },
    { what: 'list users', method: 'GET', path: '/api/v1/users', viewer: 403, operator: 403, admin: 200 },
    { what: 'list agents', method: 'GET', path: '/api/v1/agents', viewer: 403, operator: 403, admin: 200 },
    { what: 'rotate the enrolment secret', method: 'POST', path: '/api/v1/enrolment-secret/rotate', body: {}, viewer: 403, operator: 403, admin: 200 },
    { what: 'add a user', method: 'POST', path: '/api/v1/users', body: { username: 'x', password: 'password-x', role: 'viewer' }, viewer: 403, operator: 403, admin: 201 },
  ];
  it.each(matrix)('$what: viewer $viewer, operator $operator, admin $admin', async ({ method, path, body, ...expected }) => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const r = await call(h, method, path, cookies[role], body);
      if (r.status === 201 && path === '/api/v1/users') await call(h, 'DELETE', '/api/v1/users/x', cookies.admin);
      expect(r.status, `${role} ${method} ${path}: ${JSON.stringify(r.body)}`).toBe(expected[role]);
      if (r.status === 403) expect(r.body.error.code).toBe('forbidden');
    }
  });

  it('refuses everything but sign-in without a session', async () => {
    for (const path of ['/api/v1/summary', '/api/v1/machines', '/api/v1/users', '/api/v1/session']) {
      const r = await getJson(`${h.url}${path}`);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('not-signed-in');
    }
  });

  it('answers unknown API paths, plug-in refusals and crashes with an ErrorBody, never leaking internals', async () => {
    expect(await call(h, 'GET', '/api/v1/nope', cookies.viewer)).toMatchObject({ status: 404, body: { error: { code: 'not-found' } } });
    expect(await call(h, 'GET', '/api/v1/test-acks/7', cookies.viewer)).toEqual({ status: 404, body: { error: { code: 'not-found', message: 'no ack 7' } } });
    const crash = await call(h, 'GET', '/api/v1/test-crash', cookies.viewer);
    expect(crash.status).toBe(500);
    expect(JSON.stringify(crash.body)).not.toContain('secret');
  });

  it('a user may change their own password but not their role; the old sessions end', async () => {
    const own = await call(h, 'PATCH', '/api/v1/users/viewer', cookies.viewer, { password: 'new-viewer-password' });
    expect(own.status).toBe(200);
    expect((await call(h, 'GET', '/api/v1/summary', cookies.viewer)).status).toBe(401);
    cookies.viewer = await signIn(h, 'viewer', 'new-viewer-password');
    expect((await call(h, 'PATCH', '/api/v1/users/viewer', cookies.viewer, { role: 'admin' })).status).toBe(403);
    expect((await call(h, 'PATCH', '/api/v1/users/operator', cookies.viewer, { password: 'hijacked-password' })).status).toBe(403);
  });

  it('keeps at least one admin', async () => {
    const r = await call(h, 'DELETE', '/api/v1/users/admin', cookies.admin);
    expect(r).toMatchObject({ status: 409, body: { error: { code: 'last-admin' } } });
  });

  it('signing out ends the session', async () => {
    const c = await signIn(h, 'operator', 'operator-password');
    expect((await call(h, 'DELETE', '/api/v1/session', c)).status).toBe(204);
    expect((await call(h, 'GET', '/api/v1/summary', c)).status).toBe(401);
  });

  it('limits failed sign-ins with 429 and Retry-After, on the collector clock', async () => {
    const attempt = (password: string) =>
      postJson(`${h.url}/api/v1/session`, { username: 'operator', password });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt('wrong-password')).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const blocked = await attempt('operator-password');
    expect(blocked.status).toBe(429); // even the right password waits
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    h.clock.advanceBy(15 * 60_000 + 1);
    expect((await attempt('operator-password')).status).toBe(200);
  });

  it('serves the status page and health probes without a session', async () => {
    const page = await fetch(`${h.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('vawatch collector');
    expect((await getJson(`${h.url}/healthz`)).status).toBe(200);
    expect((await getJson(`${h.url}/readyz`)).body).toMatchObject({ status: 'ready' });
    expect((await getJson(`${h.url}/api/v1/info`)).body).toMatchObject({ name: 'vawatch', protocol: 1, serverTime: new Date(T0 + 15 * 60_000 + 1).toISOString() });
  });
});
