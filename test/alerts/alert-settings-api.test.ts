import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAlertSettings } from '../../dashboard/alerts/alert-settings.js';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
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

const DAY = 86_400_000;

async function putJson(url: string, body: unknown, cookie: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A machine in its first (OOB) grace that ends in `days` days. */
const inGrace = (at: number, days: number) =>
  snapshot('m-a', 'a.contoso.com', at, { products: [product({ licenseStatus: 2, graceExpiresAt: new Date(at + days * DAY).toISOString() })] });

describe('alert thresholds over the API: GET for everyone, PUT for admins, applied at once, kept across restarts', () => {
  let dataDir: string;
  let h: Harness;
  let admin: string;
  let operator: string;
  let viewer: string;
  const start = async (plugin = alertsPlugin()) => {
    h = await startCollector({ dataDir, plugins: [plugin] });
    admin = await signIn(h);
    if (!h.collector.users.list().some((u) => u.username === 'olga')) {
      await h.collector.users.add('olga', 'operator-pass-1', 'operator');
      await h.collector.users.add('vic', 'viewer-pass-1', 'viewer');
    }
    operator = await signIn(h, 'olga', 'operator-pass-1');
    viewer = await signIn(h, 'vic', 'viewer-pass-1');
  };
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vawatch-alert-settings-'));
    await start();
  });
  afterEach(async () => {
    await h.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = (cookie = viewer) => getJson(`${h.url}/api/v1/alerts/settings`, cookie);
  const put = (body: unknown, cookie = admin) => putJson(`${h.url}/api/v1/alerts/settings`, body, cookie);
  const activeAlerts = async () => (await getJson(`${h.url}/api/v1/alerts?state=active`, viewer)).body.items as Array<{ rule: string; severity: string }>;

  it('shows every rule with its defaults to a viewer before anyone configured anything', async () => {
    const r = await get();
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ source: 'defaults', updatedAt: null, updatedBy: null, groups: {} });
    expect(r.body.rules).toHaveLength(13);
    expect(r.body.rules).toContainEqual({ rule: 'GraceExpiring', enabled: true, warningDays: 14, criticalDays: 7 });
    expect(r.body.rules).toContainEqual({ rule: 'KmsServiceFailing', enabled: true });
    expect(r.body.rules).toContainEqual({ rule: 'KmsCountBelowThreshold', enabled: true, clientThreshold: 25, serverThreshold: 5, officeThreshold: 5 });
    expect(r.body.defaults).toEqual(r.body.rules);
  });

  it('lets an admin save global thresholds and group overrides; operators and viewers get 403 and change nothing', async () => {
    const body = { rules: [{ rule: 'GraceExpiring', warningDays: 21 }], groups: { branch: [{ rule: 'KmsIdle', minIdleHours: 72 }] } };
    for (const cookie of [operator, viewer]) {
      const refused = await put(body, cookie);
      expect(refused.status).toBe(403);
    }
    expect((await get()).body.source).toBe('defaults');

    h.clock.advanceBy(5 * 60_000);
    const saved = await put(body);
    expect(saved.status).toBe(200);
    const shown = await get(operator);
    expect(shown.body).toEqual(saved.body);
    expect(shown.body).toMatchObject({ source: 'admin', updatedBy: 'admin', updatedAt: new Date(T0 + 5 * 60_000).toISOString() });
    expect(shown.body.rules).toContainEqual({ rule: 'GraceExpiring', enabled: true, warningDays: 21, criticalDays: 7 });
    expect(shown.body.defaults).toContainEqual({ rule: 'GraceExpiring', enabled: true, warningDays: 14, criticalDays: 7 });
    expect(shown.body.groups).toEqual({ branch: [{ rule: 'KmsIdle', minIdleHours: 72 }] });
  });

  it.each([
    { name: 'a negative number of days', body: { rules: [{ rule: 'GraceExpiring', warningDays: -3 }] }, path: 'rules.GraceExpiring.warningDays' },
    { name: 'critical beyond warning', body: { rules: [{ rule: 'GraceExpiring', warningDays: 5, criticalDays: 9 }] }, path: 'rules.GraceExpiring.criticalDays' },
    { name: 'a field the rule does not have', body: { groups: { branch: [{ rule: 'KmsIdle', minIdleHourz: 72 }] } }, path: 'groups.branch[0]' },
    { name: 'a string where a number goes', body: { groups: { branch: [{ rule: 'KmsIdle', minIdleHours: '72' }] } }, path: 'groups.branch[0].minIdleHours' },
    { name: 'an unknown rule', body: { rules: [{ rule: 'NoSuchRule' }] }, path: 'rules[0].rule' },
    { name: 'a rule twice', body: { rules: [{ rule: 'KmsIdle' }, { rule: 'KmsIdle' }] }, path: 'rules[1].rule' },
  ])('refuses $name with 400 naming the field, and keeps what was in force', async ({ body, path }) => {
    const r = await put(body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid-request');
    expect(r.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect((await get()).body.source).toBe('defaults');
  });

  it('applies a threshold change at once: the rule fires, resolves, and the alerts room hears it', async () => {
    const agent = await enrolAgent(h, 'm-a', 'a.contoso.com');
    await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: inGrace(T0, 20) })]);
    expect(await activeAlerts()).toEqual([]); // 20 days left, warning at 14 by default

    const live = await connectLive(h, viewer);
    try {
      expect(await new Promise((r) => live.socket.emit('join', { room: 'alerts' }, r))).toEqual({ ok: true, room: 'alerts' });
      expect((await put({ rules: [{ rule: 'GraceExpiring', warningDays: 30, criticalDays: 7 }] })).status).toBe(200);
      expect(await activeAlerts()).toEqual([expect.objectContaining({ rule: 'GraceExpiring', severity: 'warning' })]);
      h.clock.advanceBy(250);
      const batch = await until(() => live.deltas.find((d) => d.room === 'alerts'), 'an alerts delta');
      expect(batch.changes).toContainEqual({ type: 'alert', alert: expect.objectContaining({ rule: 'GraceExpiring', state: 'new' }) });
    } finally {
      live.socket.close();
    }

    // A group override for the machine's group wins over the global entry.
    expect((await put({ rules: [{ rule: 'GraceExpiring', warningDays: 30 }], groups: { HQ: [{ rule: 'GraceExpiring', criticalDays: 25 }] } })).status).toBe(200);
    expect(await activeAlerts()).toEqual([expect.objectContaining({ rule: 'GraceExpiring', severity: 'critical' })]);
    expect((await put({ groups: { HQ: [{ rule: 'GraceExpiring', enabled: false }] } })).status).toBe(200);
    expect(await activeAlerts()).toEqual([]);
  });

  it('keeps admin settings across a restart on the same data folder, over the --alerts-config file', async () => {
    expect((await put({ rules: [{ rule: 'KmsIdle', minIdleHours: 48 }] })).status).toBe(200);
    await h.close();
    const file = parseAlertSettings({ rules: [{ rule: 'KmsIdle', minIdleHours: 12 }] });
    await start(alertsPlugin({ settings: file }));
    const r = await get();
    expect(r.body).toMatchObject({ source: 'admin', updatedBy: 'admin' });
    expect(r.body.rules).toContainEqual(expect.objectContaining({ rule: 'KmsIdle', minIdleHours: 48 }));
  });

  it('says the file is in force when no admin saved anything', async () => {
    await h.close();
    await start(alertsPlugin({ settings: parseAlertSettings({ rules: [{ rule: 'KmsIdle', minIdleHours: 12 }] }) }));
    const r = await get();
    expect(r.body.source).toBe('file');
    expect(r.body.rules).toContainEqual(expect.objectContaining({ rule: 'KmsIdle', minIdleHours: 12 }));
  });
});
