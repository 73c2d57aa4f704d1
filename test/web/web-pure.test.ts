// The dashboard's pure pieces, table-driven with explicit times: formatting, routes, alert grouping, fleet figures,
// event lines.
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertListItem, EventListItem } from '../../shared/api.js';
import { AlertsModel, groupIntoIncidents, sortAlertsWorstFirst } from '../../dashboard/web/src/lib/alert-model.js';
import { eventHealth, eventText } from '../../dashboard/web/src/lib/event-text.js';
import { countLevel } from '../../dashboard/web/src/components/kms-tile.js';
import { byStatusTotals, percent } from '../../dashboard/web/src/lib/fleet-figures.js';
import { clock, date, dateTime, day, duration, hresult, parseTimeZoneChoice, relative, setTimeZone, timeLeft, timeTitle, utcText } from '../../dashboard/web/src/lib/format.js';
import { href, parseHash } from '../../dashboard/web/src/lib/router.js';

const NOW = Date.parse('2026-11-29T10:00:00Z');
const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;

describe('format', () => {
  it.each([
    [0, '0 s'],
    [59_999, '59 s'],
    [MIN, '1 min'],
    [59 * MIN, '59 min'],
    [H, '1 h'],
    [H + 30 * MIN, '1 h 30 min'],
    [D, '1 d'],
    [D + 5 * H, '1 d 5 h'],
    [9 * D + 23 * H, '9 d 23 h'],
    [10 * D + 23 * H, '10 d'],
    [180 * D, '180 d'],
  ])('duration(%i) = %s', (ms, text) => expect(duration(ms)).toBe(text));

  it.each([
    [NOW - 3 * MIN, '3 min ago'],
    [NOW + 12 * D, 'in 12 d'],
    [NOW - 2000, 'just now'],
  ])('relative(%i) = %s', (t, text) => expect(relative(new Date(t).toISOString(), NOW)).toBe(text));

  it.each([
    [null, 'permanent'],
    [new Date(NOW - 1).toISOString(), 'expired'],
    [new Date(NOW + 29 * D + 2 * H).toISOString(), '29 d'],
  ])('timeLeft(%s) = %s', (iso, text) => expect(timeLeft(iso, NOW)).toBe(text));

  it.each([
    [0, '0x00000000'],
    [0xc004f074, '0xC004F074'],
    [-1073418225, '0xC004F00F'],
    [null, '—'],
  ])('hresult(%s) = %s', (n, text) => expect(hresult(n)).toBe(text));
});

describe('times in the chosen zone', () => {
  // 23:30 UTC is already the next day in Paris and Kolkata, still the same day in New York.
  const T = Date.parse('2026-11-29T23:30:05Z');
  afterEach(() => setTimeZone('local'));

  it.each([
    ['Europe/Paris', '30 Nov, 00:30', '30 Nov 2026', '00:30:05 CET'],
    ['America/New_York', '29 Nov, 18:30', '29 Nov 2026', '18:30:05 GMT-5'],
    ['Asia/Kolkata', '30 Nov, 05:00', '30 Nov 2026', '05:00:05 GMT+5:30'],
  ])('local time in %s: %s, %s, clock %s; UTC on hover', (zone, dt, d, c) => {
    setTimeZone('local', { localZone: zone });
    expect(dateTime(T)).toBe(dt);
    expect(dateTime(new Date(T).toISOString())).toBe(dt);
    expect(date(T)).toBe(d);
    expect(clock(T)).toBe(c);
    expect(timeTitle(T)).toMatch(/ · 2026-11-29 23:30:05 UTC$/);
  });

  it('Europe/Paris in summer is CEST', () => {
    setTimeZone('local', { localZone: 'Europe/Paris' });
    expect(clock(Date.parse('2026-07-01T10:00:00Z'))).toBe('12:00:00 CEST');
  });

  it('UTC when chosen, whatever the local zone, and says so', () => {
    setTimeZone('utc', { localZone: 'Europe/Paris' });
    expect(dateTime(T)).toBe('29 Nov, 23:30 UTC');
    expect(date(T)).toBe('29 Nov 2026');
    expect(clock(T)).toBe('23:30:05 UTC');
    expect(timeTitle(T)).toBe('2026-11-29 23:30:05 UTC');
  });

  it('a calendar day (the expiry wave buckets) stays that day in any zone', () => {
    setTimeZone('local', { localZone: 'America/New_York' });
    expect(day('2026-11-29')).toBe('29 Nov');
    expect(date('2026-11-29')).toBe('29 Nov 2026');
    expect(day(T)).toBe('29 Nov');
    setTimeZone('local', { localZone: 'Asia/Kolkata' });
    expect(day(T)).toBe('30 Nov');
  });

  it.each([[null], [undefined], ['not a time']])('%s reads as a dash', (v) => {
    expect(dateTime(v)).toBe('—');
    expect(date(v)).toBe('—');
    expect(utcText(v)).toBe('—');
    expect(timeTitle(v)).toBe('');
  });

  it.each([
    ['utc', 'utc'],
    [' UTC ', 'utc'],
    ['local', 'local'],
    ['Europe/Paris', null],
    [null, null],
  ])('the stored choice %s reads as %s', (v, choice) => expect(parseTimeZoneChoice(v)).toBe(choice));
});

describe('count bar colour', () => {
  // The bar follows the count against its threshold, whatever the host's rollup (a client with a problem makes the
  // host red; its count of 50 stays green).
  it.each([
    [50, 25, false, 'healthy'],
    [30, 25, false, 'healthy'],
    [29, 25, false, 'warning'],
    [25, 25, false, 'warning'],
    [24, 25, false, 'critical'],
    [0, 25, false, 'critical'],
    [50, 25, true, 'warning'],
    [10, 5, false, 'healthy'],
    [6, 5, false, 'healthy'],
    [5, 5, false, 'warning'],
    [4, 5, false, 'critical'],
    [4, 5, true, 'critical'],
    [null, 25, false, 'unknown'],
  ] as const)('count %s against %i (falling: %s) is %s', (count, threshold, falling, level) => expect(countLevel(count, threshold, { falling })).toBe(level));
});

describe('routes', () => {
  it.each([
    ['', ['overview'], ''],
    ['#/machines', ['machines'], ''],
    ['#/machines/ws%2F01?status=5&q=lyon', ['machines', 'ws/01'], 'status=5&q=lyon'],
    ['#/kms-hosts/kms01.contoso.com', ['kms-hosts', 'kms01.contoso.com'], ''],
    ['#/machines/%E0%A4%A', ['machines', '%E0%A4%A'], ''],
  ])('parseHash(%s)', (hash, path, query) => {
    const r = parseHash(hash);
    expect(r.path).toEqual(path);
    expect(r.query.toString()).toBe(query);
  });

  it('href encodes ids so a hostile id stays one segment, and drops empty parameters', () => {
    const link = href(['machines', '<img src=x>/../admin'], { status: '5', q: '' });
    expect(link).toBe('#/machines/%3Cimg%20src%3Dx%3E%2F..%2Fadmin?status=5');
    expect(parseHash(link).path).toEqual(['machines', '<img src=x>/../admin']);
  });
});

function alert(id: string, over: Partial<AlertListItem> = {}): AlertListItem {
  return {
    id,
    rule: 'ClientInNotification',
    severity: 'critical',
    state: 'new',
    subject: { kind: 'machine', id: `m-${id}`, name: `ws-${id}` },
    group: 'HQ',
    kmsHost: 'kms01.contoso.com',
    title: `ws-${id} is in Notification`,
    raisedAt: new Date(NOW - H).toISOString(),
    updatedAt: new Date(NOW - H).toISOString(),
    resolvedAt: null,
    silencedUntil: null,
    ...over,
  };
}

describe('alerts', () => {
  it('groups client alerts and the host’s own alert under the KMS host; the rest last; worst incident first', () => {
    const incidents = groupIntoIncidents([
      alert('a', { severity: 'warning', kmsHost: 'kms-lyon.contoso.com' }),
      alert('b', { kmsHost: null, subject: { kind: 'kms-host', id: 'kms-lyon.contoso.com', name: 'kms-lyon.contoso.com' }, severity: 'warning' }),
      alert('c'),
      alert('d', { kmsHost: null, rule: 'AgentStale', severity: 'warning' }),
      alert('e', { severity: 'warning' }),
    ]);
    expect(incidents.map((i) => [i.key, i.worst, i.alerts.map((a) => a.id)])).toEqual([
      ['kms:kms01.contoso.com', 'critical', ['c', 'e']],
      ['kms:kms-lyon.contoso.com', 'warning', ['a', 'b']],
      ['other', 'warning', ['d']],
    ]);
  });

  it('orders new before acknowledged, critical before warning, newest first', () => {
    const sorted = sortAlertsWorstFirst([
      alert('old-crit', { raisedAt: new Date(NOW - 5 * H).toISOString() }),
      alert('acked', { state: 'acknowledged' }),
      alert('warn', { severity: 'warning' }),
      alert('new-crit', { raisedAt: new Date(NOW - MIN).toISOString() }),
    ]);
    expect(sorted.map((a) => a.id)).toEqual(['new-crit', 'old-crit', 'warn', 'acked']);
  });

  it('drops an alert from the active list when a delta resolves it', () => {
    const m = new AlertsModel();
    m.reset([alert('a'), alert('b'), alert('gone', { state: 'resolved' })], { active: 2, critical: 2, warning: 0, acknowledged: 0 });
    expect(m.active().map((a) => a.id).sort()).toEqual(['a', 'b']);
    m.apply(alert('a', { state: 'resolved' }));
    m.apply(alert('c', { severity: 'warning' }));
    expect(m.active().map((a) => a.id)).toEqual(['b', 'c']);
  });
});

describe('fleet figures', () => {
  it('adds every grace state into "in grace"', () => {
    expect(byStatusTotals({ byStatus: { '0': 2, '1': 50, '2': 1, '3': 4, '4': 1, '5': 3, '6': 2, none: 7 } })).toEqual({
      licensed: 50,
      grace: 8,
      notification: 3,
      unlicensed: 2,
      none: 7,
    });
  });

  it.each([
    [0, 0, '—'],
    [0, 10, '0%'],
    [10, 10, '100%'],
    [9999, 10000, '99.9%'],
    [51, 61, '83.6%'],
    [1, 3, '33.3%'],
  ])('percent(%i, %i) = %s', (part, total, text) => expect(percent(part, total)).toBe(text));
});

describe('event lines', () => {
  const base = { id: 1, machineId: 'm', hostname: 'kms01', group: 'HQ', log: 'Key Management Service', provider: 'SPP', eventId: 12290, recordId: 1, time: new Date(NOW).toISOString(), receivedAt: new Date(NOW).toISOString() };
  it.each<[EventListItem['payload'], string, string]>([
    [{ kind: 'kms-request', hresult: 0, nPolicy: 25, clientFqdn: 'ws-01.contoso.com', cmid: 'c', clientTime: '', isVm: false, licenseStatus: 1, minutesToExpiry: 0, activationId: 'x' }, 'Request from ws-01.contoso.com (Licensed, N=25) — OK', 'healthy'],
    [{ kind: 'activation-failed', hresult: 0xc004f074, commandLine: null }, 'Activation failed — 0xC004F074', 'warning'],
    [{ kind: 'activation-response', hresult: 0, statusFlags: 0x4000000, activated: false, currentCount: 4, activationIntervalMinutes: 120, renewalIntervalMinutes: 10080, clientTime: '', notEnoughCount: true }, 'KMS answered, not activated (count 4, not enough clients) — OK', 'warning'],
    [{ kind: 'dns-publish-failed', hresult: 0x8007232a, domain: 'contoso.com' }, 'Publishing to DNS in contoso.com failed — 0x8007232A', 'warning'],
  ])('%#: %s', (payload, text, health) => {
    const e = { ...base, payload } as EventListItem;
    // Known HRESULTs carry their catalogue name after the code, so the line starts with the expected text.
    expect(eventText(e).startsWith(text)).toBe(true);
    expect(eventHealth(e)).toBe(health);
  });
});
