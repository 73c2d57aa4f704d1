/**
 * End to end with a real Alertmanager: the collector's alert engine raises ClientInNotification from a report, the
 * notify plug-in pushes it, Alertmanager routes it to a webhook receiver on loopback (send_resolved: true), and after a
 * report that clears the condition the receiver sees it resolved.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import { metricsPlugin } from '../../dashboard/metrics/metrics-plugin.js';
import { notifyPlugin } from '../../dashboard/notify/notify-plugin.js';
import { createCollector, type Collector } from '../../dashboard/server/collector.js';
import { silentLogger } from '../../dashboard/server/log.js';
import { createCronScheduler } from '../../platform/cron-scheduler.js';
import { systemClock } from '../../shared/scheduling.js';
import { enrolAgent, product, report, sendBatch, snapshot, type Harness } from '../support/collector-harness.js';
import { binaries, needs } from '../support/metrics-binaries.js';
import { eventually, startProgram, type Running } from '../support/metrics-processes.js';
import { FakeReceiver } from '../support/metrics-receiver.js';

const SECRET = 'test-enrolment-secret-0123';

interface WebhookMessage {
  status: 'firing' | 'resolved';
  alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string>; generatorURL: string; endsAt: string }>;
}

describe.skipIf(!binaries.alertmanager)(needs('alertmanager', 'a real Alertmanager receiving the collector\'s alerts'), () => {
  let dir: string;
  let receiver: FakeReceiver;
  let alertmanager: Running | undefined;
  let collector: Collector | undefined;
  let url: string;
  const scheduler = createCronScheduler();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vawatch-am-e2e-'));
    receiver = await new FakeReceiver().start();
    alertmanager = await startProgram(
      binaries.alertmanager!,
      (d, port) => {
        writeFileSync(
          join(d, 'alertmanager.yml'),
          [
            'route: { receiver: hook, group_by: [alertname, machine_id], group_wait: 1s, group_interval: 1s, repeat_interval: 1h }',
            'receivers:',
            '  - name: hook',
            `    webhook_configs: [{ url: '${receiver.url}/hook', send_resolved: true }]`,
          ].join('\n'),
        );
        return [
          `--config.file=${join(d, 'alertmanager.yml')}`,
          `--storage.path=${join(d, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--cluster.listen-address=',
        ];
      },
      '/-/ready',
    );
    const alerts = alertsPlugin();
    collector = await createCollector({
      config: { host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), enrolmentSecret: SECRET, adminPassword: 'admin-password-1' },
      clock: systemClock,
      scheduler,
      log: silentLogger,
      plugins: [
        notifyPlugin({ alertmanagerUrl: alertmanager.url, publicUrl: 'http://vawatch.example:8080', resendSeconds: 5 }, () => alerts.engine()),
        alerts,
        metricsPlugin({ refreshSeconds: 1 }, () => alerts.engine()),
      ],
    });
    url = (await collector.listen()).url.replace(/\/$/, '');
  }, 60_000);

  afterAll(async () => {
    await collector?.close();
    await alertmanager?.stop();
    await receiver?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers the pushed alert, then its resolution after a report that clears it', async () => {
    const h = { url } as Harness;
    const agent = await enrolAgent(h, 'm-am-1', 'ws-am-01.contoso.com');
    const inNotification = product({ licenseStatus: 5, licenseStatusReason: 0xc004f009, graceExpiresAt: null, kmsHost: null });
    const now = Date.now();
    const r1 = await sendBatch(h, agent, [
      report(agent, 1, now, { snapshot: snapshot('m-am-1', 'ws-am-01.contoso.com', now, { group: 'lab', products: [inNotification] }) }),
    ]);
    expect(r1.status).toBe(200);

    const messages = () => receiver.requests.map((r) => r.body as WebhookMessage);
    const firing = await eventually(
      async () => messages().flatMap((m) => m.alerts).find((a) => a.status === 'firing' && a.labels.alertname === 'ClientInNotification'),
      'the firing alert at the receiver',
      30_000,
    );
    expect(firing.labels).toMatchObject({ severity: 'critical', source: 'vawatch', machine: 'ws-am-01.contoso.com', machine_id: 'm-am-1', group: 'lab' });
    expect(firing.annotations.summary).toContain('ws-am-01.contoso.com');
    expect(firing.annotations.hresult).toMatch(/^0xC004F009/i);
    expect(firing.generatorURL).toMatch(/^http:\/\/vawatch\.example:8080\/#\/alerts\/.+/);

    const later = Date.now();
    const r2 = await sendBatch(h, agent, [
      report(agent, 2, later, { snapshot: snapshot('m-am-1', 'ws-am-01.contoso.com', later, { group: 'lab', products: [product({ kmsHost: null })] }) }),
    ]);
    expect(r2.status).toBe(200);
    const resolved = await eventually(
      async () => messages().find((m) => m.status === 'resolved' && m.alerts.some((a) => a.labels.machine_id === 'm-am-1' && a.status === 'resolved')),
      'the resolution at the receiver',
      30_000,
    );
    expect(resolved.alerts[0]!.labels.alertname).toBe('ClientInNotification');
  }, 70_000);
});
