// Debian's Chromium driven by playwright-core (never a browser download), plus the small steps every dashboard test
// repeats: sign in, wait for live, collect dialogs and page errors.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
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

export async function openPage(browser: Browser, url: string, viewport = { width: 1920, height: 1080 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, context, dialogs, errors };
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByTestId('signin-username').fill(username);
  await page.getByTestId('signin-password').fill(password);
  await page.getByTestId('signin-submit').click();
  await page.locator('.shell, [data-testid="noc"]').first().waitFor();
  await page.locator('[data-testid="connection"][data-state="live"], .noc .conn[data-state="live"]').first().waitFor();
}
