/** `promtool check metrics` on a live /metrics of the demo fleet (`enterprise`, as `npm start` runs it). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../agent/fleet/index.js';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import { metricsPlugin } from '../../dashboard/metrics/metrics-plugin.js';
import { createCollector, type Collector } from '../../dashboard/server/collector.js';
import { silentLogger } from '../../dashboard/server/log.js';
import { createCronScheduler } from '../../platform/cron-scheduler.js';
import { systemClock } from '../../shared/scheduling.js';
import { binaries, needs, run } from '../support/metrics-binaries.js';
import { parseExposition, samples, value } from '../support/metrics-exposition.js';
import { eventually } from '../support/metrics-processes.js';

const SECRET = 'e2e-enrolment-secret-0002';

describe.skipIf(!binaries.promtool)(needs('promtool', 'the demo fleet\'s /metrics'), () => {
  let dir: string;
  let collector: Collector;
  let url: string;
  let fleet: Fleet | undefined;
  const scheduler = createCronScheduler();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vawatch-demo-metrics-'));
    const alerts = alertsPlugin();
    collector = await createCollector({
      config: { host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), enrolmentSecret: SECRET, adminPassword: 'admin-password-1', metricsToken: 'scrape-token-0001' },
      clock: systemClock,
      scheduler,
      log: silentLogger,
      plugins: [alerts, metricsPlugin({ refreshSeconds: 1 }, () => alerts.engine())],
    });
    url = (await collector.listen()).url.replace(/\/$/, '');
    fleet = await startFleet({ scenario: 'enterprise', collectorUrl: url, enrolmentSecret: SECRET, stateDir: join(dir, 'agents'), historyDays: 1, timers: scheduler });
    await fleet.caughtUp;
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for the bearer token when one is configured', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('exports the whole fleet, and promtool check metrics reports nothing', async () => {
    const text = await eventually(async () => {
      const t = await (await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer scrape-token-0001' } })).text();
      // Wait for a background refresh that has seen every machine.
      const s = parseExposition(t);
      return value(s, 'vawatch_metrics_machine_series') > 0 && samples(s, 'vawatch_agent_last_report_timestamp_seconds').length === fleet!.stats().machines ? t : undefined;
    }, 'a refresh covering the whole fleet', 60_000);
    const s = parseExposition(text);
    const machines = samples(s, 'vawatch_machines').reduce((n, x) => n + x.value, 0);
    expect(machines).toBe(fleet!.stats().machines);
    expect(value(s, 'vawatch_machine_series_exported')).toBe(1);
    expect(samples(s, 'vawatch_kms_host_current_clients').length).toBeGreaterThanOrEqual(2);
    const r = run(binaries.promtool!, ['check', 'metrics'], { input: text });
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  }, 90_000);

  it('sends the exposition as bytes with their exact length, the per-machine part included, and HEAD without a body', async () => {
    // fetch asks for gzip and unpacks it: ask for the bytes as they are to check their length (gzip: metrics-gzip.test.ts).
    const auth = { authorization: 'Bearer scrape-token-0001', 'accept-encoding': 'identity' };
    const res = await fetch(`${url}/metrics`, { headers: auth });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(Number(res.headers.get('content-length'))).toBe(body.length);
    const text = body.toString('utf8');
    // The registry's part, then the per-group families, then the per-machine series the background pass encoded.
    expect(text.indexOf('# TYPE vawatch_machines gauge')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('# TYPE vawatch_machine_license_status gauge')).toBeGreaterThan(text.indexOf('# TYPE vawatch_machines gauge'));
    expect(text.endsWith('\n')).toBe(true);
    const head = await fetch(`${url}/metrics`, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });
});
