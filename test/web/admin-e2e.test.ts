// Acceptance of API keys and the audit log on the Admin page, end to end: the real collector (real SQLite, HTTP and
// socket.io) serving the built dashboard, Debian's Chromium. An admin creates a key on the page and sees it once,
// a script uses it over plain HTTP, the admin revokes it and the script is refused; the audit log shows all of it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../../dashboard/web/build.js';
import { ADMIN, enrolAgent, startCollector, type Harness } from '../support/collector-harness.js';
import { chromiumAvailable, launchChromium, openPage } from '../support/web-browser.js';

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');

describe.skipIf(!chromiumAvailable())('Admin page: API keys and the audit log (real collector, Chromium)', () => {
  let browser: Browser;
  let h: Harness;
  let dist: string;

  beforeAll(async () => {
    dist = mkdtempSync(path.join(tmpdir(), 'vawatch-web-dist-'));
    await buildWeb({ outDir: dist });
    h = await startCollector({ config: { webDir: dist } });
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  it('creates a key shown once, which works until it is revoked, and lists it all in the audit log', async () => {
    const w = await openPage(browser, `${h.url}/#/admin/keys`, { as: ADMIN });
    await w.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.url });
    const { page } = w;
    await page.getByTestId('api-key-new-name').fill('e2e-script');
    await page.getByTestId('api-key-new-role').selectOption('viewer');
    await page.getByTestId('api-key-new-expiry').selectOption({ label: 'in 30 days' });
    await page.getByTestId('api-key-create').click();
    const key = ((await page.getByTestId('api-key-secret').textContent()) ?? '').trim();
    expect(key).toMatch(/^vw_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    await page.locator('[data-testid="api-key-name"]', { hasText: 'e2e-script' }).waitFor();

    await page.getByTestId('api-key-copy').click();
    await page.getByText('Copied.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-api-keys.png') });

    // A script uses it over plain HTTP, no cookie.
    const asScript = () => fetch(`${h.url}/api/v1/summary`, { headers: { authorization: `Bearer ${key}` } });
    expect((await asScript()).status).toBe(200);

    // Shown once: opened again, the page lists the key by name and never shows it.
    await page.reload();
    await page.locator('[data-testid="api-key-name"]', { hasText: 'e2e-script' }).waitFor();
    expect(await page.getByTestId('api-key-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(key.slice(16));
    const row = page.locator('tr', { has: page.locator('[data-testid="api-key-name"]', { hasText: 'e2e-script' }) });
    expect(await row.textContent()).toMatch(/viewer/);
    expect(await row.textContent()).not.toContain('never'); // it expires, and it was used: both columns say when

    await page.evaluate(() => {
      window.confirm = () => true;
    });
    await row.getByTestId('api-key-revoke').click();
    await row.getByText(/^revoked /).waitFor();
    expect((await asScript()).status).toBe(401);

    // The audit log tab shows who did it.
    await page.goto(`${h.url}/#/admin/audit`);
    await page.locator('[data-testid="audit-action-cell"]', { hasText: 'api-key.revoke' }).waitFor();
    const actions = await page.getByTestId('audit-action-cell').allTextContents();
    expect(actions.slice(0, 2)).toEqual(['api-key.revoke', 'api-key.create']);
    expect(actions).toContain('sign-in');
    const revokeRow = page.locator('tr', { has: page.locator('[data-testid="audit-action-cell"]', { hasText: 'api-key.revoke' }) });
    expect(await revokeRow.textContent()).toContain('admin');
    expect(await revokeRow.textContent()).toContain('e2e-script');

    // Filtering narrows it; the CSV link carries the filter and downloads CSV for the signed-in admin.
    await page.getByTestId('audit-action').fill('api-key.create');
    await page.getByTestId('audit-action').press('Enter');
    await page.getByTestId('audit-action').blur();
    await expect.poll(async () => page.getByTestId('audit-action-cell').allTextContents()).toEqual(['api-key.create']);
    const href = await page.getByTestId('audit-csv').getAttribute('href');
    expect(href).toBe('/api/v1/audit?action=api-key.create&format=csv');
    const csv = await w.context.request.get(`${h.url}${href}`);
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
    expect((await csv.text()).split('\r\n').filter(Boolean)).toHaveLength(2);

    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-audit-log.png') });
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('pages the agent tokens, newest enrolment first, without loading every agent', async () => {
    for (let i = 0; i < 105; i++) {
      await enrolAgent(h, `page-m-${i}`, `page-ws-${String(i).padStart(3, '0')}`);
      h.clock.advanceBy(1000);
    }
    const w = await openPage(browser, `${h.url}/#/admin/agents`, { as: ADMIN });
    const { page } = w;
    await page.getByText('1–100 of 105').waitFor();
    expect(await page.locator('table.grid tbody tr').count()).toBe(100);
    expect(await page.locator('table.grid tbody tr').first().textContent()).toContain('page-ws-104');
    await page.getByTestId('agents-older').click();
    await page.getByText('101–105 of 105').waitFor();
    expect(await page.locator('table.grid tbody tr').first().textContent()).toContain('page-ws-004');
    expect(await page.getByTestId('agents-older').isDisabled()).toBe(true);
    await page.getByTestId('agents-newer').click();
    await page.getByText('1–100 of 105').waitFor();

    // Revoking asks first (answered yes here), then the row says so.
    await page.evaluate(() => {
      window.confirm = () => true;
    });
    const row = page.locator('table.grid tbody tr', { hasText: 'page-ws-104' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByText(/^revoked /).waitFor();
    await page.getByText('Revoked the token of page-ws-104.').waitFor();
    expect(w.errors).toEqual([]);
    await w.context.close();
  });
});
