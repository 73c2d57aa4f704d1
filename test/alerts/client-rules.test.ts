import { describe, expect, it } from 'vitest';
import { sameForAllGroups } from '../../dashboard/alerts/rule-definition.js';
import * as agentStale from '../../dashboard/alerts/rules/agent-stale.js';
import * as clientInNotification from '../../dashboard/alerts/rules/client-in-notification.js';
import * as clientUnlicensed from '../../dashboard/alerts/rules/client-unlicensed.js';
import * as graceExpiring from '../../dashboard/alerts/rules/grace-expiring.js';
import * as kmsRenewalOverdue from '../../dashboard/alerts/rules/kms-renewal-overdue.js';
import * as rearmExhausted from '../../dashboard/alerts/rules/rearm-exhausted.js';
import { DAY, HOUR, NOW, fleet, iso, machine, product } from '../support/alerts-fleet.js';

const MIN = 60_000;

describe('ClientInNotification', () => {
  const config = sameForAllGroups(clientInNotification.ClientInNotificationConfig.parse({ rule: 'ClientInNotification' }));
  it.each([
    { status: 5, fires: true },
    { status: 3, fires: false },
    { status: 1, fires: false },
    { status: 0, fires: false },
  ])('LicenseStatus $status fires: $fires', ({ status, fires }) => {
    const m = machine({ products: [product({ licenseStatus: status, licenseStatusReason: 0xc004f00f, graceExpiresAt: null })] });
    const found = clientInNotification.evaluate(fleet([m]), NOW, config);
    expect(found.length).toBe(fires ? 1 : 0);
    if (fires) {
      expect(found[0]!.severity).toBe('critical');
      expect(found[0]!.kmsHost).toBe('kms01.corp.example');
      expect(found[0]!.knowledge.hresult?.code).toBe('0xC004F00F');
      expect(found[0]!.knowledge.commands.join('\n')).toContain('slmgr.vbs /ato');
    }
  });
  it('says nothing about a retired machine, or when disabled', () => {
    const m = machine({ products: [product({ licenseStatus: 5 })] });
    expect(clientInNotification.evaluate(fleet([{ ...m, retired: true }]), NOW, config)).toEqual([]);
    const off = sameForAllGroups(clientInNotification.ClientInNotificationConfig.parse({ rule: 'ClientInNotification', enabled: false }));
    expect(clientInNotification.evaluate(fleet([m]), NOW, off)).toEqual([]);
  });
});

describe('ClientUnlicensed', () => {
  const config = sameForAllGroups(clientUnlicensed.ClientUnlicensedConfig.parse({ rule: 'ClientUnlicensed' }));
  it.each([
    { name: 'primary, key, status 0', p: { licenseStatus: 0 }, fires: true },
    { name: 'primary, no key', p: { licenseStatus: 0, partialProductKey: null }, fires: false },
    { name: 'not primary (Office)', p: { licenseStatus: 0, primary: false }, fires: false },
    { name: 'primary, Licensed', p: { licenseStatus: 1 }, fires: false },
  ])('$name → fires: $fires', ({ p, fires }) => {
    const found = clientUnlicensed.evaluate(fleet([machine({ products: [product(p)] })]), NOW, config);
    expect(found.map((f) => f.severity)).toEqual(fires ? ['critical'] : []);
  });
});

describe('GraceExpiring', () => {
  const config = sameForAllGroups(graceExpiring.GraceExpiringConfig.parse({ rule: 'GraceExpiring' }));
  it.each([
    { status: 3, left: 14 * DAY + MIN, expected: null },
    { status: 3, left: 14 * DAY, expected: 'warning' },
    { status: 2, left: 7 * DAY + MIN, expected: 'warning' },
    { status: 2, left: 7 * DAY, expected: 'critical' },
    { status: 6, left: 1 * HOUR, expected: 'critical' },
    { status: 4, left: -1 * HOUR, expected: 'critical' }, // past its end: the machine has not reported since
    { status: 1, left: 3 * DAY, expected: null }, // Licensed is not a grace
    { status: 5, left: 3 * DAY, expected: null },
  ])('status $status with $left ms left → $expected', ({ status, left, expected }) => {
    const m = machine({ products: [product({ licenseStatus: status, graceExpiresAt: iso(NOW + left) })] });
    const found = graceExpiring.evaluate(fleet([m]), NOW, config);
    expect(found.map((f) => f.severity)).toEqual(expected ? [expected] : []);
  });
  it('judges a machine replaying its history at its own clock, not the collector’s', () => {
    // The agent reports from 20 days ago (the demo fast-forwards): its grace ends 15 days after its own now.
    const replaying = machine({ agentClockOffsetMs: -20 * DAY, products: [product({ licenseStatus: 2, graceExpiresAt: iso(NOW - 5 * DAY) })] });
    expect(graceExpiring.evaluate(fleet([replaying]), NOW, config)).toEqual([]);
    expect(graceExpiring.evaluate(fleet([{ ...replaying, agentClockOffsetMs: -10 * DAY }]), NOW, config).map((f) => f.severity)).toEqual(['critical']);
  });
  it('uses the thresholds of the machine group', () => {
    const byGroup = {
      forGroup: (g: string) =>
        graceExpiring.GraceExpiringConfig.parse({ rule: 'GraceExpiring', ...(g === 'branch' ? { warningDays: 30, criticalDays: 20 } : {}) }),
    };
    const hq = machine({ group: 'hq', products: [product({ licenseStatus: 2, graceExpiresAt: iso(NOW + 25 * DAY) })] });
    const branch = machine({ group: 'branch', products: [product({ licenseStatus: 2, graceExpiresAt: iso(NOW + 25 * DAY) })] });
    const found = graceExpiring.evaluate(fleet([hq, branch]), NOW, byGroup);
    expect(found.map((f) => [f.subject.id, f.severity])).toEqual([[branch.machineId, 'warning']]);
  });
  it('refuses criticalDays above warningDays', () => {
    expect(graceExpiring.GraceExpiringConfig.safeParse({ rule: 'GraceExpiring', warningDays: 5, criticalDays: 7 }).success).toBe(false);
  });
});

describe('KmsRenewalOverdue', () => {
  const config = sameForAllGroups(kmsRenewalOverdue.KmsRenewalOverdueConfig.parse({ rule: 'KmsRenewalOverdue' }));
  // Default limit: 180 d − 7 d renewal − 7 d slack = 166 d left.
  it.each([
    { name: 'renewed 13 days ago', left: 167 * DAY, p: {}, fires: false },
    { name: 'exactly at the limit', left: 166 * DAY, p: {}, fires: false },
    { name: 'a minute past the limit', left: 166 * DAY - MIN, p: {}, fires: true },
    { name: 'renewal interval of 1 day', left: 172 * DAY - MIN, p: { renewalIntervalMinutes: 1440 }, fires: true },
    { name: 'MAK', left: 10 * DAY, p: { channel: 'mak' as const }, fires: false },
    { name: 'in OOT grace (another rule)', left: 10 * DAY, p: { licenseStatus: 3 }, fires: false },
  ])('$name → fires: $fires', ({ left, p, fires }) => {
    const m = machine({ products: [product({ graceExpiresAt: iso(NOW + left), ...p })] });
    const found = kmsRenewalOverdue.evaluate(fleet([m]), NOW, config);
    expect(found.length).toBe(fires ? 1 : 0);
    if (fires) expect(found[0]!.kmsHost).toBe('kms01.corp.example');
  });
});

describe('RearmExhausted', () => {
  const config = sameForAllGroups(rearmExhausted.RearmExhaustedConfig.parse({ rule: 'RearmExhausted' }));
  it.each([
    { status: 2, rearms: 0, fires: true },
    { status: 2, rearms: 1, fires: false },
    { status: 1, rearms: 0, fires: false },
    { status: 2, rearms: null, fires: false },
  ])('status $status, $rearms rearms → fires: $fires', ({ status, rearms, fires }) => {
    const m = machine({ products: [product({ licenseStatus: status, rearmsRemaining: rearms, graceExpiresAt: iso(NOW + 20 * DAY) })] });
    expect(rearmExhausted.evaluate(fleet([m]), NOW, config).length).toBe(fires ? 1 : 0);
  });
});

describe('AgentStale', () => {
  const config = sameForAllGroups(agentStale.AgentStaleConfig.parse({ rule: 'AgentStale' }));
  it.each([
    { silent: 3 * HOUR, fires: false },
    { silent: 3 * HOUR + 1, fires: true },
    { silent: 30 * DAY, fires: true },
  ])('silent for $silent ms with a 1 h heartbeat → fires: $fires', ({ silent, fires }) => {
    const m = machine({ lastReportAt: NOW - silent, heartbeatIntervalMs: HOUR });
    const found = agentStale.evaluate(fleet([m]), NOW, config);
    expect(found.length).toBe(fires ? 1 : 0);
    if (fires) expect(found[0]!.kmsHost).toBeNull();
  });
});
