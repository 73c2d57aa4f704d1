import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertNotifications } from '../../dashboard/notify/alert-notifications.js';
import type { NotifiableAlert } from '../../dashboard/notify/notifiable-alert.js';
import { parseNotifyOptions } from '../../dashboard/notify/notify-options.js';
import { parseMetricsOptions } from '../../dashboard/metrics/metrics-options.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { FakeReceiver } from '../support/metrics-receiver.js';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
const alert: NotifiableAlert = {
  id: 'a-9',
  rule: 'ClientInNotification',
  severity: 'critical',
  state: 'new',
  subject: { kind: 'machine', id: 'm-9', name: 'ws-0009.contoso.com' },
  group: 'hq',
  kmsHost: null,
  title: 'ws-0009.contoso.com is in Notification',
  raisedAt: T0,
  resolvedAt: null,
};

let am: FakeReceiver;
let hook: FakeReceiver;
beforeEach(async () => {
  am = await new FakeReceiver().start();
  hook = await new FakeReceiver().start();
});
afterEach(async () => {
  await am.stop();
  await hook.stop();
});

describe('alert notifications', () => {
  it('fans an acknowledgement out to Alertmanager (push and silence) and the webhook', async () => {
    am.fallback = { status: 200, body: '{"silenceID":"s-1"}' };
    const n = new AlertNotifications({
      options: { alertmanagerUrl: am.url, webhooks: [{ url: hook.url }], ackSilenceHours: 2 },
      scheduler: new VirtualClock(T0),
      log: { info() {}, warn() {} },
    });
    n.start();
    await n.alertChanged('acknowledged', { ...alert, state: 'acknowledged' }, { username: 'olga' });
    await am.waitFor(2);
    expect(am.requests.map((r) => r.path).sort()).toEqual(['/api/v2/alerts', '/api/v2/silences']);
    expect(hook.requests).toHaveLength(1);
    await n.close();
  });

  it('sends nothing to Alertmanager when no URL is configured', async () => {
    const n = new AlertNotifications({ options: {}, scheduler: new VirtualClock(T0), log: { info() {}, warn() {} } });
    expect(n.pusher).toBeUndefined();
    await n.alertChanged('raised', alert);
    expect(am.requests).toHaveLength(0);
  });
});

describe('options', () => {
  it.each([
    [() => parseNotifyOptions({ alertmanagerUrl: 'alertmanager:9093' }), /^notify\.alertmanagerUrl: expected an http:\/\/ or https:\/\/ URL$/],
    [() => parseNotifyOptions({ resendSeconds: 0 }), /^notify\.resendSeconds: /],
    [() => parseNotifyOptions({ webhooks: [{ url: 'http://x', secret: 'short' }] }), /^notify\.webhooks\.0\.secret: /],
    [() => parseMetricsOptions({ machineSeriesLimit: -1 }), /^metrics\.machineSeriesLimit: /],
    [() => parseMetricsOptions({ refreshSeconds: 'soon' }), /^metrics\.refreshSeconds: /],
  ])('a bad value stops with a one-line reason naming the option (%#)', (parse, reason) => {
    expect(parse).toThrow(reason);
  });

  it('has documented defaults', () => {
    expect(parseNotifyOptions()).toMatchObject({ publicUrl: 'http://127.0.0.1:8080', resendSeconds: 60, silenceOnAck: true, ackSilenceHours: 24, webhooks: [] });
    expect(parseMetricsOptions()).toEqual({ machineSeriesLimit: 10_000, refreshSeconds: 15, processMetrics: true });
  });
});

describe('flags from the environment', () => {
  it.each([
    ['false', false],
    ['0', false],
    ['true', true],
    [false, false],
  ])('silenceOnAck %j reads as %s', (v, expected) => {
    expect(parseNotifyOptions({ silenceOnAck: v as never }).silenceOnAck).toBe(expected);
  });
});
