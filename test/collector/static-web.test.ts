import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../dashboard/server/http/static-web.js';
import { startCollector, type Harness } from '../support/collector-harness.js';

describe('collector: serves the built web UI', () => {
  const webDir = mkdtempSync(join(tmpdir(), 'vawatch-web-'));
  let h: Harness;
  beforeAll(async () => {
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>vawatch</title><script src="/assets/main-ABCDEF12.js"></script>');
    writeFileSync(join(webDir, 'assets', 'main-ABCDEF12.js'), 'console.log(1)');
    h = await startCollector({ config: { webDir } });
  });
  afterAll(async () => {
    await h.close();
    rmSync(webDir, { recursive: true, force: true });
  });

  it.each([
    { path: '/', type: /text\/html/, cache: 'no-cache', body: '<title>vawatch</title>' },
    { path: '/machines/m-1', type: /text\/html/, cache: 'no-cache', body: '<title>vawatch</title>' },
    { path: '/assets/main-ABCDEF12.js', type: /javascript/, cache: 'public, max-age=31536000, immutable', body: 'console.log(1)' },
  ])('GET $path', async ({ path, type, cache, body }) => {
    const res = await fetch(`${h.url}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(type);
    expect(res.headers.get('cache-control')).toBe(cache);
    expect(await res.text()).toContain(body);
    // Pages carry the strict policy (no inline script); assets do not need it.
    if (/html/.test(String(type))) expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
  });

  it('answers unknown API paths with an ErrorBody, not the page', async () => {
    const v2 = await fetch(`${h.url}/api/v2/unknown`);
    expect(v2.status).toBe(404);
    expect(await v2.json()).toMatchObject({ error: { code: 'not-found' } });
    // Under /api/v1 a visitor without a session learns nothing about which paths exist.
    const v1 = await fetch(`${h.url}/api/v1/unknown`);
    expect(v1.status).toBe(401);
    expect(await v1.json()).toMatchObject({ error: { code: 'not-signed-in' } });
  });
});
