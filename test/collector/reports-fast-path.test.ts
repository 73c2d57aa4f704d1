/**
 * POST /api/v1/reports has a fast path beside express (agent-routes.ts): an ordinary request (known token, JSON,
 * Content-Length) skips the router; anything else falls through to it. Both must answer alike. A chunked body has no
 * Content-Length, so it always takes the router: each case is sent both ways and the answers compared.
 */
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enrolAgent, report, snapshot, startCollector, storeCounts, T0, type Harness } from '../support/collector-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startCollector();
});
afterEach(async () => {
  await h.close();
});

/** Sends a raw body, with a Content-Length (fast path) or chunked (router). */
function post(body: string, token: string, way: 'fast' | 'router', headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  const url = new URL(`${h.url}/api/v1/reports`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          ...(way === 'fast' ? { 'content-length': String(Buffer.byteLength(body)) } : { 'transfer-encoding': 'chunked' }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('POST /api/v1/reports, fast path and router', () => {
  it('stores a report and acknowledges it the same way', async () => {
    const a = await enrolAgent(h, 'm-fast', 'fast.contoso.com');
    const b = await enrolAgent(h, 'm-router', 'router.contoso.com');
    const viaFast = await post(JSON.stringify({ protocol: 1, reports: [report(a, 1, T0, { snapshot: snapshot('m-fast', 'fast.contoso.com', T0) })] }), a.token, 'fast');
    const viaRouter = await post(JSON.stringify({ protocol: 1, reports: [report(b, 1, T0, { snapshot: snapshot('m-router', 'router.contoso.com', T0) })] }), b.token, 'router');
    expect(viaFast.status).toBe(200);
    expect(viaFast.body).toEqual(viaRouter.body);
    expect(viaFast.body).toMatchObject({ epoch: 1, ackedThrough: 1, heartbeatSeconds: 300 });
    expect(viaFast.headers['content-type']).toBe(viaRouter.headers['content-type']);
    expect(viaFast.headers['x-content-type-options']).toBe('nosniff');
    expect(h.collector.state.machine('m-fast')?.snapshot?.hostname).toBe('fast.contoso.com');
    expect(h.collector.state.machine('m-router')?.snapshot?.hostname).toBe('router.contoso.com');
  });

  it.each([
    ['malformed JSON', '{"protocol":1,"reports":[', 400, 'malformed-json'],
    ['a batch that is not one', '{"protocol":1}', 400, 'invalid-batch'],
  ])('refuses %s alike, storing nothing', async (_what, body, status, code) => {
    const a = await enrolAgent(h, 'm-a', 'a.contoso.com');
    const before = storeCounts(h);
    const viaFast = await post(body, a.token, 'fast');
    const viaRouter = await post(body, a.token, 'router');
    expect([viaFast.status, viaFast.body.error.code]).toEqual([status, code]);
    expect(viaFast.body.error.code).toBe(viaRouter.body.error.code);
    expect(viaFast.status).toBe(viaRouter.status);
    expect(storeCounts(h)).toEqual(before);
  });

  it('leaves what it does not take to the router: an unknown token, another media type', async () => {
    const a = await enrolAgent(h, 'm-a', 'a.contoso.com');
    const ok = JSON.stringify({ protocol: 1, reports: [report(a, 1, T0, { heartbeat: true })] });
    expect((await post(ok, 'not-a-token', 'fast')).body.error.code).toBe('bad-token');
    expect((await post(ok, a.token, 'fast', { 'content-type': 'text/plain' })).body.error.code).toBe('expected-json');
  });
});
