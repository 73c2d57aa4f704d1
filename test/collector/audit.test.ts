// The audit log through the real collector (HTTP on port 0, SQLite file, virtual clock): every sign-in (and failed
// one), sign-out, alert action, threshold change, user / key / agent / machine change is recorded with who, when,
// from where, what and how it ended; admins page through it newest first, filter it, and export it as CSV that a
// spreadsheet cannot run; it stays bounded by age and count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import { AuditLog } from '../../dashboard/server/audit/audit-log.js';
import { csvCell } from '../../dashboard/server/audit/audit-routes.js';
import {
  ADMIN,
  enrolAgent,
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

const DAY = 86_400_000;

async function call(h: Harness, method: string, path: string, cookie: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { ...(cookie ? { cookie } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json, text, headers: res.headers };
}

/** Parses RFC 4180 CSV (quoted cells, doubled quotes, CRLF) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      (row = []), (cell = ''), i++;
    } else cell += c;
  }
  return rows;
}

describe('audit log (real HTTP, SQLite, virtual clock)', () => {
  let h: Harness;
  let admin: string;
  let alertId: string;
  beforeAll(async () => {
    h = await startCollector({ plugins: [alertsPlugin()], config: { signInFailures: 3 } });
    const agent = await enrolAgent(h, 'm-a', 'a.contoso.com');
    const notif = snapshot('m-a', 'a.contoso.com', T0, { products: [product({ licenseStatus: 5, licenseStatusReason: 0xc004f00f, graceExpiresAt: null })] });
    expect((await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: notif })])).status).toBe(200);
    const other = await enrolAgent(h, 'm-b', 'b.contoso.com');
    expect((await sendBatch(h, other, [report(other, 1, T0, { snapshot: snapshot('m-b', 'b.contoso.com', T0) })])).status).toBe(200);
    admin = await signIn(h);
    alertId = (await call(h, 'GET', '/api/v1/alerts', admin)).body.items[0].id;
  });
  afterAll(async () => {
    await h.close();
  });

  const audit = async (query = '') => (await call(h, 'GET', `/api/v1/audit${query}`, admin)).body.items as any[];

  it('records sign-ins, failed and throttled ones, and sign-outs, with the address and the collector clock', async () => {
    h.clock.advanceBy(60_000);
    const at = new Date(h.clock.now()).toISOString();
    await h.collector.users.add('olga', 'operator-pass-1', 'operator');
    for (let i = 0; i < 4; i++) await postJson(`${h.url}/api/v1/session`, { username: 'olga', password: 'wrong-password' });
    h.clock.advanceBy(16 * 60_000);
    const olga = await signIn(h, 'olga', 'operator-pass-1');
    expect((await call(h, 'DELETE', '/api/v1/session', olga)).status).toBe(204);
    // A sign-out without a session names nobody and is not recorded.
    expect((await call(h, 'DELETE', '/api/v1/session', undefined)).status).toBe(204);

    const items = (await audit('?actor=olga')).reverse();
    expect(items.map((e) => [e.action, e.outcome, e.status])).toEqual([
      ['sign-in', 'refused', 401],
      ['sign-in', 'refused', 401],
      ['sign-in', 'refused', 401],
      ['sign-in', 'refused', 429],
      ['sign-in', 'ok', 200],
      ['sign-out', 'ok', 204],
    ]);
    expect(items[0]).toMatchObject({ at, address: expect.stringMatching(/127\.0\.0\.1/), target: null, detail: null });
    expect(items[4].at).toBe(new Date(h.clock.now()).toISOString());
    // The password never lands in the log.
    expect(JSON.stringify(h.collector.db.prepare('SELECT * FROM audit_log').all())).not.toMatch(/wrong-password|operator-pass-1/);
  });

  it('records user, agent, machine, enrolment-secret and threshold changes with what changed and no secret', async () => {
    expect((await call(h, 'POST', '/api/v1/users', admin, { username: 'vic', password: 'viewer-pass-1', role: 'viewer' })).status).toBe(201);
    expect((await call(h, 'PATCH', '/api/v1/users/vic', admin, { role: 'operator', password: 'changed-pass-2' })).status).toBe(200);
    expect((await call(h, 'DELETE', '/api/v1/users/vic', admin)).status).toBe(204);
    expect((await call(h, 'PATCH', '/api/v1/machines/m-b', admin, { group: 'Branch' })).status).toBe(200);
    const rotated = await call(h, 'POST', '/api/v1/enrolment-secret/rotate', admin, {});
    expect(rotated.status).toBe(200);
    const settings = { rules: [{ rule: 'GraceExpiring', warningDays: 21 }], groups: {} };
    expect((await call(h, 'PUT', '/api/v1/alerts/settings', admin, settings)).status).toBe(200);
    const agentId = (await call(h, 'GET', '/api/v1/agents', admin)).body.items.find((a: any) => a.machineId === 'm-b').agentId;
    expect((await call(h, 'POST', `/api/v1/agents/${agentId}/revoke`, admin, {})).status).toBe(200);
    expect((await call(h, 'POST', '/api/v1/machines/m-b/retire', admin, { reason: 'sold' })).status).toBe(200);

    const items = (await audit('?actor=admin&limit=8')).reverse();
    expect(items.map((e) => [e.action, e.target, e.detail, e.outcome])).toEqual([
      ['user.create', 'vic', { role: 'viewer' }, 'ok'],
      ['user.update', 'vic', { role: 'operator', password: 'changed' }, 'ok'],
      ['user.remove', 'vic', null, 'ok'],
      ['machine.group', 'm-b', { group: 'Branch', was: 'HQ' }, 'ok'],
      ['enrolment-secret.rotate', null, null, 'ok'],
      ['alert-settings.update', null, settings, 'ok'],
      ['agent.revoke', agentId, null, 'ok'],
      ['machine.retire', 'm-b', { reason: 'sold' }, 'ok'],
    ]);
    const all = JSON.stringify(h.collector.db.prepare('SELECT * FROM audit_log').all());
    expect(all).not.toContain(rotated.body.secret);
    expect(all).not.toContain('viewer-pass-1');
    expect(all).not.toContain('changed-pass-2');
  });

  it('records alert acknowledgements, comments and silences, and refusals with their status', async () => {
    await h.collector.users.add('nina', 'viewer-pass-9', 'viewer');
    const nina = await signIn(h, 'nina', 'viewer-pass-9');
    const olga = await signIn(h, 'olga', 'operator-pass-1');
    expect((await call(h, 'POST', `/api/v1/alerts/${alertId}/ack`, nina, {})).status).toBe(403);
    expect((await call(h, 'POST', `/api/v1/alerts/${alertId}/ack`, olga, { comment: 'on it' })).status).toBe(200);
    expect((await call(h, 'POST', `/api/v1/alerts/${alertId}/comment`, olga, { comment: 'rebooted kms01' })).status).toBe(200);
    expect((await call(h, 'POST', `/api/v1/alerts/${alertId}/silence`, olga, { minutes: 60, reason: 'change window' })).status).toBe(200);
    expect((await call(h, 'POST', `/api/v1/alerts/${alertId}/comment`, olga, { comment: '' })).status).toBe(400);
    expect((await call(h, 'POST', '/api/v1/alerts/no-such-alert/ack', olga, {})).status).toBe(404);
    expect((await call(h, 'PUT', '/api/v1/alerts/settings', olga, { rules: [] })).status).toBe(403);

    const items = (await audit('?limit=7')).reverse();
    expect(items.map((e) => [e.actor, e.action, e.target, e.outcome, e.status])).toEqual([
      ['nina', 'alert.ack', alertId, 'refused', 403],
      ['olga', 'alert.ack', alertId, 'ok', 200],
      ['olga', 'alert.comment', alertId, 'ok', 200],
      ['olga', 'alert.silence', alertId, 'ok', 200],
      ['olga', 'alert.comment', alertId, 'refused', 400],
      ['olga', 'alert.ack', 'no-such-alert', 'refused', 404],
      ['olga', 'alert-settings.update', null, 'refused', 403],
    ]);
    expect(items[1].detail).toEqual({ comment: 'on it' });
    expect(items[3].detail).toEqual({ until: new Date(h.clock.now() + 3_600_000).toISOString(), reason: 'change window' });
  });

  it('pages newest first with a before cursor and filters by actor and action; admins only', async () => {
    const first = (await call(h, 'GET', '/api/v1/audit?limit=5', admin)).body;
    expect(first.items).toHaveLength(5);
    const ids = first.items.map((e: any) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(first.nextBefore).toBe(ids[4]);
    const second = (await call(h, 'GET', `/api/v1/audit?limit=5&before=${first.nextBefore}`, admin)).body;
    expect(second.items[0].id).toBeLessThan(ids[4]);
    const everything: any[] = [];
    let before: number | null = null;
    do {
      const page: any = (await call(h, 'GET', `/api/v1/audit?limit=7${before ? `&before=${before}` : ''}`, admin)).body;
      everything.push(...page.items);
      before = page.nextBefore;
    } while (before !== null);
    const total = (h.collector.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
    expect(everything).toHaveLength(total);
    expect(new Set(everything.map((e) => e.id)).size).toBe(total);

    expect((await audit('?action=alert.silence')).every((e) => e.action === 'alert.silence')).toBe(true);
    expect((await audit('?action=alert.silence&actor=nina'))).toEqual([]);
    expect((await call(h, 'GET', '/api/v1/audit?limit=0', admin)).status).toBe(400);
    expect((await call(h, 'GET', '/api/v1/audit?sort=x', admin)).status).toBe(400);
    const olga = await signIn(h, 'olga', 'operator-pass-1');
    expect((await call(h, 'GET', '/api/v1/audit', olga)).status).toBe(403);
  });

  it('exports CSV (?format=csv or Accept: text/csv) with proper quoting, safe from formula injection', async () => {
    // A hostile name tried at sign-in and a hostile comment: both reach the log as text.
    await postJson(`${h.url}/api/v1/session`, { username: '=HYPERLINK("http://evil")', password: 'x' });
    const olga = await signIn(h, 'olga', 'operator-pass-1');
    await call(h, 'POST', `/api/v1/alerts/${alertId}/comment`, olga, { comment: '+1, "quoted"\nsecond line' });

    const csv = await call(h, 'GET', '/api/v1/audit?format=csv&limit=3', admin);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toContain('attachment');
    const rows = parseCsv(csv.text);
    expect(rows[0]).toEqual(['id', 'time', 'actor', 'address', 'action', 'target', 'outcome', 'status', 'detail']);
    expect(rows).toHaveLength(4);
    expect(rows[1]!.slice(2, 8)).toEqual(['olga', expect.stringMatching(/127\.0\.0\.1/), 'alert.comment', alertId, 'ok', '200']);
    expect(JSON.parse(rows[1]![8]!)).toEqual({ comment: '+1, "quoted"\nsecond line' });
    expect(rows[2]!.slice(2, 5)).toEqual(['olga', expect.any(String), 'sign-in']);
    expect(rows[3]!.slice(2, 5)).toEqual([`'=HYPERLINK("http://evil")`, expect.any(String), 'sign-in']);

    const byAccept = await call(h, 'GET', '/api/v1/audit?actor=olga', admin, undefined, { accept: 'text/csv' });
    expect(byAccept.headers.get('content-type')).toMatch(/^text\/csv/);
    const total = (h.collector.db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE actor = 'olga'").get() as { n: number }).n;
    expect(parseCsv(byAccept.text)).toHaveLength(total + 1);

    expect(csvCell('=1+1')).toBe(`"'=1+1"`);
    expect(csvCell('-2')).toBe(`"'-2"`);
    expect(csvCell('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell(403)).toBe('403');
  });
});

describe('audit log storage', () => {
  it('appends in batches: nothing is written until the flush, then one transaction holds them all', async () => {
    const h = await startCollector();
    try {
      const log = new AuditLog(h.collector.db, h.clock, { retentionMs: DAY, maxEntries: 100, flushMs: 60_000 });
      const count = () => (h.collector.db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE actor = 'batch'").get() as { n: number }).n;
      for (let i = 0; i < 3; i++) log.append({ actor: 'batch', address: '10.0.0.1', action: 'test', outcome: 'ok', status: 200 });
      expect(count()).toBe(0);
      expect(log.page({ actor: 'batch', limit: 10 }).items).toHaveLength(3); // a read flushes first
      expect(count()).toBe(3);
      log.close();
    } finally {
      await h.close();
    }
  });

  it('is pruned by age and by count, in slices', async () => {
    const h = await startCollector();
    try {
      const log = new AuditLog(h.collector.db, h.clock, { retentionMs: 10 * DAY, maxEntries: 8, pruneSlice: 2 });
      for (let i = 0; i < 5; i++) log.append({ actor: 'old', address: '', action: 'a', outcome: 'ok', status: 200 });
      h.clock.advanceBy(11 * DAY);
      for (let i = 0; i < 12; i++) log.append({ actor: 'new', address: '', action: 'a', outcome: 'ok', status: 200 });
      const slices: number[] = [];
      const removed = await log.prune(async () => void slices.push(1));
      expect(removed).toBe(5 + 4);
      expect(slices.length).toBe(2 + 2); // 5 by age in 3 statements, 4 by count in 3 (the last of each finds < 2 rows)
      const left = log.read({ limit: 100 });
      expect(left).toHaveLength(8);
      expect(left.every((e) => e.actor === 'new')).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('the daily prune keeps the log within auditRetentionDays on the collector clock', async () => {
    const h = await startCollector({ config: { auditRetentionDays: 30 } });
    try {
      await signIn(h);
      await postJson(`${h.url}/api/v1/session`, { username: ADMIN.username, password: 'wrong' });
      const count = () => (h.collector.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
      h.collector.audit.flush();
      expect(count()).toBe(2);
      h.clock.advanceBy(31 * DAY);
      await until(() => count() === 0, 'the scheduled prune');
    } finally {
      await h.close();
    }
  });
});
