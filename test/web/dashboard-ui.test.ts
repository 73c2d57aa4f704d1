// The dashboard in Debian's Chromium against a stand-in collector that speaks the shared REST and socket contracts:
// what the page does with them (live updates in place, hostile strings, roles, reconnection). The real pipeline,
// agent report to screen, is covered by dashboard-e2e.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../../dashboard/web/build.js';
import { chromiumAvailable, launchChromium, openPage, signIn } from '../support/web-browser.js';
import { startFakeCollector, type FakeCollector } from '../support/web-fake-collector.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const NOW = Date.parse('2026-11-29T10:00:00Z');

describe.skipIf(!chromiumAvailable())('dashboard in Chromium (stand-in collector)', () => {
  let browser: Browser;
  let fake: FakeCollector;
  let dist: string;

  beforeAll(async () => {
    dist = mkdtempSync(path.join(tmpdir(), 'vawatch-web-'));
    await buildWeb({ outDir: dist });
    fake = await startFakeCollector({ distDir: dist, now: () => NOW, machines: 400, plantedHostnames: [HOSTILE] });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await fake?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('refuses a wrong password with a message, then signs in and goes live', async () => {
    const w = await openPage(browser, `${fake.url}/`);
    await w.page.getByTestId('signin-username').fill('operator');
    await w.page.getByTestId('signin-password').fill('not-the-password');
    await w.page.getByTestId('signin-submit').click();
    await expect.poll(() => w.page.getByTestId('signin-message').textContent()).toBe('Wrong user name or password.');
    await signIn(w.page, 'operator', 'operator-password');
    expect(await w.page.getByTestId('username').textContent()).toBe('operator');
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('shows a hostile host name as text: no dialog, no img element, in the grid and the detail pane', async () => {
    const w = await openPage(browser, `${fake.url}/#/machines`, { as: { username: 'viewer', password: 'viewer-password' } });
    const cell = w.page.locator('table.grid td', { hasText: HOSTILE });
    await cell.first().waitFor();
    await cell.first().click();
    await expect.poll(() => w.page.getByTestId('detail-hostname').textContent()).toBe(HOSTILE);
    await w.page.waitForTimeout(300);
    expect(await w.page.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
    expect(w.dialogs).toEqual([]);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('applies a live change in place within 2 s: the Notification count and the machine row, no reload', async () => {
    const w = await openPage(browser, `${fake.url}/#/overview`, { as: { username: 'viewer', password: 'viewer-password' } });
    const kpi = w.page.getByTestId('kpi-notification');
    await kpi.waitFor();
    const before = Number((await kpi.textContent())!.replace(/,/g, ''));
    await w.page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const target = fake.machines.find((m) => m.status === 1 && m.group === 'HQ')!;
    const t0 = Date.now();
    fake.setMachineStatus(target.machineId, 5);
    await expect.poll(async () => Number((await kpi.textContent())!.replace(/,/g, '')), { timeout: 2000, interval: 50 }).toBe(before + 1);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await w.page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);

    await w.page.goto(`${fake.url}/#/machines?q=${encodeURIComponent(fake.machines[3]!.hostname)}`);
    const row = w.page.locator(`tr[data-id="${fake.machines[3]!.machineId}"]`);
    await row.waitFor();
    fake.setMachineStatus(fake.machines[3]!.machineId, 5);
    await expect.poll(() => row.textContent(), { timeout: 2000, interval: 50 }).toContain('Notification');
    await w.context.close();
  });

  it('gives a viewer no acknowledge button, and the API refuses a viewer', async () => {
    const alert = fake.alerts.find((a) => a.state === 'new')!;
    const w = await openPage(browser, `${fake.url}/#/alerts/${alert.id}`, { as: { username: 'viewer', password: 'viewer-password' } });
    await w.page.getByTestId('knowledge').waitFor();
    expect(await w.page.getByTestId('ack-button').count()).toBe(0);
    const status = await w.page.evaluate(async (id) => (await fetch(`/api/v1/alerts/${id}/ack`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status, alert.id);
    expect(status).toBe(403);
    await w.context.close();
  });

  it('shows an acknowledgement made in one browser in a second one', async () => {
    const alert = fake.alerts.find((a) => a.state === 'new')!;
    const watcher = await openPage(browser, `${fake.url}/#/alerts`, { as: { username: 'viewer', password: 'viewer-password' } });
    const row = watcher.page.locator(`[data-alert-id="${alert.id}"]`);
    await row.waitFor();
    expect(await row.getByTestId('acked-pill').count()).toBe(0);
    const op = await openPage(browser, `${fake.url}/#/alerts/${alert.id}`, { as: { username: 'operator', password: 'operator-password' } });
    await op.page.getByTestId('ack-comment').fill('Looking at the KMS host');
    await op.page.getByTestId('ack-button').click();
    await expect.poll(() => row.getByTestId('acked-pill').count(), { timeout: 2000, interval: 50 }).toBe(1);
    await watcher.context.close();
    await op.context.close();
  });

  it('shows a banner when the connection drops and recovers by itself', async () => {
    const w = await openPage(browser, `${fake.url}/#/overview`, { as: { username: 'viewer', password: 'viewer-password' } });
    fake.dropConnections(1500);
    await w.page.locator('[data-testid="connection-banner"].show').waitFor({ timeout: 3000 });
    await w.page.locator('[data-testid="connection"][data-state="live"]').waitFor({ timeout: 8000 });
    await expect.poll(() => w.page.locator('[data-testid="connection-banner"].show').count()).toBe(0);
    await w.context.close();
  });
});
