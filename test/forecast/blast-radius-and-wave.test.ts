import { describe, expect, it } from 'vitest';
import { blastRadius } from '../../dashboard/forecast/blast-radius.js';
import { expiryWave } from '../../dashboard/forecast/expiry-wave.js';
import { DAY, NOW, fleet, iso, kmsHost, kmsService, machine, product } from '../support/alerts-fleet.js';

const via = (name: string, source: 'dns' | 'registry' = 'dns') => ({ name, port: 1688, source });

describe('blast radius', () => {
  it('gives each client of the host its OOT grace (activation end) and Notification (30 d later) dates', () => {
    const host = kmsHost({ hostname: 'kms01.corp.example' });
    const renewed2dAgo = machine({ hostname: 'a.corp.example', products: [product({ graceExpiresAt: iso(NOW + 178 * DAY), kmsHost: via('kms01.corp.example') })] });
    const renewed10dAgo = machine({ hostname: 'b.corp.example', products: [product({ graceExpiresAt: iso(NOW + 170 * DAY), kmsHost: via('kms01.corp.example') })] });
    const inOobGrace = machine({ hostname: 'c.corp.example', products: [product({ licenseStatus: 2, graceExpiresAt: iso(NOW + 12 * DAY), kmsHost: via('kms01.corp.example') })] });
    const otherHost = machine({ hostname: 'd.corp.example', products: [product({ kmsHost: via('kms02.corp.example') })] });
    const r = blastRadius(fleet([renewed2dAgo, renewed10dAgo, inOobGrace, otherHost], [host]), host, NOW);
    expect(r.affected.map((a) => [a.hostname, a.ootGraceAt, a.notificationAt])).toEqual([
      ['c.corp.example', null, NOW + 12 * DAY],
      ['b.corp.example', NOW + 170 * DAY, NOW + 200 * DAY],
      ['a.corp.example', NOW + 178 * DAY, NOW + 208 * DAY],
    ]);
    expect(r.firstNotificationAt).toBe(NOW + 12 * DAY);
    expect(r.byDay.reduce((n, d) => n + d.notification, 0)).toBe(3);
  });

  it.each([
    { name: 'DNS client, another host publishing in its domain', source: 'dns', domain: 'corp.example', count: 30, covered: true },
    { name: '/skms-pinned client cannot fail over', source: 'registry', domain: 'corp.example', count: 30, covered: false },
    { name: 'other host publishes in another domain', source: 'dns', domain: 'lab.example', count: 30, covered: false },
    { name: 'other host below the client threshold', source: 'dns', domain: 'corp.example', count: 24, covered: false },
  ] as const)('$name → covered: $covered', ({ source, domain, count, covered }) => {
    const host = kmsHost({ hostname: 'kms01.corp.example' });
    const other = kmsHost({ hostname: `kms02.${domain}`, dnsDomain: domain, kmsService: kmsService({ currentCount: count }) });
    const otherMachine = machine({ machineId: other.hostId, hostname: other.hostname, products: [] });
    const client = machine({ hostname: 'a.corp.example', products: [product({ kmsHost: via('kms01.corp.example', source) })] });
    const r = blastRadius(fleet([client, otherMachine], [host, other]), host, NOW);
    expect(r.coveredByFailover.map((x) => x.failoverHost)).toEqual(covered ? [`kms02.${domain}`] : []);
    expect(r.affected.length).toBe(covered ? 0 : 1);
  });

  it('does not fail over to a host whose DNS publishing is failing', () => {
    const host = kmsHost({ hostname: 'kms01.corp.example' });
    const other = kmsHost({
      hostname: 'kms02.corp.example',
      dnsPublishing: [{ domain: 'corp.example', lastFailedAt: NOW - DAY, lastFailedHresult: 0x80072338, lastSucceededAt: NOW - 2 * DAY }],
    });
    const client = machine({ products: [product({ kmsHost: via('kms01.corp.example') })] });
    expect(blastRadius(fleet([client], [host, other]), host, NOW).affected).toHaveLength(1);
  });
});

describe('expiry wave', () => {
  it('puts each machine on the UTC day it reaches Notification, once, with the machines named', () => {
    const today = Date.parse('2026-06-01T00:00:00Z');
    const machines = [
      machine({ hostname: 'oob.corp.example', products: [product({ licenseStatus: 2, graceExpiresAt: iso(today + 3 * DAY + 5000) })] }),
      machine({ hostname: 'oot.corp.example', products: [product({ licenseStatus: 3, graceExpiresAt: iso(today + 3 * DAY + 80_000_000) })] }),
      // A Licensed KMS client whose 180 days end in 10 days: Notification 30 days after that.
      machine({ hostname: 'lapsing.corp.example', products: [product({ graceExpiresAt: iso(today + 10 * DAY) })] }),
      machine({ hostname: 'healthy.corp.example' }),
      machine({ hostname: 'mak.corp.example', products: [product({ channel: 'mak', graceExpiresAt: null })] }),
      machine({ hostname: 'already.corp.example', products: [product({ licenseStatus: 5, graceExpiresAt: null })] }),
      machine({ hostname: 'far.corp.example', products: [product({ licenseStatus: 2, graceExpiresAt: iso(today + 61 * DAY) })] }),
      machine({ hostname: 'gone.corp.example', retired: true, products: [product({ licenseStatus: 2, graceExpiresAt: iso(today + 3 * DAY) })] }),
      // Two products: counted once, on the earlier date.
      machine({
        hostname: 'two.corp.example',
        products: [product({ licenseStatus: 2, graceExpiresAt: iso(today + 5 * DAY) }), product({ activationId: 'office', primary: false, licenseStatus: 2, graceExpiresAt: iso(today + 4 * DAY) })],
      }),
    ];
    const w = expiryWave(fleet(machines), NOW);
    expect(w.days).toHaveLength(61);
    expect(w.days[0]!.date).toBe('2026-06-01');
    const nonEmpty = w.days.filter((d) => d.count > 0).map((d) => [d.date, d.machines.map((m) => m.hostname)]);
    expect(nonEmpty).toEqual([
      ['2026-06-04', ['oob.corp.example', 'oot.corp.example']],
      ['2026-06-05', ['two.corp.example']],
      ['2026-07-11', ['lapsing.corp.example']],
    ]);
    expect(w.alreadyInNotification).toBe(1);
  });
});
