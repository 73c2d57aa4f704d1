import { describe, expect, it } from 'vitest';
import { sameForAllGroups } from '../../dashboard/alerts/rule-definition.js';
import * as below from '../../dashboard/alerts/rules/kms-count-below-threshold.js';
import * as forecast from '../../dashboard/alerts/rules/kms-count-forecast.js';
import * as dns from '../../dashboard/alerts/rules/kms-dns-publishing-failed.js';
import * as idle from '../../dashboard/alerts/rules/kms-idle.js';
import * as serviceFailing from '../../dashboard/alerts/rules/kms-service-failing.js';
import { OFFICE_APPLICATION_ID, WINDOWS_APPLICATION_ID } from '../../shared/kms-rules.js';
import { DAY, HOUR, NOW, fleet, kmsHost, kmsService, machine, request } from '../support/alerts-fleet.js';

describe('KmsCountBelowThreshold', () => {
  const config = sameForAllGroups(below.KmsCountBelowThresholdConfig.parse({ rule: 'KmsCountBelowThreshold' }));
  it.each([
    { count: 25, clients: 'client', expected: null },
    { count: 24, clients: 'client', expected: 'warning' },
    { count: 5, clients: 'client', expected: 'warning' },
    { count: 4, clients: 'client', expected: 'critical' },
    { count: 9, clients: 'server', expected: null }, // servers only: judged against 5 alone
    { count: 5, clients: 'server', expected: null },
    { count: 4, clients: 'server', expected: 'critical' },
    { count: null, clients: 'client', expected: null }, // sentinel: no data
  ] as const)('count $count with $clients dependents → $expected', ({ count, clients, expected }) => {
    const host = kmsHost({ kmsService: kmsService({ currentCount: count }) });
    const m = machine({ osKind: clients });
    const found = below.evaluate(fleet([m], [host]), NOW, config);
    expect(found.map((f) => f.severity)).toEqual(expected ? [expected] : []);
    if (expected) {
      expect(found[0]!.subject).toEqual({ kind: 'kms-host', id: host.hostId, name: host.hostname });
      expect(found[0]!.knowledge.hresult?.code).toBe('0xC004F038');
    }
  });
  it('sees client OS demand in the 12290 N-policy even without agents on the clients', () => {
    const host = kmsHost({ kmsService: kmsService({ currentCount: 12 }), requests: [request('pc1.corp.example', NOW - DAY, { nPolicy: 25 })] });
    expect(below.evaluate(fleet([], [host]), NOW, config).map((f) => f.severity)).toEqual(['warning']);
    const old = kmsHost({ kmsService: kmsService({ currentCount: 12 }), requests: [request('pc1.corp.example', NOW - 31 * DAY, { nPolicy: 25 })] });
    expect(below.evaluate(fleet([], [old]), NOW, config)).toEqual([]);
  });
  it('judges each host alone: the branch host fires, the HQ host does not', () => {
    const hq = kmsHost({ hostname: 'kms01.corp.example', kmsService: kmsService({ currentCount: 50 }) });
    const branch = kmsHost({ hostname: 'kms-br.branch.corp.example', group: 'branch', kmsService: kmsService({ currentCount: 8 }) });
    const m1 = machine({});
    const m2 = machine({ group: 'branch' });
    m2.products = [{ ...m2.products[0]!, kmsHost: { name: 'kms-br.branch.corp.example', port: 1688, source: 'dns' } }];
    const found = below.evaluate(fleet([m1, m2], [hq, branch]), NOW, config);
    expect(found.map((f) => [f.subject.name, f.severity])).toEqual([['kms-br.branch.corp.example', 'warning']]);
  });
});

describe('KmsCountForecast', () => {
  const config = sameForAllGroups(forecast.KmsCountForecastConfig.parse({ rule: 'KmsCountForecast' }));
  // 25 clients renewing weekly plus `stoppedCount` that last asked `stoppedAgo` before now.
  function hostWith(stoppedCount: number, stoppedAgo: number) {
    const requests = [];
    for (let i = 0; i < 25; i++) requests.push(request(`live${i}.corp.example`, NOW - 2 * DAY));
    for (let i = 0; i < stoppedCount; i++) requests.push(request(`gone${i}.corp.example`, NOW - stoppedAgo));
    return kmsHost({ kmsService: kmsService({ currentCount: 25 + stoppedCount }), requests });
  }
  it.each([
    // 24 renewing + 1 stopped: it is the stopped one that holds the count at 25.
    { live: 24, stoppedAgo: 23 * DAY, fires: true, at: NOW + 7 * DAY },
    { live: 24, stoppedAgo: 23 * DAY - 60_000, fires: false, at: null },
    { live: 25, stoppedAgo: 29 * DAY, fires: false, at: null }, // 25 keep renewing: never below 25
  ])('$live renewing, one stopped $stoppedAgo ms ago → fires: $fires', ({ live, stoppedAgo, fires, at }) => {
    const host = hostWith(1, stoppedAgo);
    host.requests = host.requests.filter((r) => !r.clientFqdn.startsWith('live') || Number(r.clientFqdn.slice(4, r.clientFqdn.indexOf('.'))) < live);
    const found = forecast.evaluate(fleet([], [host]), NOW, config);
    expect(found.length).toBe(fires ? 1 : 0);
    if (fires) {
      expect(found[0]!.machines.map((m) => m.hostname)).toEqual(['gone0.corp.example']);
      expect(found[0]!.summary).toContain(new Date(at!).toISOString());
    }
  });
  it('stays quiet when the count is already below (KmsCountBelowThreshold speaks)', () => {
    const requests = [request('a.corp.example', NOW - 10 * DAY), request('b.corp.example', NOW - DAY)];
    const host = kmsHost({ kmsService: kmsService({ currentCount: 2 }), requests });
    expect(forecast.evaluate(fleet([], [host]), NOW, config).filter((f) => f.summary.includes('below 25'))).toEqual([]);
  });
});

describe('KmsIdle', () => {
  const config = sameForAllGroups(idle.KmsIdleConfig.parse({ rule: 'KmsIdle' }));
  // Requests every `gap`, the last at `last`.
  function hostWithRequests(gap: number, last: number, n = 20) {
    return kmsHost({ requests: Array.from({ length: n }, (_, i) => request(`c${i}.corp.example`, last - (n - 1 - i) * gap)) });
  }
  it.each([
    { name: 'busy host (1 h gaps), silent 24 h', gap: HOUR, silentFor: 24 * HOUR, fires: false },
    { name: 'busy host, silent 24 h + 1 s', gap: HOUR, silentFor: 24 * HOUR + 1000, fires: true },
    { name: 'quiet host (12 h gaps), silent 36 h', gap: 12 * HOUR, silentFor: 36 * HOUR, fires: false },
    { name: 'quiet host, silent 36 h + 1 s', gap: 12 * HOUR, silentFor: 36 * HOUR + 1000, fires: true },
  ])('$name → fires: $fires', ({ gap, silentFor, fires }) => {
    const host = hostWithRequests(gap, NOW - silentFor);
    expect(idle.evaluate(fleet([], [host]), NOW, config).length).toBe(fires ? 1 : 0);
  });
  it('judges a host replaying its history at its own clock', () => {
    const host = { ...hostWithRequests(HOUR, NOW - 30 * DAY), agentClockOffsetMs: -30 * DAY + HOUR };
    expect(idle.evaluate(fleet([], [host]), NOW, config)).toEqual([]);
  });
  it('does not judge a host with fewer than two requests', () => {
    expect(idle.evaluate(fleet([], [hostWithRequests(HOUR, NOW - 30 * DAY, 1)]), NOW, config)).toEqual([]);
  });
});

describe('KmsDnsPublishingFailed', () => {
  const config = sameForAllGroups(dns.KmsDnsPublishingFailedConfig.parse({ rule: 'KmsDnsPublishingFailed' }));
  it.each([
    { name: '12293 only', failed: NOW - HOUR, succeeded: null, fires: true },
    { name: '12293 then 12294', failed: NOW - 2 * HOUR, succeeded: NOW - HOUR, fires: false },
    { name: '12294 then 12293', failed: NOW - HOUR, succeeded: NOW - 2 * HOUR, fires: true },
    { name: '12294 only', failed: null, succeeded: NOW - HOUR, fires: false },
  ])('$name → fires: $fires', ({ failed, succeeded, fires }) => {
    const host = kmsHost({
      dnsPublishing: [{ domain: 'corp.example', lastFailedAt: failed, lastFailedHresult: failed ? 0x80072338 : null, lastSucceededAt: succeeded }],
    });
    const found = dns.evaluate(fleet([], [host]), NOW, config);
    expect(found.length).toBe(fires ? 1 : 0);
    if (fires) expect(found[0]!.knowledge.hresult?.code).toBe('0x80072338');
  });
});

describe('KmsServiceFailing (pure)', () => {
  const config = sameForAllGroups(serviceFailing.KmsServiceFailingConfig.parse({ rule: 'KmsServiceFailing' }));
  it.each([
    { name: 'healthy service', over: {}, failure: null, expected: [] },
    { name: 'older agent (nothing reported)', over: { serviceRunning: undefined, listening: undefined }, failure: null, expected: [] },
    { name: '12291 not yet followed by a report', over: {}, failure: { kind: 'init', hresult: 0xc004f015 }, expected: ['12291'] },
    { name: '12292 not yet followed by a report', over: {}, failure: { kind: 'renewal-timer', hresult: 0x80070005 }, expected: ['renewal timer'] },
    { name: 'service stopped', over: { serviceRunning: false }, failure: null, expected: ['not running'] },
    { name: 'port not listening', over: { listening: false }, failure: null, expected: ['port 1688'] },
    { name: 'stopped after a 12291', over: { serviceRunning: false }, failure: { kind: 'init', hresult: 0xc004f015 }, expected: ['12291', 'not running'] },
  ] as const)('$name', ({ over, failure, expected }) => {
    const host = kmsHost({ kmsService: kmsService(over), serviceFailure: failure ? { ...failure, at: NOW - HOUR } : null });
    const found = serviceFailing.evaluate(fleet([], [host]), NOW, config);
    expect(found.length).toBe(expected.length ? 1 : 0);
    for (const text of expected) expect(found[0]!.summary).toContain(text);
    if (found[0]) {
      expect(found[0]).toMatchObject({ rule: 'KmsServiceFailing', severity: 'critical', key: `KmsServiceFailing|kms-host:${host.hostId}` });
      expect(found[0].knowledge.commands.length).toBeGreaterThan(0);
    }
  });
  it('never judges a host known only through its clients, nor a retired one', () => {
    const inferred = kmsHost({ basis: 'clients', kmsService: kmsService({ serviceRunning: false }) });
    const retired = kmsHost({ retired: true, kmsService: kmsService({ serviceRunning: false }) });
    expect(serviceFailing.evaluate(fleet([], [inferred, retired]), NOW, config)).toEqual([]);
  });
});

describe('KmsCountBelowThreshold for volume Office (pure)', () => {
  const config = sameForAllGroups(below.KmsCountBelowThresholdConfig.parse({ rule: 'KmsCountBelowThreshold' }));
  const apps = (windows: number, office: number | null) => [
    { applicationId: WINDOWS_APPLICATION_ID, name: 'Windows', currentCount: windows, requiredClientCount: 25 },
    ...(office === null ? [] : [{ applicationId: OFFICE_APPLICATION_ID, name: 'Office', currentCount: office, requiredClientCount: 5 }]),
  ];
  it.each([
    { windows: 40, office: 4, expected: ['office:warning'] },
    { windows: 40, office: 5, expected: [] },
    { windows: 4, office: 9, expected: ['windows:critical'] },
    { windows: 4, office: 2, expected: ['office:warning', 'windows:critical'] },
    { windows: 40, office: null, expected: [] },
  ])('Windows $windows, Office $office → $expected', ({ windows, office, expected }) => {
    const host = kmsHost({ kmsService: kmsService({ currentCount: windows, applications: apps(windows, office) }) });
    const found = below.evaluate(fleet([machine({ osKind: 'server' })], [host]), NOW, config);
    expect(found.map((f) => `${f.key.endsWith('|office') ? 'office' : 'windows'}:${f.severity}`).sort()).toEqual(expected);
  });
});
