// Acceptance of the dashboard, end to end: the real collector (createCollector, real SQLite, real HTTP and socket.io)
// filled through its ingest API, the built dashboard it serves, Debian's Chromium. Screenshots of Overview, a KMS
// host and NOC mode at 1920×1080 go to test-artifacts/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertListItem, Page as ApiPage, Summary } from '../../shared/api.js';
import { buildWeb } from '../../dashboard/web/build.js';
import { chromiumAvailable, launchChromium, openPage, waitLive } from '../support/web-browser.js';
import { AD_OBJECT, AGENTLESS_KMS_HOST, HOSTILE_HOSTNAME, startWebCollector, WEB_USERS, type WebCollector } from '../support/web-collector-fleet.js';

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');

async function kpi(page: Page, id: string): Promise<number> {
  const text = await page.getByTestId(`kpi-${id}`).textContent();
  return Number((text ?? '').replace(/,/g, ''));
}

// CI installs Debian's chromium (.ci/run); where it is missing these are skipped rather than a browser downloaded.
describe.skipIf(!chromiumAvailable())('dashboard end to end (real collector, Chromium)', () => {
  let browser: Browser;
  let c: WebCollector;
  let dist: string;

  beforeAll(async () => {
    dist = mkdtempSync(path.join(tmpdir(), 'vawatch-web-dist-'));
    await buildWeb({ outDir: dist });
    c = await startWebCollector(dist);
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await c?.close();
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  it('is served with hashed assets cached for a year and an index.html that is always revalidated', async () => {
    const index = await fetch(`${c.url}/machines`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.map((a) => a.replace(/-[A-Z0-9]{8}\./, '-HASH.'))).toEqual(['/assets/styles-HASH.css', '/assets/app-HASH.js']);
    for (const a of assets) {
      const res = await fetch(`${c.url}${a}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
  });

  it('signs in through the form and shows the counts GET /api/v1/summary gives', async () => {
    const w = await openPage(browser, `${c.url}/`);
    await w.page.getByTestId('signin-username').fill(WEB_USERS.viewer.username);
    await w.page.getByTestId('signin-password').fill(WEB_USERS.viewer.password);
    await w.page.getByTestId('signin-submit').click();
    await waitLive(w.page);
    await w.page.getByTestId('kpi-machines').waitFor();
    const s = await c.api<Summary>('/api/v1/summary', 'viewer');
    expect(await kpi(w.page, 'machines')).toBe(s.machines.total);
    expect(await kpi(w.page, 'licensed')).toBe(s.byStatus['1'] ?? 0);
    expect(await kpi(w.page, 'notification')).toBe(s.byStatus['5'] ?? 0);
    expect(await kpi(w.page, 'unlicensed')).toBe(s.byStatus['0'] ?? 0);
    expect(await kpi(w.page, 'grace')).toBe(['2', '3', '4', '6'].reduce((n, k) => n + (s.byStatus[k] ?? 0), 0));
    for (const [k, n] of Object.entries(s.byStatus)) {
      const cell = w.page.locator(`[data-testid="status-legend"] [data-status="${k}"]`);
      if (n === 0) expect(await cell.count()).toBe(0);
      else expect(Number((await cell.textContent())!.replace(/,/g, ''))).toBe(n);
    }
    expect(await w.page.locator('[data-testid="kms-tiles"] [data-kms-host]').count()).toBe(s.kmsHosts.length);
    expect(s.machines.total).toBe(c.machines.length);
    expect(w.errors).toEqual([]);
    await w.page.waitForTimeout(800); // let the doughnut finish its entry animation
    await w.page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-overview.png') });
    await w.context.close();
  });

  it('shows a report that puts a machine into Notification within 2 s, without a reload', async () => {
    const target = c.machines.find((m) => m.status === 1 && m.group === 'HQ' && m.kind === 'client')!;
    const overview = await openPage(browser, `${c.url}/#/overview`, { as: WEB_USERS.viewer });
    const grid = await openPage(browser, `${c.url}/#/machines?q=${encodeURIComponent(target.hostname)}`, { as: WEB_USERS.viewer });
    await overview.page.getByTestId('kpi-notification').waitFor();
    const row = grid.page.locator(`tr[data-id="${target.machineId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Licensed');
    const before = await kpi(overview.page, 'notification');
    await overview.page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
    const sent = Date.now();
    await c.report(target.machineId, 5);
    await expect.poll(() => kpi(overview.page, 'notification'), { timeout: 2000, interval: 50 }).toBe(before + 1);
    await expect.poll(async () => (await row.textContent()) ?? '', { timeout: Math.max(100, 2000 - (Date.now() - sent)), interval: 50 }).toContain('Notification');
    expect(Date.now() - sent).toBeLessThan(2000);
    expect(await overview.page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    await overview.context.close();
    await grid.context.close();
  });

  it('renders a hostile host name as text and runs nothing', async () => {
    const w = await openPage(browser, `${c.url}/#/machines`, { as: WEB_USERS.viewer });
    const hostile = c.machines.find((m) => m.hostname === HOSTILE_HOSTNAME)!;
    const row = w.page.locator(`tr[data-id="${hostile.machineId}"]`);
    await row.waitFor();
    expect(await row.locator('td').nth(1).textContent()).toBe(HOSTILE_HOSTNAME);
    await row.click();
    await expect.poll(() => w.page.getByTestId('detail-hostname').textContent()).toBe(HOSTILE_HOSTNAME);
    await w.page.waitForTimeout(300);
    expect(await w.page.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
    expect(w.dialogs).toEqual([]);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('gives a viewer no acknowledge button, and the API refuses the viewer', async () => {
    const alerts = await c.api<ApiPage<AlertListItem>>('/api/v1/alerts?state=new', 'viewer');
    const alert = alerts.items[0]!;
    const w = await openPage(browser, `${c.url}/#/alerts/${encodeURIComponent(alert.id)}`, { as: WEB_USERS.viewer });
    await w.page.getByTestId('alert-detail').locator('h2').first().waitFor();
    await w.page.getByTestId('alert-state').waitFor();
    expect(await w.page.getByTestId('ack-button').count()).toBe(0);
    const status = await w.page.evaluate(
      async (id) => (await fetch(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ comment: 'viewer' }) })).status,
      alert.id,
    );
    expect(status).toBe(403);
    await w.context.close();
  });

  it('shows an acknowledgement made in one browser in a second one', async () => {
    const alerts = await c.api<ApiPage<AlertListItem>>('/api/v1/alerts?state=new', 'viewer');
    const alert = alerts.items[alerts.items.length - 1]!;
    const watcher = await openPage(browser, `${c.url}/#/alerts`, { as: WEB_USERS.viewer });
    const row = watcher.page.locator(`[data-alert-id="${alert.id}"]`);
    await row.waitFor();
    expect(await row.getByTestId('acked-pill').count()).toBe(0);
    const op = await openPage(browser, `${c.url}/#/alerts/${encodeURIComponent(alert.id)}`, { as: WEB_USERS.operator });
    await op.page.getByTestId('ack-comment').fill('Checking the KMS host, ticket 4711');
    await op.page.getByTestId('ack-button').click();
    await expect.poll(() => row.getByTestId('acked-pill').count(), { timeout: 15_000, interval: 50 }).toBe(1);
    await expect.poll(() => op.page.getByTestId('alert-state').textContent(), { timeout: 15_000 }).toContain('acknowledged');
    await watcher.context.close();
    await op.context.close();
  });

  it('colours each KMS count bar by the count against its threshold (50 green, 19 red) on Overview, KMS Hosts and NOC; the icon keeps the rollup', async () => {
    const s = await c.api<Summary>('/api/v1/summary', 'viewer');
    const byName = new Map(s.kmsHosts.map((k) => [k.hostname, k]));
    expect(byName.get('kms01.contoso.com')).toMatchObject({ currentCount: 50 });
    expect(byName.get('kms-lyon.contoso.com')).toMatchObject({ currentCount: 19 });
    const expected = { 'kms01.contoso.com': 'healthy', 'kms-lyon.contoso.com': 'critical' };
    const w = await openPage(browser, `${c.url}/#/overview`, { as: WEB_USERS.viewer });
    const levels = async (bar: (host: string) => string) =>
      Object.fromEntries(await Promise.all(Object.keys(expected).map(async (host) => [host, await w.page.locator(bar(host)).getAttribute('data-level')])));
    await w.page.locator('[data-kms-host] .gauge').first().waitFor();
    // The tile's own bar is Windows' (a direct child); an Office bar sits beside it in its own row.
    expect(await levels((host) => `[data-testid="kms-tiles"] [data-kms-host="${host}"] > .gauge`)).toEqual(expected);
    // The tile's border and icon are the host's rollup, which a client's problem can make worse than its count.
    expect(await w.page.locator('[data-kms-host="kms01.contoso.com"]').getAttribute('class')).toContain(byName.get('kms01.contoso.com')!.health);
    await w.page.goto(`${c.url}/#/kms-hosts`);
    await w.page.locator('tr[data-id] .gauge').first().waitFor();
    expect(await levels((host) => `tr[data-id="${host}"] .gauge`)).toEqual(expected);
    await w.page.goto(`${c.url}/#/noc`);
    await w.page.locator('.noc [data-kms-host] .gauge').first().waitFor();
    expect(await levels((host) => `.noc [data-kms-host="${host}"] > .gauge`)).toEqual(expected);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('shows times in the browser’s local time with UTC on hover, and in UTC when chosen (remembered)', async () => {
    const w = await openPage(browser, `${c.url}/#/events`, { as: WEB_USERS.viewer, timezoneId: 'Asia/Kolkata' });
    const first = w.page.locator('tr[data-id] time').first();
    await first.waitFor();
    const iso = (await first.getAttribute('datetime'))!;
    const inZone = (timeZone: string) =>
      new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(Date.parse(iso));
    expect(inZone('Asia/Kolkata')).not.toBe(inZone('UTC'));
    expect(await first.textContent()).toBe(inZone('Asia/Kolkata'));
    expect(await first.getAttribute('title')).toContain(`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`);
    expect(await w.page.getByTestId('time-zone').inputValue()).toBe('local');

    await w.page.getByTestId('time-zone').selectOption('utc');
    await expect.poll(() => w.page.locator('tr[data-id] time').first().textContent()).toBe(`${inZone('UTC')} UTC`);
    await w.page.reload();
    await waitLive(w.page);
    await w.page.locator('tr[data-id] time').first().waitFor();
    expect(await w.page.getByTestId('time-zone').inputValue()).toBe('utc');
    expect(await w.page.locator('tr[data-id] time').first().textContent()).toMatch(/ UTC$/);
    await w.page.getByTestId('time-zone').selectOption('local');
    await expect.poll(() => w.page.locator('tr[data-id] time').first().textContent()).not.toMatch(/UTC/);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('writes screenshots of a KMS host and of NOC mode at 1920×1080', async () => {
    const host = c.machines.find((m) => m.hostname === 'kms-lyon.contoso.com')!;
    // A zone that is not UTC, so the screenshots show local times.
    const w = await openPage(browser, `${c.url}/#/kms-hosts/${host.hostname}`, { as: WEB_USERS.operator, timezoneId: 'Europe/Paris' });
    await w.page.getByTestId('kms-count').waitFor();
    expect(await w.page.getByTestId('kms-count').textContent()).toBe('19');
    await w.page.waitForTimeout(800);
    await w.page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-kms-host.png') });
    await w.page.goto(`${c.url}/?kiosk=1`);
    await w.page.getByTestId('noc').waitFor();
    await w.page.locator('.noc .conn[data-state="live"]').waitFor();
    await w.page.getByTestId('noc-machines').waitFor();
    expect(await w.page.locator('.nav').count()).toBe(0); // no chrome on the wall
    expect(Number((await w.page.getByTestId('noc-machines').textContent())!.replace(/,/g, ''))).toBe(c.machines.length);
    await w.page.waitForTimeout(600);
    await w.page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-noc.png') });
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('names today\'s Windows and Office on Overview, KMS host and Machines pages, and marks the host known only through its clients', async () => {
    const w = await openPage(browser, `${c.url}/#/overview`, { as: WEB_USERS.viewer, timezoneId: 'Europe/Paris' });
    const windows = w.page.getByTestId('windows-products');
    await windows.filter({ hasText: 'Windows 11 Enterprise' }).waitFor();
    for (const name of ['Windows 11 Enterprise', 'Windows 10 Enterprise', 'Windows Server 2022 Standard', 'Windows Server 2025 Datacenter']) expect(await windows.textContent()).toContain(name);
    expect(await w.page.getByTestId('office-products').textContent()).toContain('Office LTSC Professional Plus 2021');
    // The Lyon host's Office count (3) is judged against Office's 5, apart from its Windows count.
    const lyonOffice = w.page.locator('[data-testid="kms-tiles"] [data-kms-host="kms-lyon.contoso.com"] [data-testid="office-count"]');
    expect(await lyonOffice.textContent()).toContain('Office count 3 · needs 5');
    expect(await lyonOffice.locator('.gauge').getAttribute('data-level')).toBe('critical');
    const paris = w.page.locator(`[data-testid="kms-tiles"] [data-kms-host="${AGENTLESS_KMS_HOST}"]`);
    expect(await paris.getAttribute('data-basis')).toBe('clients');
    expect(await paris.getByTestId('inferred-marker').textContent()).toBe('inferred');
    expect(await paris.getByTestId('inferred-marker').getAttribute('title')).toContain('Inferred from clients');
    await w.page.waitForTimeout(800);
    await w.page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-overview-2026.png') });

    await w.page.goto(`${c.url}/#/kms-hosts`);
    const row = w.page.locator(`tr[data-id="${AGENTLESS_KMS_HOST}"]`);
    await row.waitFor();
    expect(await row.getByTestId('inferred-marker').textContent()).toBe('inferred from clients');
    expect(await w.page.locator('tr[data-id="kms01.contoso.com"]').getByTestId('inferred-marker').count()).toBe(0);

    // The agentless host's page: its count is the one it last answered a client with, its window and forecast from them.
    await w.page.goto(`${c.url}/#/kms-hosts/${AGENTLESS_KMS_HOST}`);
    await w.page.getByTestId('inferred-note').waitFor();
    expect(await w.page.getByTestId('kms-count').textContent()).toBe('31');
    expect(await w.page.getByTestId('kms-window').textContent()).toBe('6');
    await w.page.getByTestId('forecast-basis').waitFor();
    const forecast = await c.api<{ basis: string }>(`/api/v1/kms-hosts/${AGENTLESS_KMS_HOST}/forecast`, 'viewer');
    expect(forecast.basis).toBe('clients');
    await w.page.waitForTimeout(800);
    await w.page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-kms-host-inferred.png') });

    await w.page.goto(`${c.url}/#/kms-hosts/kms-lyon.contoso.com`);
    await w.page.getByTestId('kms-office-count').waitFor();
    expect(await w.page.getByTestId('kms-office-count').textContent()).toBe('3');
    expect(await w.page.getByTestId('kms-service').textContent()).toBe('running');

    await w.page.goto(`${c.url}/#/machines?group=HQ`);
    await w.page.locator('tr[data-id]').first().waitFor();
    const grid = (await w.page.locator('table.grid').first().textContent()) ?? '';
    expect(grid).toContain('Office LTSC Professional Plus 2021');
    expect(grid).toContain('Windows 10 Enterprise');
    expect(grid).toContain('Windows 11 Enterprise');
    await w.page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-machines.png') });

    // The ADBA site: its own channel, under no KMS host, the activation object named in the detail.
    await w.page.goto(`${c.url}/#/machines?channel=ad-based`);
    const adRows = w.page.locator('tr[data-id]');
    await expect.poll(() => adRows.count()).toBe(3);
    for (const text of await adRows.allTextContents()) {
      expect(text).toContain('AD-based');
      expect(text).not.toContain('kms');
    }
    await adRows.first().click();
    await expect.poll(() => w.page.getByTestId('detail-ad-object').textContent()).toBe(`AD activation object ${AD_OBJECT.objectName}`);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('lets an admin change a threshold in the Admin form (a bad value shown at its field), and shows it read-only to a viewer', async () => {
    const w = await openPage(browser, `${c.url}/#/admin/thresholds`, { as: WEB_USERS.admin });
    const warning = w.page.locator('[data-field="GraceExpiring.warningDays"]');
    await warning.waitFor();
    expect(await warning.inputValue()).toBe('14');
    await warning.fill('-3');
    await w.page.getByTestId('save-thresholds').click();
    await w.page.locator('.field', { has: warning }).locator('.form-msg.error').filter({ hasText: /\S/ }).waitFor();
    expect((await c.api<{ source: string }>('/api/v1/alerts/settings', 'viewer')).source).not.toBe('admin');

    await warning.fill('21');
    await w.page.getByTestId('save-thresholds').click();
    await w.page.getByTestId('thresholds-msg').filter({ hasText: 'Saved' }).waitFor();
    const saved = await c.api<{ source: string; rules: Array<Record<string, unknown>> }>('/api/v1/alerts/settings', 'viewer');
    expect(saved.source).toBe('admin');
    expect(saved.rules).toContainEqual({ rule: 'GraceExpiring', enabled: true, warningDays: 21, criticalDays: 7 });
    expect(w.errors).toEqual([]);
    await w.context.close();

    // A viewer finds the read-only page from the navigation.
    const v = await openPage(browser, `${c.url}/#/overview`, { as: WEB_USERS.viewer });
    await v.page.locator('[data-nav="admin"]', { hasText: 'Alert thresholds' }).click();
    const shown = v.page.locator('[data-field="GraceExpiring.warningDays"]');
    await shown.waitFor();
    expect(await shown.inputValue()).toBe('21');
    expect(await shown.isDisabled()).toBe(true);
    expect(await v.page.getByTestId('save-thresholds').count()).toBe(0);
    await v.context.close();
  });
});
