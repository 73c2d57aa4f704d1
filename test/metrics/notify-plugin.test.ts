/**
 * The notify plug-in inside a real collector (port 0, SQLite, virtual clock) with the real alert engine: alerts raised
 * by reports reach a fake Alertmanager and a webhook; an operator's acknowledgement through the API creates the silence;
 * a clearing report resolves them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import type { PostableAlert, PostableSilence } from '../../dashboard/notify/alertmanager-client.js';
import { notifyPlugin } from '../../dashboard/notify/notify-plugin.js';
import type { WebhookBody } from '../../dashboard/notify/webhook-notifier.js';
import { enrolAgent, postJson, product, report, sendBatch, signIn, snapshot, startCollector, T0, type Harness } from '../support/collector-harness.js';
import { eventually } from '../support/metrics-processes.js';
import { FakeReceiver } from '../support/metrics-receiver.js';

let am: FakeReceiver;
let hook: FakeReceiver;
let h: Harness;

beforeEach(async () => {
  am = await new FakeReceiver().start();
  am.fallback = { status: 200, body: '{"silenceID":"sil-9"}' };
  hook = await new FakeReceiver().start();
  const alerts = alertsPlugin();
  h = await startCollector({
    plugins: [
      notifyPlugin({ alertmanagerUrl: am.url, webhooks: [{ url: `${hook.url}/hook` }], ackSilenceHours: 4, publicUrl: 'http://noc.example' }, () => alerts.engine()),
      alerts,
    ],
  });
});
afterEach(async () => {
  await h.close();
  await am.stop();
  await hook.stop();
});

const pushes = () => am.requests.filter((r) => r.path === '/api/v2/alerts').flatMap((r) => r.body as PostableAlert[]);
const events = () => hook.requests.map((r) => r.body as WebhookBody);

describe('notify plug-in', () => {
  it('pushes raised alerts, silences on acknowledge, and announces the resolution', async () => {
    const agent = await enrolAgent(h, 'm-1', 'ws-0001.contoso.com');
    const bad = product({ licenseStatus: 5, graceExpiresAt: null, kmsHost: null });
    await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: snapshot('m-1', 'ws-0001.contoso.com', T0, { products: [bad] }) })]);

    const raised = await eventually(async () => events().find((e) => e.event === 'raised' && e.alert.rule === 'ClientInNotification'), 'the raised webhook', 20_000);
    expect(raised.alert.subject).toEqual({ kind: 'machine', id: 'm-1', name: 'ws-0001.contoso.com' });
    const pushed = await eventually(async () => pushes().find((p) => p.labels.alertname === 'ClientInNotification'), 'the Alertmanager push', 20_000);
    expect(pushed.labels.machine_id).toBe('m-1');
    expect(pushed.generatorURL).toBe(`http://noc.example/#/alerts/${raised.alert.id}`);
    expect(Date.parse(pushed.endsAt)).toBeGreaterThan(T0);

    const cookie = await signIn(h);
    const ack = await postJson(`${h.url}/api/v1/alerts/${raised.alert.id}/ack`, { comment: 'reimaging tonight' }, { cookie });
    expect(ack.status).toBe(200);
    const silence = await eventually(async () => am.requests.find((r) => r.path === '/api/v2/silences')?.body as PostableSilence | undefined, 'the silence', 20_000);
    expect(silence.matchers.map((m) => `${m.name}=${m.value}`)).toEqual(['alertname=ClientInNotification', 'machine_id=m-1']);
    expect(Date.parse(silence.endsAt) - Date.parse(silence.startsAt)).toBe(4 * 3_600_000);
    expect(silence.createdBy).toBe('admin (vawatch)');
    const acked = await eventually(async () => events().find((e) => e.event === 'acknowledged'), 'the acknowledged webhook', 20_000);
    expect(acked.by).toEqual({ username: 'admin', comment: 'reimaging tonight' });

    const t1 = T0 + 10 * 60_000; // within the 15 minutes (3 heartbeats) after which the agent would count as stale
    h.clock.advanceTo(t1);
    await sendBatch(h, agent, [report(agent, 2, t1, { snapshot: snapshot('m-1', 'ws-0001.contoso.com', t1, { products: [product({ kmsHost: null })] }) })]);
    const resolved = await eventually(async () => events().find((e) => e.event === 'resolved'), 'the resolved webhook', 20_000);
    expect(resolved.alert.resolvedAt).toBe(new Date(t1).toISOString());
    const end = await eventually(async () => pushes().find((p) => p.labels.alertname === 'ClientInNotification' && p.endsAt === new Date(t1).toISOString()), 'endsAt pushed', 20_000);
    expect(end.labels.machine_id).toBe('m-1');
    // One event of each kind: nothing announced twice.
    expect(events().map((e) => e.event)).toEqual(['raised', 'acknowledged', 'resolved']);
  }, 60_000);

  it('does nothing at all when neither Alertmanager nor webhooks are configured', async () => {
    const alerts = alertsPlugin();
    const plugin = notifyPlugin({}, () => alerts.engine());
    const other = await startCollector({ plugins: [plugin, alerts] });
    try {
      expect(plugin.notifications).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
