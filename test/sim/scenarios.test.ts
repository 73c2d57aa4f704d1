/** The named scenarios tell the stories they promise, deterministically. */
import { describe, expect, it } from 'vitest';
import { KMS_ACTIVATION_VALIDITY_DAYS, KMS_CLIENT_THRESHOLD, KMS_CLIENT_WINDOW_DAYS, MS, OOT_GRACE_DAYS } from '../../shared/kms-rules.js';
import { channelOf } from '../../shared/channel.js';
import { LOG_APPLICATION, LOG_KMS } from '../../shared/wmi-shapes.js';
import { SCENARIOS, SCENARIO_NAMES, createScenario } from '../../agent/sim/index.js';
import { parsedEvents, payloadsOf } from '../support/sim-events.js';

const DAY = MS.DAY;

describe('scenarios', () => {
  it('every scenario is listed with a description and a default length', () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual([...SCENARIO_NAMES]);
    for (const s of SCENARIOS) {
      expect(s.description.length).toBeGreaterThan(20);
      expect(s.days).toBeGreaterThan(0);
    }
  });

  it('retirement-wave: the count falls below 25 on the day the retired clients’ last requests age out', () => {
    const sim = createScenario('retirement-wave');
    const host = sim.kmsHosts[0]!;
    sim.runUntil(sim.dayStart(6));
    const retired = sim.machines.filter((m) => m.retired);
    const active = sim.machines.filter((m) => !m.isKmsHost && !m.retired);
    expect(retired).toHaveLength(20);
    expect(active).toHaveLength(20);
    // Expected: a CMID leaves the window 30 days after its last request; the count is below 25 once all but 4 of
    // the retired clients have left (20 active + 4 = 24). Last requests are read from the host's own 12290s.
    const processed = payloadsOf(host, LOG_KMS, 'kms-request');
    const lastSeen = (cmid: string) => Math.max(...processed.filter((r) => r.cmid === cmid).map((r) => r.atMs));
    const ageOut = retired.map((m) => lastSeen(m.cmid) + KMS_CLIENT_WINDOW_DAYS * DAY).sort((a, b) => a - b);
    const below = ageOut[retired.length - (KMS_CLIENT_THRESHOLD - 1 - active.length) - 1]!;
    const expectedDay = Math.floor((below - sim.startMs) / DAY);
    // all of them last asked on day 0, when they activated (the retirement came before their first renewal)
    expect(expectedDay).toBe(30);

    const counts: number[] = [];
    for (let day = 6; day <= 45; day++) {
      sim.runUntil(sim.dayStart(day + 1));
      counts[day] = sim.summary().kmsHosts[host.hostname]!;
    }
    expect(counts[expectedDay - 1]).toBeGreaterThanOrEqual(KMS_CLIENT_THRESHOLD);
    expect(counts[expectedDay]).toBeLessThan(KMS_CLIENT_THRESHOLD);
    expect(counts[45]).toBe(active.length);
    // the survivors stay Licensed: their 180 days are still running
    expect(active.every((m) => m.licenseStatus() === 1)).toBe(true);
    // and every renewal since the fall answers NOT_ENOUGH_COUNT
    const late = payloadsOf(active[0]!, LOG_APPLICATION, 'activation-response').filter((r) => r.atMs > below);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((r) => r.notEnoughCount && r.currentCount === active.length)).toBe(true);
  });

  it('golden-image: the host never counts above 1 for the 40 clones; none activates; Notification on day 30', () => {
    const sim = createScenario('golden-image');
    const host = sim.kmsHosts[0]!;
    const clones = sim.machines.filter((m) => !m.isKmsHost);
    expect(clones).toHaveLength(40);
    expect(new Set(clones.map((c) => c.cmid)).size).toBe(1);
    for (let day = 0; day < 45; day++) {
      sim.runUntil(sim.dayStart(day) + 12 * MS.HOUR);
      expect(host.currentCount()).toBe(1);
      expect(clones.some((c) => c.licenseStatus() === 1)).toBe(false);
    }
    expect(clones.every((c) => c.licence().status === 5 && c.licence().reason === 0xc004f009)).toBe(true);
    expect(sim.plantedProblems().filter((p) => p.kind === 'duplicate-cmid')).toHaveLength(40);
  });

  it('branch-below-threshold: 20 clients, count 20, no client ever Licensed, Notification on day 30', () => {
    const sim = createScenario('branch-below-threshold');
    for (let day = 0; day < 60; day++) {
      sim.runUntil(sim.dayStart(day + 1));
      const s = sim.summary();
      expect(s.licenseStatus['1']).toBe(1); // the branch host's own product
      expect(Object.values(s.kmsHosts)).toEqual([20]);
      expect(s.licenseStatus[day < 29 ? '2' : '5']).toBe(20);
    }
  });

  it('kms-outage: the host goes down on day 10; clients stay Licensed 180 days past their last renewal, then OOT, then Notification', () => {
    const sim = createScenario('kms-outage');
    const clients = sim.machines.filter((m) => !m.isKmsHost);
    sim.runUntil(sim.dayStart(11));
    expect(sim.kmsHosts[0]!.down).toBe(true);
    const lastRenewal = Math.max(...clients.map((c) => c.lastActivationAtMs!));
    const firstRenewal = Math.min(...clients.map((c) => c.lastActivationAtMs!));
    sim.runUntil(firstRenewal + KMS_ACTIVATION_VALIDITY_DAYS * DAY - MS.MINUTE);
    expect(clients.every((c) => c.licenseStatus() === 1)).toBe(true);
    sim.runUntil(lastRenewal + KMS_ACTIVATION_VALIDITY_DAYS * DAY);
    expect(clients.every((c) => c.licenseStatus() === 3)).toBe(true);
    sim.runUntil(lastRenewal + (KMS_ACTIVATION_VALIDITY_DAYS + OOT_GRACE_DAYS) * DAY);
    expect(clients.every((c) => c.licence().status === 5 && c.licence().reason === 0xc004f00f)).toBe(true);
  });

  it('vista-era: every KMS client Licensed by day 2 apart from the planted problems, no host above 50', () => {
    const sim = createScenario('vista-era');
    expect(sim.kmsHosts).toHaveLength(2);
    const planted = sim.plantedProblems();
    expect(planted.map((p) => p.kind).sort()).toEqual(['clock-skew', 'hardware-change', 'no-host-reachable', 'no-rearms-left']);
    const plantedIds = new Set(planted.map((p) => p.machineId));
    sim.runUntil(sim.dayStart(2));
    const kmsClients = sim.machines.filter((m) => m.channel === 'kms-client');
    expect(kmsClients.length).toBeGreaterThanOrEqual(320);
    for (const m of kmsClients) expect([m.hostname, m.licenseStatus() === 1]).toEqual([m.hostname, !plantedIds.has(m.machineId)]);
    for (let day = 2; day < 30; day++) {
      sim.runUntil(sim.dayStart(day + 1));
      for (const count of Object.values(sim.summary().kmsHosts)) expect(count).toBeLessThanOrEqual(50);
    }
  });

  it('vista-era: each planted problem is visible the way an admin would meet it', () => {
    const sim = createScenario('vista-era');
    sim.runUntil(sim.dayStart(3));
    const byKind = new Map(sim.plantedProblems().map((p) => [p.kind, sim.machine(p.machineId)]));
    const laptop = byKind.get('hardware-change')!;
    expect(channelOf(laptop.readProducts()[0]!.Description)).toBe('mak');
    expect(laptop.readProducts()[0]).toMatchObject({ LicenseStatus: 3, LicenseStatusReason: 0x4004f00d });
    const stale = byKind.get('no-host-reachable')!;
    expect(payloadsOf(stale, LOG_APPLICATION, 'activation-response')).toEqual([]);
    expect(payloadsOf(stale, LOG_APPLICATION, 'activation-failed').every((f) => f.hresult === 0xc004f074)).toBe(true);
    const skewed = byKind.get('clock-skew')!;
    expect(payloadsOf(skewed, LOG_APPLICATION, 'activation-request').every((r) => r.hresult === 0xc004f06c)).toBe(true);
    const lab = byKind.get('no-rearms-left')!;
    expect(lab.readService().RemainingWindowsReArmCount).toBe(0);
    expect(lab.licenseStatus()).toBe(2);
    expect(sim.rearm(lab.machineId)).toBe(0xc004d307);
    expect(payloadsOf(lab, LOG_APPLICATION, 'activation-failed').every((f) => f.hresult === 0x8007232b)).toBe(true);
    sim.runUntil(sim.dayStart(30));
    expect(stale.licence()).toMatchObject({ status: 5, reason: 0xc004f009 });
    expect(lab.licence()).toMatchObject({ status: 5, reason: 0xc004f009 });
  });

  it('enterprise is a 2026 fleet: mostly Windows 10 / 11 and Server 2019-2025, Office on part of it, a few legacy machines', () => {
    const sim = createScenario('enterprise');
    const profiles = sim.machines.map((m) => m.profile.name);
    const legacy = sim.machines.filter((m) => m.profile.generation !== 'modern');
    expect(legacy.map((m) => m.hostname).sort()).toEqual(['legacy-srv-01.contoso.com', 'legacy-ws-01.contoso.com', 'legacy-ws-02.contoso.com']);
    const current = profiles.filter((p) => /^win1[01]-|^server-20(19|22|25)-/.test(p)).length;
    expect(current / profiles.length).toBeGreaterThan(0.9);
    const withOffice = sim.machines.filter((m) => m.office !== null);
    expect(withOffice.length).toBeGreaterThan(100);
    expect(withOffice.length).toBeLessThan(sim.machines.length / 2);
    expect(new Set(withOffice.map((m) => m.office!.release))).toEqual(new Set([2019, 2021, 2024]));
    expect(sim.kmsHosts.map((h) => [h.hostname, h.isWindowsKmsHost, h.isOfficeKmsHost, h.runsAgent])).toEqual([
      ['kms01.contoso.com', true, true, true],
      ['kms02.contoso.com', true, true, true],
      ['kms-office.eu.contoso.com', false, true, true],
      ['kms-br01.branch.contoso.com', true, false, false],
    ]);
    const kinds = sim.plantedProblems().map((p) => p.kind);
    expect([...new Set(kinds)].sort()).toEqual(['clock-skew', 'hardware-change', 'no-host-reachable', 'no-rearms-left', 'office-below-threshold']);
  });

  it('enterprise by day 2: Windows and Office activated everywhere but the planted problems; ADBA, Office below 5 and the agentless host as an admin would meet them', () => {
    const sim = createScenario('enterprise');
    sim.runUntil(sim.dayStart(2));
    const planted = new Set(sim.plantedProblems().map((p) => p.machineId));
    // Office below 5 leaves Windows alone: those machines' Windows is AD-activated.
    const windowsPlanted = new Set(sim.plantedProblems().filter((p) => p.kind !== 'office-below-threshold').map((p) => p.machineId));
    for (const m of sim.machines.filter((x) => x.channel === 'kms-client')) {
      expect([m.hostname, m.licenseStatus() === 1]).toEqual([m.hostname, !windowsPlanted.has(m.machineId)]);
    }
    const skewed = sim.plantedProblems().find((p) => p.kind === 'clock-skew')!.machineId;
    for (const m of sim.machines.filter((x) => x.office !== null)) {
      expect([m.hostname, m.officeLicenseStatus() === 1]).toEqual([m.hostname, !planted.has(m.machineId) || (m.machineId !== skewed && !m.hostname.startsWith('eu-'))]);
    }
    // The ADBA site: Windows activated by the activation object (12308), never a KMS request; no KMS host counts it.
    const eu = sim.machines.filter((m) => m.group === 'emea' && !m.isKmsHost);
    for (const m of eu) {
      expect(m.vlActivationType).toBe(1);
      expect(m.readProducts()[0]).toMatchObject({ ADActivationObjectName: 'VA-Win-2025', VLActivationType: 1 });
      expect(payloadsOf(m, LOG_APPLICATION, 'ad-activation')[0]).toMatchObject({ objectName: 'VA-Win-2025' });
      expect(payloadsOf(m, LOG_APPLICATION, 'activation-request').filter((r) => r.activationId === m.activationId)).toEqual([]);
    }
    // Office below 5: the EMEA Office host counts 4, and each of its clients hears 4 and stays unactivated.
    const officeHost = sim.machineNamed('kms-office.eu.contoso.com')!;
    expect([officeHost.currentCount('office'), officeHost.currentCount('windows')]).toEqual([4, null]);
    const design = sim.machineNamed('eu-design-01.eu.contoso.com')!;
    expect(payloadsOf(design, LOG_APPLICATION, 'activation-response').every((r) => !r.activated && r.currentCount === 4 && r.notEnoughCount)).toBe(true);
    // The agentless branch host: not enrolled, yet its clients name it and it activates them.
    const branchHost = sim.machineNamed('kms-br01.branch.contoso.com')!;
    expect(sim.enrolledMachines).not.toContain(branchHost);
    expect(branchHost.currentCount()).toBe(30);
    const br = sim.machineNamed('br-ws-001.branch.contoso.com')!;
    expect(br.readProducts()[0]).toMatchObject({ DiscoveredKeyManagementServiceMachineName: 'kms-br01.branch.contoso.com', LicenseStatus: 1 });
    // The first clients heard a count below 25 and retried 2 hours later; by now all are activated by it.
    expect(payloadsOf(br, LOG_APPLICATION, 'activation-response').at(-1)).toMatchObject({ activated: true, currentCount: 30 });
  });

  it('office-threshold: an Office-only host with 4 Office clients never activates them; one with 5 does', () => {
    const sim = createScenario('office-threshold');
    sim.runUntil(sim.dayStart(2));
    const site = (s: string) => sim.machines.filter((m) => m.group === s && m.office !== null);
    expect(site('site-a').map((m) => m.officeLicenseStatus())).toEqual([2, 2, 2, 2]);
    expect(site('site-b').map((m) => m.officeLicenseStatus())).toEqual([1, 1, 1, 1, 1]);
    expect(sim.machineNamed('kms-office.site-a.contoso.com')!.currentCount('office')).toBe(4);
    expect(sim.machineNamed('kms-office.site-b.contoso.com')!.currentCount('office')).toBe(5);
    sim.runUntil(sim.dayStart(31));
    expect(site('site-a').map((m) => m.officeLicence()!)).toEqual(Array(4).fill(expect.objectContaining({ status: 5, reason: 0xc004f009 })));
    expect(site('site-b').every((m) => m.officeLicenseStatus() === 1)).toBe(true);
    // Windows there is AD-activated throughout.
    expect(sim.machines.every((m) => m.licenseStatus() === 1)).toBe(true);
  });

  it('kms-service-failure: 12292 on day 2; 12291 on day 6 and the day-7 renewals refused; answers again on day 8; stopped on day 12', () => {
    const sim = createScenario('kms-service-failure');
    const host = sim.machineNamed('kms01.contoso.com')!;
    const ws = sim.machineNamed('ws-0001.contoso.com')!;
    const requests = () => payloadsOf(ws, LOG_APPLICATION, 'activation-request').filter((r) => r.activationId === ws.activationId);
    sim.runUntil(sim.dayStart(3));
    expect(payloadsOf(host, LOG_APPLICATION, 'kms-renewal-timer-failure')).toHaveLength(1);
    expect(host.serviceFault).toBe('none');
    sim.runUntil(sim.dayStart(8));
    expect(payloadsOf(host, LOG_APPLICATION, 'kms-init-failure')).toHaveLength(1);
    expect(host.readService()).toMatchObject({ VawatchServiceRunning: true, VawatchKmsListening: false });
    expect(requests().at(-1)).toMatchObject({ hresult: 0x800706ba });
    sim.runUntil(sim.dayStart(9));
    expect(host.readService()).toMatchObject({ VawatchServiceRunning: true, VawatchKmsListening: true });
    expect(requests().at(-1)).toMatchObject({ hresult: 0 });
    sim.runUntil(sim.dayStart(16));
    expect(host.readService()).toMatchObject({ VawatchServiceRunning: false, VawatchKmsListening: false });
    expect(requests().at(-1)).toMatchObject({ hresult: 0x800706ba });
    // Clients keep their 180 days meanwhile.
    expect(ws.licenseStatus()).toBe(1);
    expect(sim.plantedProblems().map((p) => p.kind)).toEqual(['kms-service-failing']);
  });

  it('every record every scenario writes parses with the shared event parsers', () => {
    for (const name of SCENARIO_NAMES) {
      if (name === 'scale') continue;
      const sim = createScenario(name, { logCapacity: { application: 200, kms: 2000 } });
      sim.runDays(12);
      for (const m of sim.machines) {
        expect(() => parsedEvents(m, LOG_APPLICATION)).not.toThrow();
        if (m.hasLog(LOG_KMS)) expect(() => parsedEvents(m, LOG_KMS)).not.toThrow();
      }
    }
  });

  it('the same seed gives the same fleet and the same days; another seed other machine ids', () => {
    const run = (seed: number) => {
      const sim = createScenario('enterprise', { seed });
      const ids = sim.machines.map((m) => [m.machineId, m.cmid]);
      const days = [1, 2, 3].map((d) => {
        sim.runUntil(sim.dayStart(d));
        return sim.summary();
      });
      const events = sim.machines[7]!.readEvents(LOG_APPLICATION, 0);
      return { ids, days, events };
    };
    const a = run(42);
    expect(run(42)).toEqual(a);
    const other = run(43);
    expect(other.ids[0]).not.toEqual(a.ids[0]);
    expect(new Set(a.ids.map(([id]) => id)).size).toBe(a.ids.length);
    expect(a.ids[0]![0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
