import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector, type Collector } from '../../dashboard/server/collector.js';
import { acceptsGzip, encodeBody, GZIP_FROM_BYTES } from '../../dashboard/server/http/gzip-body.js';
import { silentLogger } from '../../dashboard/server/log.js';
import type { CollectorPlugin } from '../../dashboard/server/plugin.js';
import { createCronScheduler } from '../../platform/cron-scheduler.js';
import { systemClock } from '../../shared/scheduling.js';

describe('acceptsGzip', () => {
  it('reads Accept-Encoding as Prometheus, curl and browsers send it, q=0 included', () => {
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('deflate, GZip;q=0.5')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip('')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('deflate, br')).toBe(false);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('gzip; q=0.0, identity')).toBe(false);
  });

  it('compresses only a body big enough, as one gzip member that unpacks to the same bytes, parts in order', async () => {
    const small = [Buffer.from('a 1\n')];
    expect(await encodeBody(small, 'gzip')).toEqual({ parts: small });
    const series = Buffer.from('x{group="é"} 1\n'.repeat(GZIP_FROM_BYTES / 8));
    const big = [Buffer.from('# TYPE x gauge\n'), series, Buffer.alloc(0), Buffer.from('y 2\n')];
    expect((await encodeBody(big, 'identity')).parts).toBe(big);
    const sent = await encodeBody(big, 'gzip');
    expect(sent.encoding).toBe('gzip');
    const body = Buffer.concat(sent.parts);
    expect(body.length).toBeLessThan(Buffer.concat(big).length / 10);
    expect(gunzipSync(body).equals(Buffer.concat(big))).toBe(true);
    // The system's gzip reads it too: one member, not several.
    expect(execFileSync('gzip', ['-dc'], { input: body }).equals(Buffer.concat(big))).toBe(true);
  });

  it('deflates a big part once for as long as it lives; a new part of the same text is deflated again', async () => {
    const series = Buffer.from('x{group="a"} 1\n'.repeat(GZIP_FROM_BYTES / 4));
    const first = await encodeBody([Buffer.from('head 1\n'), series], 'gzip');
    const again = await encodeBody([Buffer.from('head 2\n'), series], 'gzip');
    expect(again.parts[2]).toBe(first.parts[2]); // the same compressed segment, not a second compression
    const fresh = await encodeBody([Buffer.from('head 2\n'), Buffer.from(series)], 'gzip');
    expect(fresh.parts[2]).not.toBe(first.parts[2]);
    expect(gunzipSync(Buffer.concat(again.parts)).toString()).toBe(`head 2\n${series.toString()}`);
  });
});

describe('GET /metrics with Accept-Encoding: gzip', () => {
  const lines = Array.from({ length: 5000 }, (_, k) => `vawatch_test_series{group="site-${k}"} ${k}\n`).join('');
  const exposition = [Buffer.from('# HELP vawatch_test_series A test.\n# TYPE vawatch_test_series gauge\n'), Buffer.from(lines)];
  const plugin: CollectorPlugin = { name: 'test-exposition', setup: (ctx) => ctx.setMetricsExposition(async () => exposition) };
  const scheduler = createCronScheduler();
  let dir: string;
  let collector: Collector;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vawatch-metrics-gzip-'));
    collector = await createCollector({
      config: { host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), enrolmentSecret: 'gzip-test-secret-01', adminPassword: 'admin-password-1', metricsToken: 'scrape-token-0001' },
      clock: systemClock,
      scheduler,
      log: silentLogger,
      plugins: [plugin],
    });
    url = (await collector.listen()).url.replace(/\/$/, '');
  });
  afterAll(async () => {
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (method: 'GET' | 'HEAD', acceptEncoding?: string) =>
    new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const headers: Record<string, string> = { authorization: 'Bearer scrape-token-0001', ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) };
      http
        .request(`${url}/metrics`, { method, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        })
        .on('error', reject)
        .end();
    });

  it('sends gzip with its exact length to a client that asks, and the plain bytes to one that does not', async () => {
    const plain = await get('GET');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(plain.body.equals(Buffer.concat(exposition))).toBe(true);
    expect(Number(plain.headers['content-length'])).toBe(plain.body.length);

    const packed = await get('GET', 'gzip'); // what Prometheus sends
    expect(packed.headers['content-encoding']).toBe('gzip');
    expect(Number(packed.headers['content-length'])).toBe(packed.body.length);
    expect(packed.body.length).toBeLessThan(plain.body.length / 4);
    expect(gunzipSync(packed.body).equals(plain.body)).toBe(true);

    const head = await get('HEAD', 'gzip');
    expect(head.headers['content-encoding']).toBe('gzip');
    expect(Number(head.headers['content-length'])).toBe(packed.body.length);
    expect(head.body.length).toBe(0);
    expect((await get('GET', 'gzip;q=0')).headers['content-encoding']).toBeUndefined();
  });
});
