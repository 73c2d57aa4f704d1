import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startCollector, type Harness } from '../support/collector-harness.js';

/**
 * Sign-in throttling by address over real HTTP: each client binds its own loopback address (127.0.0.x), which is
 * what the collector sees as the address (no trusted proxy).
 */
function signInFrom(h: Harness, address: string, username: string, password: string): Promise<{ status: number; retryAfter: number | null; body: { error?: { code: string; message: string } } }> {
  const url = new URL(h.url);
  const body = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method: 'POST', path: '/api/v1/session', localAddress: address, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const ra = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, retryAfter: ra === undefined ? null : Number(ra), body: text ? JSON.parse(text) : {} });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('collector: sign-in throttling locks out the attacker, not the people attacked', () => {
  let h: Harness;
  beforeAll(async () => {
    // 2 failures per (name, address), 8 per address, 40 per name across addresses: the defaults' ratios, smaller.
    h = await startCollector({ config: { signInFailures: 2, signInWindowMinutes: 15 } });
    await h.collector.users.add('olga', 'operator-pass-1', 'operator');
  });
  afterAll(async () => {
    await h.close();
  });

  it('an attacker at A is locked out of admin (429, Retry-After); the admin at B signs in at once', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await signInFrom(h, '127.0.0.2', 'admin', `guess-${i}`)).status);
    expect(statuses).toEqual([401, 401, 429]);
    const locked = await signInFrom(h, '127.0.0.2', 'admin', ADMIN.password);
    expect(locked.status).toBe(429); // even the right password waits, from the attacker's address
    expect(locked.retryAfter).toBe(900);
    expect(locked.body.error).toEqual({ code: 'too-many-sign-in-failures', message: 'too many failed sign-ins; try again in 900 s' });

    expect((await signInFrom(h, '127.0.0.3', 'admin', ADMIN.password)).status).toBe(200);
    expect((await signInFrom(h, '127.0.0.3', 'ADMIN', ADMIN.password)).status).toBe(200);

    h.clock.advanceBy(10 * 60_000);
    expect((await signInFrom(h, '127.0.0.2', 'admin', ADMIN.password)).retryAfter).toBe(300);
    h.clock.advanceBy(5 * 60_000);
    expect((await signInFrom(h, '127.0.0.2', 'admin', ADMIN.password)).status).toBe(200);
  });

  it('an address that fails across many names is locked out for every name; other addresses are not', async () => {
    const statuses: number[] = [];
    // One failure per name: the per-(name, address) limit is never reached, the per-address one (8) is.
    for (let i = 0; i < 9; i++) statuses.push((await signInFrom(h, '127.0.0.4', `sprayed-${i}`, 'Summer2026!')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 429]);
    const r = await signInFrom(h, '127.0.0.4', 'olga', 'operator-pass-1');
    expect(r.status).toBe(429);
    expect(r.retryAfter).toBeGreaterThan(0);
    expect((await signInFrom(h, '127.0.0.5', 'olga', 'operator-pass-1')).status).toBe(200);
  });

  it('guessing one name from many addresses locks it out only for addresses it never signed in from', async () => {
    h.clock.advanceBy(16 * 60_000); // earlier failures leave the window
    expect((await signInFrom(h, '127.0.1.1', 'olga', 'operator-pass-1')).status).toBe(200); // olga's desk
    const statuses = new Set<number>();
    // 40 failures for olga, one from each of 40 addresses (the per-name cap with signInFailures 2).
    for (let i = 0; i < 40; i++) statuses.add((await signInFrom(h, `127.0.2.${i + 1}`, 'olga', `guess-${i}`)).status);
    expect([...statuses]).toEqual([401]);
    const fresh = await signInFrom(h, '127.0.3.1', 'olga', 'operator-pass-1');
    expect(fresh.status).toBe(429); // a new address: the distributed guessing is stopped
    expect((await signInFrom(h, '127.0.1.1', 'olga', 'operator-pass-1')).status).toBe(200); // her desk still works
    expect((await signInFrom(h, '127.0.3.1', 'admin', ADMIN.password)).status).toBe(200); // other names are not affected
  });
});
