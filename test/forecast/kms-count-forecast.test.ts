import { describe, expect, it } from 'vitest';
import { forecastKmsCount, forecastForHost } from '../../dashboard/forecast/kms-count-forecast.js';
import { DAY, HOUR, NOW, fleet, kmsHost, kmsService, machine, request } from '../support/alerts-fleet.js';

/** A client renewing weekly, its last request at `lastAt`, none before `firstAt`. */
function weekly(name: string, firstAt: number, lastAt: number) {
  const out = [];
  for (let t = lastAt; t >= firstAt; t -= 7 * DAY) out.push(request(name, t));
  return out.reverse();
}

describe('KMS count forecast', () => {
  it('keeps renewing clients, ages out stopped ones 30 days after their last request, and names them', () => {
    const requests = [
      // 24 clients renewing on their 7-day rhythm, last seen within the week.
      ...Array.from({ length: 24 }, (_, i) => weekly(`live${i}.corp.example`, NOW - 60 * DAY + i * HOUR, NOW)).flat(),
      // three that stopped: last requests 20, 15 and 10 days ago.
      ...weekly('gone-a.corp.example', NOW - 62 * DAY, NOW - 20 * DAY - 1),
      ...weekly('gone-b.corp.example', NOW - 57 * DAY, NOW - 15 * DAY - 1),
      ...weekly('gone-c.corp.example', NOW - 52 * DAY, NOW - 10 * DAY - 1),
    ];
    const host = kmsHost({ kmsService: kmsService({ currentCount: 27 }), requests });
    const f = forecastKmsCount(host, NOW);
    expect(f.modelledCount).toBe(27);
    expect(f.clients.filter((c) => c.status === 'stopped').map((c) => c.clientFqdn)).toEqual([
      'gone-a.corp.example',
      'gone-b.corp.example',
      'gone-c.corp.example',
    ]);
    // Days 0..60: 27 until day 10, 26 until 15, 25 until 20, then 24 for good.
    expect(f.days).toHaveLength(61);
    expect(f.days[9]!.count).toBe(27);
    expect(f.days[10]!.count).toBe(26);
    expect(f.days[15]!.count).toBe(25);
    expect(f.days[20]!.count).toBe(24);
    expect(f.days[60]!.count).toBe(24);
    const below25 = f.crossings.find((c) => c.threshold === 25)!;
    expect(below25.at).toBe(NOW - 10 * DAY - 1 + 30 * DAY); // gone-c's last request + 30 d
    expect(below25.causedBy.map((c) => c.clientFqdn)).toEqual(['gone-a.corp.example', 'gone-b.corp.example', 'gone-c.corp.example']);
    expect(f.crossings.find((c) => c.threshold === 5)!.at).toBeNull();
  });

  it.each([
    // silent for exactly one renewal interval + 1 day slack: still presumed renewing.
    { silentFor: 8 * DAY, status: 'renewing' },
    { silentFor: 8 * DAY + 1, status: 'stopped' },
  ])('a client silent for $silentFor ms is $status', ({ silentFor, status }) => {
    const host = kmsHost({ requests: weekly('pc.corp.example', NOW - 40 * DAY, NOW - silentFor) });
    expect(forecastKmsCount(host, NOW).clients[0]!.status).toBe(status);
  });

  it('treats a client the fleet knows is retired as stopped at once', () => {
    const host = kmsHost({ kmsService: kmsService({ currentCount: 2 }), requests: [...weekly('a.corp.example', NOW - 30 * DAY, NOW - DAY), ...weekly('b.corp.example', NOW - 29 * DAY, NOW)] });
    const retired = machine({ hostname: 'a.corp.example', cmid: 'cmid-a.corp.example', retired: true });
    const f = forecastForHost(fleet([retired], [host]), host, NOW);
    expect(f.clients.map((c) => [c.clientFqdn, c.status])).toEqual([
      ['a.corp.example', 'retired'],
      ['b.corp.example', 'renewing'],
    ]);
    expect(f.days[29]!.count).toBe(1);
  });

  it('counts clients seen before the agent started from the seed, and ages the silent ones out by 30 days after it', () => {
    const t0 = NOW - 10 * DAY;
    // The host had 30 clients when its agent started; 26 have renewed since, 4 never showed up.
    const requests = Array.from({ length: 26 }, (_, i) => weekly(`c${i}.corp.example`, t0 + i * HOUR, NOW)).flat();
    const host = kmsHost({ observedSince: t0, seedCount: 30, kmsService: kmsService({ currentCount: 30 }), requests });
    const f = forecastKmsCount(host, NOW);
    expect(f.unnamedClients).toEqual({ count: 4, agesOutBy: t0 + 30 * DAY });
    expect(f.modelledCount).toBe(30);
    const below25 = f.crossings.find((c) => c.threshold === 25)!;
    expect(below25.at).toBeNull(); // 26 keep renewing
    expect(f.days[20]!.count).toBe(26);
  });

  it('never models more unnamed clients than the host count leaves room for', () => {
    const t0 = NOW - 10 * DAY;
    const requests = Array.from({ length: 5 }, (_, i) => request(`c${i}.corp.example`, NOW - i * HOUR));
    const host = kmsHost({ observedSince: t0, seedCount: 30, kmsService: kmsService({ currentCount: 7 }), requests });
    expect(forecastKmsCount(host, NOW).unnamedClients.count).toBe(2);
  });

  it('caps the count at 10 when only servers asked', () => {
    const requests = Array.from({ length: 14 }, (_, i) => request(`srv${i}.corp.example`, NOW - i * HOUR, { nPolicy: 5 }));
    const f = forecastKmsCount(kmsHost({ kmsService: kmsService({ currentCount: 10 }), requests }), NOW);
    expect(f.cap).toBe(10);
    expect(f.modelledCount).toBe(10);
    expect(f.crossings.map((c) => c.threshold)).toEqual([5]);
  });
});
