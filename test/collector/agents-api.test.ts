import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolAgent, getJson, signIn, startCollector, type Harness } from '../support/collector-harness.js';

describe('GET /api/v1/agents pages the enrolled agents', () => {
  let h: Harness;
  let cookie: string;
  beforeAll(async () => {
    h = await startCollector();
    cookie = await signIn(h);
    for (let i = 0; i < 7; i++) {
      await enrolAgent(h, `m-${i}`, `ws-${i}`);
      h.clock.advanceBy(1000);
    }
  });
  afterAll(() => h.close());

  it('newest first, `limit` rows and a `next` cursor until the last page; `total` counts them all', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res = await getJson(`${h.url}/api/v1/agents?limit=3${after ? `&after=${encodeURIComponent(after)}` : ''}`, cookie);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(7);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items.map((a: { hostname: string }) => a.hostname));
      after = res.body.next;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(['ws-6', 'ws-5', 'ws-4', 'ws-3', 'ws-2', 'ws-1', 'ws-0']);
  });

  it('refuses a limit out of range and a cursor it did not make, with a readable 400', async () => {
    for (const q of ['limit=0', 'limit=5000', 'limit=abc', 'after=garbage']) {
      const res = await getJson(`${h.url}/api/v1/agents?${q}`, cookie);
      expect(res.status, q).toBe(400);
      expect(res.body.error.message, q).toMatch(/expected/);
    }
  });
});
