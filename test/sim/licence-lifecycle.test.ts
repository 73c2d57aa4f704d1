/** A machine's licence over months: renewal, validity, OOT grace, Notification, initial grace, rearm, MAK. */
import { describe, expect, it } from 'vitest';
import {
  KMS_ACTIVATION_VALIDITY_DAYS,
  KMS_RENEWAL_INTERVAL_MINUTES,
  MS,
  OOB_GRACE_CLIENT_DAYS,
  OOB_GRACE_SERVER_DAYS,
  OOT_GRACE_DAYS,
  REARMS_DEFAULT,
  REARMS_ENTERPRISE_SP1,
} from '../../shared/kms-rules.js';
import { LOG_APPLICATION } from '../../shared/wmi-shapes.js';
import { Simulation } from '../../agent/sim/index.js';
import { payloadsOf } from '../support/sim-events.js';

const DAY = MS.DAY;
const MIN = MS.MINUTE;

/** A host and 25 clients (enough to activate), plus whatever the test adds. */
function activatedFleet(seed = 11): Simulation {
  const sim = new Simulation({ seed });
  sim.addKmsHost();
  for (let i = 0; i < 25; i++) sim.addClient();
  return sim;
}

describe('KMS client licence', () => {
  it('renewing every 7 days keeps a client Licensed for a year, each renewal restarting the 180 days', () => {
    const sim = activatedFleet();
    const c = sim.machines[1]!;
    for (let day = 1; day <= 365; day++) {
      sim.runUntil(sim.dayStart(day));
      expect(c.licenseStatus()).toBe(1);
      const remaining = c.readProducts()[0]!.GracePeriodRemaining;
      // never less than 180 days minus one renewal interval
      expect(remaining).toBeGreaterThan((KMS_ACTIVATION_VALIDITY_DAYS - 7) * 24 * 60);
      expect(remaining).toBeLessThanOrEqual(KMS_ACTIVATION_VALIDITY_DAYS * 24 * 60);
    }
    // from its activation on (day 0, once 25 clients had asked), one renewal every 7 days, each one accepted
    const activatedAt = payloadsOf(c, LOG_APPLICATION, 'activation-response').find((r) => r.activated)!.atMs;
    expect(activatedAt).toBeLessThan(sim.dayStart(1));
    const renewals = payloadsOf(c, LOG_APPLICATION, 'activation-request').filter((s) => s.atMs >= activatedAt);
    expect(renewals.length).toBe(1 + Math.floor((sim.dayStart(365) - activatedAt) / (7 * DAY)));
    for (let i = 1; i < renewals.length; i++) {
      expect(renewals[i]!.atMs - renewals[i - 1]!.atMs).toBe(KMS_RENEWAL_INTERVAL_MINUTES * MIN);
    }
    expect(payloadsOf(c, LOG_APPLICATION, 'activation-response').filter((r) => r.atMs >= activatedAt).every((r) => r.activated)).toBe(true);
  });

  it('with its host gone it stays Licensed 180 days after the last renewal, then 30 days of OOT grace, then Notification 0xC004F00F', () => {
    const sim = activatedFleet();
    const host = sim.kmsHosts[0]!;
    const c = sim.machines[1]!;
    sim.runUntil(sim.dayStart(20));
    sim.setHostDown(host.hostname, true);
    const lastRenewal = c.lastActivationAtMs!;
    expect(lastRenewal).toBeGreaterThan(sim.dayStart(13));
    const validUntil = lastRenewal + KMS_ACTIVATION_VALIDITY_DAYS * DAY;
    const ootEnd = validUntil + OOT_GRACE_DAYS * DAY;
    const table: Array<{ at: number; status: number; reason: number; remaining: number }> = [
      { at: validUntil - MIN, status: 1, reason: 0, remaining: 1 },
      { at: validUntil, status: 3, reason: 0x4004f00d, remaining: OOT_GRACE_DAYS * 24 * 60 },
      { at: ootEnd - MIN, status: 3, reason: 0x4004f00d, remaining: 1 },
      { at: ootEnd, status: 5, reason: 0xc004f00f, remaining: 0 },
      { at: ootEnd + 90 * DAY, status: 5, reason: 0xc004f00f, remaining: 0 },
    ];
    for (const row of table) {
      sim.runUntil(row.at);
      const p = c.readProducts()[0]!;
      expect({ status: p.LicenseStatus, reason: p.LicenseStatusReason, remaining: p.GracePeriodRemaining }).toEqual({
        status: row.status,
        reason: row.reason,
        remaining: row.remaining,
      });
    }
    // it kept trying every 2 hours, every try a 12288 with 0xC004F074 and no answer
    const sent = payloadsOf(c, LOG_APPLICATION, 'activation-request').filter((s) => s.atMs > sim.dayStart(20));
    expect(sent.every((s) => s.hresult === 0xc004f074)).toBe(true);
    expect(payloadsOf(c, LOG_APPLICATION, 'activation-response').every((r) => r.atMs <= lastRenewal)).toBe(true);
  });

  it.each([
    { kind: 'client' as const, days: OOB_GRACE_CLIENT_DAYS },
    { kind: 'server' as const, days: OOB_GRACE_SERVER_DAYS },
  ])('initial grace of a $kind is $days days, then Notification 0xC004F009', ({ kind, days }) => {
    const sim = new Simulation({ seed: 5 });
    // no KMS host anywhere: it can never activate
    const m = kind === 'client' ? sim.addClient() : sim.addServer();
    expect(m.readProducts()[0]).toMatchObject({ LicenseStatus: 2, LicenseStatusReason: 0x4004f00c, GracePeriodRemaining: days * 24 * 60 });
    sim.runUntil(sim.startMs + days * DAY - MIN);
    expect(m.readProducts()[0]).toMatchObject({ LicenseStatus: 2, GracePeriodRemaining: 1 });
    sim.runUntil(sim.startMs + days * DAY);
    expect(m.readProducts()[0]).toMatchObject({ LicenseStatus: 5, LicenseStatusReason: 0xc004f009, GracePeriodRemaining: 0 });
  });

  it('a KMS client with a hardware change falls into OOT grace and re-activates at its next attempt (within 2 h)', () => {
    const sim = activatedFleet();
    const c = sim.machines[3]!;
    sim.runDays(3);
    sim.hardwareChange(c.machineId);
    expect(c.licence()).toMatchObject({ status: 3, reason: 0x4004f00d });
    sim.runUntil(sim.clock.now() + 2 * MS.HOUR);
    expect(c.licence()).toMatchObject({ status: 1, remainingMinutes: KMS_ACTIVATION_VALIDITY_DAYS * 24 * 60 });
  });
});

describe('rearm', () => {
  it('gives a new CMID, spends one rearm and restarts the initial grace; none left → 0xC004D307', () => {
    const sim = new Simulation({ seed: 9 });
    const m = sim.addClient({ rearms: 2 });
    sim.runDays(40);
    expect(m.licenseStatus()).toBe(5);
    const cmids = [m.cmid];
    for (const left of [1, 0]) {
      expect(sim.rearm(m.machineId)).toBe(0);
      expect(m.rearmsRemaining).toBe(left);
      expect(m.readService().RemainingWindowsReArmCount).toBe(left);
      expect(cmids).not.toContain(m.cmid);
      cmids.push(m.cmid);
      expect(m.licence()).toMatchObject({ status: 2, remainingMinutes: OOB_GRACE_CLIENT_DAYS * 24 * 60 });
      sim.runDays(1);
    }
    const before = { cmid: m.cmid, licence: m.licence() };
    expect(sim.rearm(m.machineId)).toBe(0xc004d307);
    expect({ cmid: m.cmid, licence: m.licence() }).toEqual(before);
  });

  it.each([
    { profile: 'vista-business' as const, rearms: REARMS_DEFAULT },
    { profile: 'vista-enterprise-sp1' as const, rearms: REARMS_ENTERPRISE_SP1 },
    { profile: 'server-2008-standard' as const, rearms: REARMS_DEFAULT },
  ])('$profile starts with $rearms rearms', ({ profile, rearms }) => {
    const sim = new Simulation();
    const m = sim.addMachine({ hostname: 'pc.contoso.com', profile, kind: profile.startsWith('server') ? 'server' : 'client' });
    expect(m.readService().RemainingWindowsReArmCount).toBe(rearms);
  });

  it('a KMS activation restores the rearm count to at least 1', () => {
    const sim = activatedFleet();
    const m = sim.addClient({ rearms: 0 });
    expect(m.readService().RemainingWindowsReArmCount).toBe(0);
    sim.runDays(1);
    expect(m.licenseStatus()).toBe(1);
    expect(m.readService().RemainingWindowsReArmCount).toBe(1);
  });
});

describe('MAK', () => {
  it('activates once for good; a hardware change → 30 days OOT grace → Notification 0xC004F00F unless re-activated', () => {
    const sim = new Simulation({ seed: 4 });
    const a = sim.addClient({ channel: 'mak', hostname: 'lt-a.contoso.com' });
    const b = sim.addClient({ channel: 'mak', hostname: 'lt-b.contoso.com' });
    sim.runDays(1);
    for (const m of [a, b]) {
      expect(m.readProducts()[0]).toMatchObject({ LicenseStatus: 1, GracePeriodRemaining: 0 });
      expect(m.readProducts()[0]!.Description).toMatch(/VOLUME_MAK channel$/);
    }
    sim.runDays(200);
    expect(a.readProducts()[0]).toMatchObject({ LicenseStatus: 1, GracePeriodRemaining: 0 });
    const changedAt = sim.clock.now();
    sim.hardwareChange(a.machineId);
    sim.hardwareChange(b.machineId);
    expect(a.readProducts()[0]).toMatchObject({ LicenseStatus: 3, GracePeriodRemaining: OOT_GRACE_DAYS * 24 * 60 });
    sim.runUntil(changedAt + 10 * DAY);
    sim.activateMak(b.machineId);
    sim.runUntil(changedAt + OOT_GRACE_DAYS * DAY);
    expect(a.readProducts()[0]).toMatchObject({ LicenseStatus: 5, LicenseStatusReason: 0xc004f00f });
    expect(b.readProducts()[0]).toMatchObject({ LicenseStatus: 1, GracePeriodRemaining: 0 });
    // a MAK machine never talks to KMS
    expect(a.readEvents(LOG_APPLICATION, 0)).toEqual([]);
  });
});
