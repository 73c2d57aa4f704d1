import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AckSilencer } from '../../dashboard/notify/ack-silencer.js';
import { AlertmanagerClient, type PostableAlert, type PostableSilence } from '../../dashboard/notify/alertmanager-client.js';
import { AlertmanagerPusher } from '../../dashboard/notify/alertmanager-pusher.js';
import type { NotifiableAlert } from '../../dashboard/notify/notifiable-alert.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { FakeReceiver } from '../support/metrics-receiver.js';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

function graceAlert(a: Partial<NotifiableAlert> = {}): NotifiableAlert {
  return {
    id: 'a-17',
    rule: 'GraceExpiring',
    severity: 'warning',
    state: 'new',
    subject: { kind: 'machine', id: 'm-42', name: 'ws-0042.contoso.com' },
    group: 'branch',
    kmsHost: 'kms-branch.contoso.com',
    title: 'ws-0042.contoso.com: additional grace ends in 9 days',
    knowledge: {
      meaning: 'The KMS activation lapsed; the machine is in OOT grace.',
      cause: 'It has not reached its KMS host for 180 days.',
      action: 'Restore access to kms-branch.contoso.com on TCP 1688, then activate.',
      commands: ['slmgr.vbs /dlv', 'slmgr.vbs /ato'],
      hresult: { code: '0xC004F074', text: 'No KMS could be contacted' },
    },
    raisedAt: T0 - 3_600_000,
    resolvedAt: null,
    ...a,
  };
}

let am: FakeReceiver;
let clock: VirtualClock;
let warnings: string[];
beforeEach(async () => {
  am = await new FakeReceiver().start();
  clock = new VirtualClock(T0);
  warnings = [];
});
afterEach(async () => {
  await am.stop();
});

function pusher() {
  const p = new AlertmanagerPusher({
    client: new AlertmanagerClient(am.url),
    publicUrl: 'https://vawatch.contoso.com/',
    clock,
    scheduler: clock,
    log: { info() {}, warn: (m) => warnings.push(m) },
    options: { resendSeconds: 60, resolvedResendSeconds: 300 },
  });
  p.start();
  return p;
}
const posted = (i: number) => am.requests[i]!.body as PostableAlert[];

describe('Alertmanager push', () => {
  it('pushes a raised alert with identifying labels, the knowledge as annotations and a link back', async () => {
    const p = pusher();
    p.update(graceAlert());
    await am.waitFor(1);
    expect(am.requests[0]).toMatchObject({ method: 'POST', path: '/api/v2/alerts' });
    const [alert] = posted(0);
    expect(alert!.labels).toEqual({
      alertname: 'GraceExpiring',
      severity: 'warning',
      source: 'vawatch',
      machine: 'ws-0042.contoso.com',
      machine_id: 'm-42',
      group: 'branch',
      kms_host: 'kms-branch.contoso.com',
      vawatch_alert_id: 'a-17',
    });
    expect(alert!.annotations).toMatchObject({
      summary: 'ws-0042.contoso.com: additional grace ends in 9 days',
      description: 'The KMS activation lapsed; the machine is in OOT grace.',
      action: 'Restore access to kms-branch.contoso.com on TCP 1688, then activate.',
      commands: 'slmgr.vbs /dlv\nslmgr.vbs /ato',
      hresult: '0xC004F074 No KMS could be contacted',
    });
    expect(alert!.generatorURL).toBe('https://vawatch.contoso.com/#/alerts/a-17');
    expect(alert!.startsAt).toBe(new Date(T0 - 3_600_000).toISOString());
    // Active: endsAt a few resend intervals ahead, so Alertmanager resolves it if the collector goes away.
    expect(Date.parse(alert!.endsAt)).toBe(T0 + 4 * 60_000);
  });

  it('resends active alerts on schedule, then sends endsAt on resolve, and forgets them later', async () => {
    const p = pusher();
    p.update(graceAlert());
    await am.waitFor(1);
    await clock.advanceByAsync(60_000);
    await am.waitFor(2);
    expect(Date.parse(posted(1)[0]!.endsAt)).toBe(T0 + 60_000 + 4 * 60_000);

    const resolvedAt = T0 + 90_000;
    clock.advanceTo(resolvedAt);
    p.update(graceAlert({ state: 'resolved', resolvedAt }));
    await am.waitFor(3);
    expect(posted(2)[0]!.endsAt).toBe(new Date(resolvedAt).toISOString());

    // Still repeated within the resolved window (a lost push is repaired), then dropped.
    await clock.advanceToAsync(T0 + 120_000);
    await am.waitFor(4);
    expect(posted(3)[0]!.endsAt).toBe(new Date(resolvedAt).toISOString());
    await clock.advanceToAsync(resolvedAt + 300_000 + 60_000);
    expect(p.tracked).toBe(0);
    const before = am.requests.length;
    await clock.advanceByAsync(120_000);
    expect(am.requests.length).toBe(before);
  });

  it('ends the old label set when an alert escalates from warning to critical', async () => {
    const p = pusher();
    p.update(graceAlert());
    await am.waitFor(1);
    clock.advanceBy(30_000);
    p.update(graceAlert({ severity: 'critical' }));
    await am.waitFor(2);
    const sent = posted(1);
    expect(sent.map((a) => [a.labels.severity, a.endsAt])).toEqual([
      ['warning', new Date(T0 + 30_000).toISOString()],
      ['critical', new Date(T0 + 30_000 + 240_000).toISOString()],
    ]);
  });

  it('logs one line while Alertmanager fails and delivers everything at the next resend', async () => {
    am.script.push({ status: 500, body: 'boom' }, { status: 503 });
    const p = pusher();
    p.update(graceAlert());
    await am.waitFor(1);
    await clock.advanceByAsync(60_000);
    await am.waitFor(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/alertmanager: push failed, will resend: .*answered 500/);
    await clock.advanceByAsync(60_000);
    await am.waitFor(3);
    expect(posted(2)[0]!.labels.vawatch_alert_id).toBe('a-17');
  });
});

describe('silence on acknowledge', () => {
  it('creates a silence for the rule and subject, for the configured time, naming the operator', async () => {
    am.fallback = { status: 200, body: JSON.stringify({ silenceID: 'sil-1' }) };
    const s = new AckSilencer({ client: new AlertmanagerClient(am.url), clock, durationHours: 24, log: { info() {}, warn: (m) => warnings.push(m) } });
    const id = await s.silence(graceAlert({ state: 'acknowledged' }), { username: 'olga', comment: 'VPN to branch down, ticket 4711' });
    expect(id).toBe('sil-1');
    expect(am.requests[0]!.path).toBe('/api/v2/silences');
    const body = am.requests[0]!.body as PostableSilence;
    expect(body.matchers).toEqual([
      { name: 'alertname', value: 'GraceExpiring', isRegex: false, isEqual: true },
      { name: 'machine_id', value: 'm-42', isRegex: false, isEqual: true },
    ]);
    expect([body.startsAt, body.endsAt]).toEqual([new Date(T0).toISOString(), new Date(T0 + 24 * 3_600_000).toISOString()]);
    expect(body.createdBy).toBe('olga (vawatch)');
    expect(body.comment).toContain('ticket 4711');
  });

  it('returns undefined and logs when Alertmanager refuses', async () => {
    am.fallback = { status: 400, body: '{"message":"bad matcher"}' };
    const s = new AckSilencer({ client: new AlertmanagerClient(am.url), clock, durationHours: 1, log: { info() {}, warn: (m) => warnings.push(m) } });
    expect(await s.silence(graceAlert({ subject: { kind: 'kms-host', id: 'kms01.contoso.com', name: 'kms01.contoso.com' } }), { username: 'olga' })).toBeUndefined();
    expect((am.requests[0]!.body as PostableSilence).matchers[1]).toEqual({ name: 'kms_host', value: 'kms01.contoso.com', isRegex: false, isEqual: true });
    expect(warnings[0]).toMatch(/could not create the silence .* answered 400/);
  });
});
