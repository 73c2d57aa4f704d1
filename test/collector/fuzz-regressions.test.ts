import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { enrolAgent, signIn, startCollector, storeCounts, type EnrolledAgent, type Harness } from '../support/collector-harness.js';

/** Requests the fuzzer (npm run fuzz) found answered 500; each is now a readable 4xx that changes nothing. */
describe('collector: what the fuzzer found', () => {
  let h: Harness;
  let agent: EnrolledAgent;
  let cookie: string;
  beforeAll(async () => {
    h = await startCollector();
    agent = await enrolAgent(h, 'm-1', 'ws-1.contoso.com');
    cookie = await signIn(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const send = async (method: string, path: string, headers: Record<string, string>, body?: Uint8Array | string) => {
    const r = await fetch(`${h.url}${path}`, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : new Uint8Array(body) } : {}) });
    return { status: r.status, body: (await r.json()) as { error: { code: string; message: string } } };
  };

  it.each([
    ['a report batch', 'POST', '/api/v1/reports', 'agent'],
    ['an admin change', 'PATCH', '/api/v1/machines/m-1', 'admin'],
    ['a sign-in', 'POST', '/api/v1/session', 'none'],
  ])('%s whose body says gzip but is not → 400 bad-encoding (was 500)', async (_what, method, path, who) => {
    const before = storeCounts(h);
    const auth: Record<string, string> = who === 'agent' ? { authorization: `Bearer ${agent.token}` } : who === 'admin' ? { cookie } : {};
    for (const body of ['{"protocol":1}', '', gzipSync('{"a":1}').subarray(0, 10)]) {
      const r = await send(method, path, { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body);
      expect(r.status).toBe(400);
      expect(r.body.error).toEqual({ code: 'bad-encoding', message: expect.stringContaining('does not decompress') });
    }
    expect(storeCounts(h)).toEqual(before);
  });

  it('a gzip body that does inflate is still read', async () => {
    const r = await send('PATCH', '/api/v1/machines/no-such', { cookie, 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync('{"group":"HQ"}'));
    expect(r.status).toBe(404);
  });

  it.each(['%', '%E0%A4%A', '%FF%FE'])('a path parameter that is not valid percent-encoding (%s) → 400 bad-path (was 500)', async (param) => {
    for (const [method, path] of [
      ['PATCH', `/api/v1/machines/${param}`],
      ['POST', `/api/v1/machines/${param}/retire`],
      ['GET', `/api/v1/machines/${param}`],
    ] as const) {
      const r = await send(method, path, { cookie, 'content-type': 'application/json' }, method === 'GET' ? undefined : '{}');
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(r.body.error).toEqual({ code: 'bad-path', message: 'the URL path is not valid percent-encoding' });
    }
  });
});
