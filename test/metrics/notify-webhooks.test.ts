import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotifiableAlert } from '../../dashboard/notify/notifiable-alert.js';
import { retryDelayMs, WebhookNotifier, type WebhookBody } from '../../dashboard/notify/webhook-notifier.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { FakeReceiver } from '../support/metrics-receiver.js';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

const alert: NotifiableAlert = {
  id: 'a-3',
  rule: 'KmsCountBelowThreshold',
  severity: 'warning',
  state: 'new',
  subject: { kind: 'kms-host', id: 'kms-branch.contoso.com', name: 'kms-branch.contoso.com' },
  group: 'branch',
  kmsHost: 'kms-branch.contoso.com',
  title: 'KMS host kms-branch.contoso.com count 12 is below 25 while 12 client OS machines depend on it',
  machineCount: 12,
  raisedAt: T0,
  resolvedAt: null,
};

let hook: FakeReceiver;
let clock: VirtualClock;
let warnings: string[];
beforeEach(async () => {
  hook = await new FakeReceiver().start();
  clock = new VirtualClock(T0);
  warnings = [];
});
afterEach(async () => {
  await hook.stop();
});

function notifier(secret?: string, maxAttempts = 4) {
  return new WebhookNotifier({
    targets: [{ url: `${hook.url}/hooks/vawatch`, ...(secret ? { secret } : {}) }],
    clock,
    scheduler: clock,
    log: { info() {}, warn: (m) => warnings.push(m) },
    publicUrl: 'http://127.0.0.1:8080',
    retry: { maxAttempts, baseDelayMs: 2_000, maxDelayMs: 60_000 },
    random: () => 0.5,
  });
}

describe('generic webhooks', () => {
  it('posts the alert event as signed JSON with a link to the dashboard', async () => {
    await notifier('s3cret-s3cret').notify('acknowledged', { ...alert, state: 'acknowledged' }, { username: 'olga', comment: 'on it' });
    expect(hook.requests).toHaveLength(1);
    const r = hook.requests[0]!;
    const body = r.body as WebhookBody;
    expect(body).toMatchObject({
      version: 1,
      event: 'acknowledged',
      alert: { id: 'a-3', rule: 'KmsCountBelowThreshold', state: 'acknowledged', kmsHost: 'kms-branch.contoso.com', machineCount: 12, url: 'http://127.0.0.1:8080/#/alerts/a-3' },
      by: { username: 'olga', comment: 'on it' },
    });
    expect(r.headers['x-vawatch-signature']).toBe(`sha256=${createHmac('sha256', 's3cret-s3cret').update(r.raw).digest('hex')}`);
  });

  it('retries 503s with doubling backoff until the receiver accepts', async () => {
    hook.script.push({ status: 503 }, { status: 502 });
    await notifier().notify('raised', alert);
    expect(hook.requests).toHaveLength(1);
    await clock.advanceByAsync(1_999);
    expect(hook.requests).toHaveLength(1);
    await clock.advanceByAsync(1);
    expect(hook.requests).toHaveLength(2);
    await clock.advanceByAsync(3_999);
    expect(hook.requests).toHaveLength(2);
    await clock.advanceByAsync(1);
    expect(hook.requests).toHaveLength(3);
    await clock.advanceByAsync(600_000);
    expect(hook.requests).toHaveLength(3);
    expect(hook.requests.map((r) => r.raw)).toEqual(Array(3).fill(hook.requests[0]!.raw));
    expect(warnings).toEqual([]);
  });

  it('honours Retry-After on 429', async () => {
    hook.script.push({ status: 429, headers: { 'retry-after': '30' } });
    await notifier().notify('raised', alert);
    await clock.advanceByAsync(29_999);
    expect(hook.requests).toHaveLength(1);
    await clock.advanceByAsync(1);
    expect(hook.requests).toHaveLength(2);
  });

  it('does not retry a 400 (a bug to log, not to repeat)', async () => {
    hook.fallback = { status: 400 };
    await notifier().notify('raised', alert);
    await clock.advanceByAsync(3_600_000);
    expect(hook.requests).toHaveLength(1);
    expect(warnings).toEqual([expect.stringMatching(/refused the delivery \(answered 400\); not retried/)]);
  });

  it('gives up after the configured attempts, with one log line', async () => {
    hook.fallback = { status: 500 };
    await notifier(undefined, 3).notify('resolved', { ...alert, state: 'resolved', resolvedAt: T0 });
    await clock.advanceByAsync(3_600_000);
    expect(hook.requests).toHaveLength(3);
    expect(warnings).toEqual([expect.stringMatching(/answered 500; gave up after 3 attempts/)]);
  });

  it('retries when nobody listens at all', async () => {
    const url = hook.url;
    await hook.stop();
    const n = new WebhookNotifier({
      targets: [{ url }],
      clock,
      scheduler: clock,
      log: { info() {}, warn: (m) => warnings.push(m) },
      publicUrl: 'http://127.0.0.1:8080',
      retry: { maxAttempts: 2, baseDelayMs: 1_000, maxDelayMs: 1_000 },
    });
    await n.notify('raised', alert);
    await clock.advanceByAsync(5_000);
    expect(warnings).toEqual([expect.stringMatching(/unreachable: .*; gave up after 2 attempts/)]);
    hook = await new FakeReceiver().start();
  });
});

describe('retry delay', () => {
  it.each([
    // [attempt, random, retry-after, expected ms]
    [2, 0.5, null, 2_000],
    [3, 0.5, null, 4_000],
    [2, 0, null, 1_600],
    [2, 1, null, 2_400],
    [10, 0.5, null, 60_000],
    [2, 0.5, 120, 60_000],
    [2, 0.5, 5, 5_000],
  ])('attempt %i, random %f, Retry-After %s → %i ms', (attempt, random, retryAfter, expected) => {
    expect(retryDelayMs(attempt, { maxAttempts: 10, baseDelayMs: 2_000, maxDelayMs: 60_000 }, retryAfter, () => random)).toBe(expected);
  });
});
