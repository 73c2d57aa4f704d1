// Debian's Chromium driven by playwright-core (never a browser download), plus the small steps every dashboard test
// repeats: sign in, wait for live, collect dialogs and page errors.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  // Under CI .ci/run installs Chromium: a missing browser must fail the tests, not skip them quietly.
  return existsSync(CHROMIUM_PATH) || Boolean(process.env.CI);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Every dialog (alert/confirm/prompt) the page opened. */
  dialogs: string[];
  /** Uncaught errors in the page. */
  errors: string[];
}

/**
 * Opens `url` in a fresh browser context. With `as`, signs in through the API first (the session cookie lands in the
 * context), so the page opens signed in and live; the sign-in form itself is tested once, separately.
 */
export async function openPage(
  browser: Browser,
  url: string,
  opts: { as?: { username: string; password: string }; viewport?: { width: number; height: number }; timezoneId?: string } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1920, height: 1080 }, deviceScaleFactor: 1, ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}) });
  if (opts.as) {
    const res = await context.request.post(new URL('/api/v1/session', url).href, { data: opts.as });
    if (!res.ok()) throw new Error(`sign-in as ${opts.as.username} failed: HTTP ${res.status()} ${await res.text()}`);
  }
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  // Content-Security-Policy violations surface only as console errors.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
  await page.goto(url);
  if (opts.as) await waitLive(page);
  return { page, context, dialogs, errors };
}

export async function waitLive(page: Page): Promise<void> {
  await page.locator('[data-testid="connection"][data-state="live"], .noc .conn[data-state="live"]').first().waitFor();
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByTestId('signin-username').fill(username);
  await page.getByTestId('signin-password').fill(password);
  await page.getByTestId('signin-submit').click();
  await page.locator('.shell, [data-testid="noc"]').first().waitFor();
  await page.locator('[data-testid="connection"][data-state="live"], .noc .conn[data-state="live"]').first().waitFor();
}
