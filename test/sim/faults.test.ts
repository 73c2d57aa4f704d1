/** Faults an admin meets, and the events a real machine would write for each. */
import { describe, expect, it } from 'vitest';
import { KMS_DNS_REPUBLISH_HOURS, MS } from '../../shared/kms-rules.js';
import { LOG_APPLICATION, LOG_KMS } from '../../shared/wmi-shapes.js';
import { Simulation, type SimulatedMachine } from '../../agent/sim/index.js';
import { payloadsOf } from '../support/sim-events.js';

/** One host with 25 clients already activated, and one more client (`probe`) that the fault is aimed at. */
function fleetWithProbe(): { sim: Simulation; host: SimulatedMachine; probe: SimulatedMachine } {
  const sim = new Simulation({ seed: 21 });
  const host = sim.addKmsHost();
  for (let i = 0; i < 25; i++) sim.addClient();
  sim.runDays(1);
  const probe = sim.addClient({ hostname: 'probe.contoso.com', firstAttemptDelayMs: 10 * MS.MINUTE });
  return { sim, host, probe };
}

describe('activation faults', () => {
  it.each([
    {
      fault: 'host down',
      inject: (sim: Simulation, host: SimulatedMachine) => sim.setHostDown(host.hostname, true),
      code: '0xC004F074',
      requestHr: 0xc004f074,
      failedHr: 0xc004f074,
      hostSees: false,
    },
    {
      fault: 'TCP 1688 blocked',
      inject: (sim: Simulation, host: SimulatedMachine) => sim.setPortBlocked(host.hostname, true),
      code: '0xC004F039',
      requestHr: 0xc004f039,
      failedHr: 0xc004f039,
      hostSees: false,
    },
    {
      fault: 'clock 5 h ahead',
      inject: (sim: Simulation, _h: SimulatedMachine, probe: SimulatedMachine) => sim.setClockSkew(probe.machineId, 5 * MS.HOUR),
      code: '0xC004F06C',
      requestHr: 0xc004f06c,
      failedHr: 0xc004f06c,
      hostSees: true,
    },
    {
      fault: 'clock 5 h behind',
      inject: (sim: Simulation, _h: SimulatedMachine, probe: SimulatedMachine) => sim.setClockSkew(probe.machineId, -5 * MS.HOUR),
      code: '0xC004F06C',
      requestHr: 0xc004f06c,
      failedHr: 0xc004f06c,
      hostSees: true,
    },
  ])('$fault: 12288 with $code, no 12289, 8198 with the error, the probe stays in grace', ({ inject, requestHr, failedHr, hostSees }) => {
    const { sim, host, probe } = fleetWithProbe();
    inject(sim, host, probe);
    const hostRequestsBefore = host.readService().KeyManagementServiceTotalRequests!;
    sim.runUntil(sim.clock.now() + 10 * MS.HOUR);
    expect(probe.licenseStatus()).toBe(2);
    const sent = payloadsOf(probe, LOG_APPLICATION, 'activation-request');
    expect(sent.length).toBe(5); // first attempt after 10 min, then every 2 h
    expect(sent.every((s) => s.hresult === requestHr && s.kmsHost === host.hostname && s.kmsPort === 1688)).toBe(true);
    expect(payloadsOf(probe, LOG_APPLICATION, 'activation-response')).toEqual([]);
    const failed = payloadsOf(probe, LOG_APPLICATION, 'activation-failed');
    expect(failed.map((f) => f.hresult)).toEqual([failedHr, failedHr, failedHr, failedHr, failedHr]);
    const fromProbe = payloadsOf(host, LOG_KMS, 'kms-request').filter((r) => r.clientFqdn === probe.hostname);
    if (hostSees) {
      // the host processed and refused them: 12290 with the HRESULT, counted as failed, not in the window
      expect(fromProbe.map((r) => r.hresult)).toEqual([requestHr, requestHr, requestHr, requestHr, requestHr]);
      expect(host.readService().KeyManagementServiceFailedRequests).toBe(5);
      expect(host.kmsWindow().some((w) => w.cmid === probe.cmid)).toBe(false);
    } else {
      expect(fromProbe).toEqual([]);
      expect(host.readService().KeyManagementServiceTotalRequests).toBe(hostRequestsBefore);
    }
  });

  it('a clock off by less than 4 hours is accepted', () => {
    const { sim, probe } = fleetWithProbe();
    sim.setClockSkew(probe.machineId, 3 * MS.HOUR + 59 * MS.MINUTE);
    sim.runUntil(sim.clock.now() + MS.HOUR);
    expect(probe.licenseStatus()).toBe(1);
  });

  it('no SRV record in the client domain: 8198 with 0x8007232B and no request at all', () => {
    const sim = new Simulation({ seed: 2 });
    sim.addKmsHost();
    const lab = sim.addClient({ hostname: 'lab-01.lab.contoso.com' });
    sim.runDays(1);
    expect(payloadsOf(lab, LOG_APPLICATION, 'activation-request')).toEqual([]);
    const failed = payloadsOf(lab, LOG_APPLICATION, 'activation-failed');
    expect(failed.length).toBe(12);
    expect(failed.every((f) => f.hresult === 0x8007232b)).toBe(true);
  });

  it('a /skms host that no longer exists: 12288 to that name with 0xC004F074 and 8198, no DNS fallback', () => {
    const { sim, probe } = fleetWithProbe();
    sim.setKmsMachine(probe.machineId, 'kms-old.contoso.com:1688');
    expect(probe.readService().KeyManagementServiceMachine).toBe('kms-old.contoso.com');
    sim.runUntil(sim.clock.now() + MS.HOUR);
    const sent = payloadsOf(probe, LOG_APPLICATION, 'activation-request');
    expect(sent.map((s) => [s.kmsHost, s.hresult])).toEqual([['kms-old.contoso.com', 0xc004f074]]);
    expect(payloadsOf(probe, LOG_APPLICATION, 'activation-failed').map((f) => f.hresult)).toEqual([0xc004f074]);
  });

  it('un-generalised image: clones share one CMID and the host counts them once', () => {
    const sim = new Simulation({ seed: 8 });
    const host = sim.addKmsHost();
    const clones = sim.addMachines(30, (i) => ({ hostname: `clone-${i}.contoso.com`, cmid: '11111111-2222-4333-8444-555555555555' }));
    sim.runDays(2);
    expect(host.currentCount()).toBe(1);
    expect(clones.every((c) => c.licenseStatus() === 2)).toBe(true);
    // sysprep /generalize (a rearm) on each clone gives it its own CMID, and the count grows
    for (const c of clones) sim.rearm(c.machineId);
    sim.runDays(1);
    expect(host.currentCount()).toBe(31);
    expect(clones.every((c) => c.licenseStatus() === 1)).toBe(true);
  });
});

describe('DNS and host discovery', () => {
  it('a host publishes its SRV record at start and every 24 h (12294); a refusing zone gives 12293 instead', () => {
    const sim = new Simulation({ seed: 1 });
    const host = sim.addKmsHost();
    sim.runUntil(sim.startMs + 2 * KMS_DNS_REPUBLISH_HOURS * MS.HOUR);
    const ok = payloadsOf(host, LOG_APPLICATION, 'dns-publish-succeeded');
    expect(ok.map((e) => [e.atMs - sim.startMs, e.domain])).toEqual([
      [0, 'contoso.com'],
      [KMS_DNS_REPUBLISH_HOURS * MS.HOUR, 'contoso.com'],
      [2 * KMS_DNS_REPUBLISH_HOURS * MS.HOUR, 'contoso.com'],
    ]);
    sim.setDnsRegistrationFailing('contoso.com', true);
    sim.runDays(1);
    expect(payloadsOf(host, LOG_APPLICATION, 'dns-publish-failed').map((e) => [e.hresult, e.domain])).toEqual([
      [0x8007232a, 'contoso.com'],
    ]);
    expect(host.readService().KeyManagementServiceDnsPublishing).toBe(true);
  });

  it('removed SRV records: new clients fail with 0x8007232B until the host re-registers at its next 24-h publish', () => {
    const sim = new Simulation({ seed: 1 });
    sim.addKmsHost();
    for (let i = 0; i < 25; i++) sim.addClient();
    sim.runUntil(sim.startMs + 12 * MS.HOUR);
    sim.removeSrvRecords('contoso.com');
    expect(sim.srvRecords('contoso.com')).toEqual([]);
    const late = sim.addClient({ firstAttemptDelayMs: MS.MINUTE });
    sim.runUntil(sim.startMs + 23 * MS.HOUR);
    expect(payloadsOf(late, LOG_APPLICATION, 'activation-failed').every((f) => f.hresult === 0x8007232b)).toBe(true);
    expect(late.licenseStatus()).toBe(2);
    sim.runUntil(sim.startMs + 26 * MS.HOUR);
    expect(sim.srvRecords('contoso.com')).toEqual([{ host: 'kms01.contoso.com', port: 1688 }]);
    expect(late.licenseStatus()).toBe(1);
  });

  it('clients take the published hosts in random order and keep the one that answered; when it dies they move', () => {
    const sim = new Simulation({ seed: 13 });
    const a = sim.addKmsHost();
    const b = sim.addKmsHost();
    const clients = sim.addMachines(80, (i) => ({ hostname: `ws-${i}.contoso.com` }));
    sim.runDays(8);
    const firstHost = (c: SimulatedMachine) => payloadsOf(c, LOG_APPLICATION, 'activation-request')[0]!.kmsHost;
    const onA = clients.filter((c) => firstHost(c) === a.hostname).length;
    expect(onA).toBeGreaterThan(20);
    expect(onA).toBeLessThan(60);
    // host caching: every request of a client went to the same host
    for (const c of clients) {
      expect(new Set(payloadsOf(c, LOG_APPLICATION, 'activation-request').map((s) => s.kmsHost)).size).toBe(1);
    }
    expect(a.currentCount()).toBe(Math.min(onA, 50));
    expect(b.currentCount()).toBe(Math.min(80 - onA, 50));
    sim.setHostDown(a.hostname, true);
    sim.runDays(8);
    expect(clients.every((c) => c.licenseStatus() === 1)).toBe(true);
    expect(b.kmsWindow()).toHaveLength(80);
    const moved = clients.find((c) => firstHost(c) === a.hostname)!;
    const last = payloadsOf(moved, LOG_APPLICATION, 'activation-request').slice(-2);
    expect(last.map((s) => [s.kmsHost, s.hresult])).toEqual([
      [a.hostname, 0xc004f074],
      [b.hostname, 0],
    ]);
  });
});
