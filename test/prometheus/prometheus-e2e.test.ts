/**
 * End to end with a real Prometheus: the collector (with the alert engine and the metrics) runs the
 * branch-below-threshold scenario through the agents' fleet runner on the wall clock; Prometheus scrapes it with a copy
 * of the shipped rules whose `for:` is 0 (the real `for:` values are covered by `promtool test rules`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../agent/fleet/index.js';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import { metricsPlugin } from '../../dashboard/metrics/metrics-plugin.js';
import { createCollector, type Collector } from '../../dashboard/server/collector.js';
import { silentLogger } from '../../dashboard/server/log.js';
import { createCronScheduler } from '../../platform/cron-scheduler.js';
import { systemClock } from '../../shared/scheduling.js';
import { binaries, needs, run } from '../support/metrics-binaries.js';
import { parseExposition, value } from '../support/metrics-exposition.js';
import { eventually, startProgram, type Running } from '../support/metrics-processes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECRET = 'e2e-enrolment-secret-0001';
const BRANCH_HOST = 'kms-branch.branch.contoso.com';

describe.skipIf(!binaries.promtool || !binaries.prometheus)(needs('prometheus', 'a real Prometheus scraping the collector'), () => {
  let dir: string;
  let collector: Collector;
  let url: string;
  let fleet: Fleet | undefined;
  let prometheus: Running | undefined;
  const scheduler = createCronScheduler();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vawatch-prom-e2e-'));
    const alerts = alertsPlugin();
    collector = await createCollector({
      config: { host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), enrolmentSecret: SECRET, adminPassword: 'admin-password-1' },
      clock: systemClock,
      scheduler,
      log: silentLogger,
      plugins: [alerts, metricsPlugin({ refreshSeconds: 1 }, () => alerts.engine())],
    });
    url = (await collector.listen()).url.replace(/\/$/, '');
    fleet = await startFleet({
      scenario: 'branch-below-threshold',
      collectorUrl: url,
      enrolmentSecret: SECRET,
      stateDir: join(dir, 'agents'),
      historyDays: 3,
      timers: scheduler,
    });
    await fleet.caughtUp;
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await fleet?.stop();
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /metrics from the live fleet that promtool check metrics accepts without a word', async () => {
    const text = await eventually(async () => {
      const t = await (await fetch(`${url}/metrics`)).text();
      return t.includes(`vawatch_kms_host_current_clients{kms_host="${BRANCH_HOST}",application="windows"}`) ? t : undefined;
    }, 'the branch host in /metrics', 60_000);
    const s = parseExposition(text);
    expect(value(s, 'vawatch_kms_host_current_clients', { kms_host: BRANCH_HOST, application: 'windows' })).toBe(20);
    expect(value(s, 'vawatch_kms_host_required_clients', { kms_host: BRANCH_HOST, application: 'windows' })).toBe(25);
    expect(value(s, 'vawatch_machines', { group: 'branch', license_status: 'OOBGrace', channel: 'kms-client' })).toBe(20);
    expect(value(s, 'vawatch_ingest_reports_total', { result: 'accepted' })).toBeGreaterThan(20);
    const r = run(binaries.promtool!, ['check', 'metrics'], { input: text });
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  }, 90_000);

  it('Prometheus, with the shipped rules, fires KmsCountBelowThreshold for the branch host only', async () => {
    const target = new URL(url).host;
    const rules = readFileSync(join(root, 'deploy', 'prometheus', 'rules', 'vawatch.rules.yml'), 'utf8').replace(/^(\s+)for: \S+$/gm, '$1for: 0s');
    prometheus = await startProgram(
      binaries.prometheus!,
      (d, port) => {
        writeFileSync(join(d, 'rules.yml'), rules);
        writeFileSync(
          join(d, 'prometheus.yml'),
          [
            'global: { scrape_interval: 1s, evaluation_interval: 1s }',
            'rule_files: [rules.yml]',
            'scrape_configs:',
            '  - job_name: vawatch',
            `    static_configs: [{ targets: ['${target}'] }]`,
          ].join('\n'),
        );
        return [`--config.file=${join(d, 'prometheus.yml')}`, `--storage.tsdb.path=${join(d, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`];
      },
      '/-/ready',
    );
    type PromAlert = { labels: Record<string, string>; state: string; annotations: Record<string, string> };
    const firing = await eventually(async () => {
      const body = (await (await fetch(`${prometheus!.url}/api/v1/alerts`)).json()) as { data: { alerts: PromAlert[] } };
      const kms = body.data.alerts.filter((a) => a.labels.alertname === 'KmsCountBelowThreshold' && a.state === 'firing');
      return kms.length ? kms : undefined;
    }, 'KmsCountBelowThreshold firing in Prometheus', 45_000);
    expect(firing.map((a) => [a.labels.kms_host, a.labels.severity])).toEqual([[BRANCH_HOST, 'warning']]);
    expect(firing[0]!.annotations.summary).toBe(`KMS host ${BRANCH_HOST} count is 20, below the 25 its client OS machines need`);
    // The scrape itself is healthy: Prometheus saw the target up.
    const up = (await (await fetch(`${prometheus.url}/api/v1/query?query=up{job="vawatch"}`)).json()) as { data: { result: Array<{ value: [number, string] }> } };
    expect(up.data.result.map((r) => r.value[1])).toEqual(['1']);
  }, 60_000);
});
