/** KMS host failures the simulator injects (12291 / 12292, service stopped, not listening), as clients and agents see them. */
import { describe, expect, it } from 'vitest';
import { MS } from '../../shared/kms-rules.js';
import { LOG_APPLICATION } from '../../shared/wmi-shapes.js';
import { Simulation } from '../../agent/sim/index.js';
import { normaliseSnapshot } from '../../agent/normalise.js';
import { payloadsOf } from '../support/sim-events.js';

function fleet() {
  const sim = new Simulation();
  const host = sim.addKmsHost({ hostname: 'kms01.contoso.com', profile: 'server-2025-datacenter' });
  const servers = sim.addMachines(5, (i) => ({ hostname: `srv-${i + 1}.contoso.com`, kind: 'server', profile: 'server-2022-standard' }));
  // The first four hear a count below 5 and retry 2 h later: by 3 h all five are activated.
  sim.runUntil(sim.startMs + 3 * MS.HOUR);
  return { sim, host, servers };
}

const health = (sim: Simulation, hostname: string) => {
  const m = sim.machineNamed(hostname)!;
  return normaliseSnapshot({ products: m.readProducts(), service: m.readService(), os: m.readOs() }, { machineId: m.machineId, group: 'g' }, sim.clock.now()).kmsService!;
};

describe('KMS host faults', () => {
  it('a healthy host reports its service running and listening', () => {
    const { sim } = fleet();
    expect(health(sim, 'kms01.contoso.com')).toMatchObject({ serviceRunning: true, listening: true, currentCount: 5 });
  });

  it('fails to initialize: 12291 with the HRESULT, not listening, clients refused with 0x800706BA until it is restarted', () => {
    const { sim, host, servers } = fleet();
    sim.setKmsServiceFault('kms01.contoso.com', 'not-listening', 0xc004f015);
    expect(payloadsOf(host, LOG_APPLICATION, 'kms-init-failure')).toEqual([expect.objectContaining({ kind: 'kms-init-failure', hresult: 0xc004f015 })]);
    expect(health(sim, 'kms01.contoso.com')).toMatchObject({ serviceRunning: true, listening: false });
    // The next renewal (7 days later) fails; the clients stay Licensed on their 180 days.
    sim.runDays(8);
    const s = servers[0]!;
    expect(payloadsOf(s, LOG_APPLICATION, 'activation-request').at(-1)).toMatchObject({ hresult: 0x800706ba });
    expect(payloadsOf(s, LOG_APPLICATION, 'activation-failed').at(-1)).toMatchObject({ hresult: 0x800706ba });
    expect(s.licenseStatus()).toBe(1);
    sim.setKmsServiceFault('kms01.contoso.com', 'none');
    expect(health(sim, 'kms01.contoso.com')).toMatchObject({ serviceRunning: true, listening: true });
    sim.runUntil(sim.clock.now() + 3 * MS.HOUR);
    expect(payloadsOf(s, LOG_APPLICATION, 'activation-response').at(-1)).toMatchObject({ activated: true });
    // Restarting republished the SRV record (12294).
    expect(payloadsOf(host, LOG_APPLICATION, 'dns-publish-succeeded').length).toBeGreaterThanOrEqual(2);
  });

  it('service stopped: neither running nor listening, no 12291, clients refused', () => {
    const { sim, host, servers } = fleet();
    sim.setKmsServiceFault('kms01.contoso.com', 'stopped');
    expect(health(sim, 'kms01.contoso.com')).toMatchObject({ serviceRunning: false, listening: false });
    expect(payloadsOf(host, LOG_APPLICATION, 'kms-init-failure')).toEqual([]);
    sim.runDays(8);
    expect(payloadsOf(servers[1]!, LOG_APPLICATION, 'activation-request').at(-1)).toMatchObject({ hresult: 0x800706ba });
  });

  it('renewal timer failure: 12292 with the HRESULT; the host keeps answering', () => {
    const { sim, host, servers } = fleet();
    sim.failKmsRenewalTimer('kms01.contoso.com');
    expect(payloadsOf(host, LOG_APPLICATION, 'kms-renewal-timer-failure')).toEqual([expect.objectContaining({ hresult: 0x80070005 })]);
    sim.runDays(8);
    expect(payloadsOf(servers[0]!, LOG_APPLICATION, 'activation-response').at(-1)).toMatchObject({ activated: true });
  });

  it('refuses a fault on a machine that is no KMS host', () => {
    const { sim } = fleet();
    expect(() => sim.setKmsServiceFault('srv-1.contoso.com', 'stopped')).toThrow(/no simulated KMS host named srv-1.contoso.com/);
  });
});

describe('Office on KMS hosts', () => {
  it('an Office-only host with 4 Office clients answers 4 and never activates them; a fifth client activates all five', () => {
    const sim = new Simulation();
    sim.addActivationObject('contoso.com', 'windows', 'VA-Win');
    const host = sim.addMachine({ hostname: 'kms-office.contoso.com', kind: 'server', profile: 'server-2022-standard', officeKmsHost: 2021 });
    const four = sim.addMachines(4, (i) => ({ hostname: `ws-${i + 1}.contoso.com`, profile: 'win11-24h2-enterprise', office: 'office-2021-proplus' }));
    sim.runDays(3);
    expect(host.currentCount('office')).toBe(4);
    expect(host.currentCount('windows')).toBeNull();
    expect(four.map((m) => m.officeLicenseStatus())).toEqual([2, 2, 2, 2]);
    const answers = payloadsOf(four[0]!, LOG_APPLICATION, 'activation-response');
    expect(answers.every((r) => !r.activated && r.notEnoughCount)).toBe(true);
    expect(answers.at(-1)!.currentCount).toBe(4);
    // Windows is AD-activated and never asked the host.
    expect(four.every((m) => m.licenseStatus() === 1 && m.vlActivationType === 1)).toBe(true);
    sim.addMachine({ hostname: 'ws-5.contoso.com', profile: 'win11-24h2-enterprise', office: 'office-2021-proplus' });
    sim.runUntil(sim.clock.now() + 3 * MS.HOUR);
    expect(host.currentCount('office')).toBe(5);
    expect(four.map((m) => m.officeLicenseStatus())).toEqual([1, 1, 1, 1]);
  });

  it('keeps the Windows and Office counts of one host apart; an Office 2024 client is refused by a 2021 Office host key', () => {
    const sim = new Simulation();
    const host = sim.addKmsHost({ hostname: 'kms01.contoso.com', profile: 'server-2022-datacenter', officeKmsHost: 2021 });
    sim.addMachines(6, (i) => ({ hostname: `ws-${i + 1}.contoso.com`, profile: 'win10-22h2-enterprise', office: i < 3 ? 'office-2019-proplus' : null }));
    const newer = sim.addMachine({ hostname: 'ws-new.contoso.com', profile: 'win11-24h2-enterprise', office: 'office-2024-proplus' });
    sim.runDays(1);
    expect([host.currentCount('windows'), host.currentCount('office')]).toEqual([7, 3]);
    expect(payloadsOf(newer, LOG_APPLICATION, 'activation-failed').at(-1)).toMatchObject({ hresult: 0xc004f042 });
  });
});

describe('AD-based activation', () => {
  it('activates through the object (12308, no KMS request, no count); with the object gone it falls back to KMS', () => {
    const sim = new Simulation();
    const host = sim.addKmsHost({ hostname: 'kms01.contoso.com', profile: 'server-2025-standard' });
    sim.addActivationObject('contoso.com', 'windows', 'VA-Win-2025');
    const m = sim.addMachine({ hostname: 'ws-1.contoso.com', profile: 'win11-24h2-education' });
    sim.runDays(1);
    expect(m.licence()).toMatchObject({ status: 1 });
    expect(payloadsOf(m, LOG_APPLICATION, 'ad-activation')).toEqual([
      expect.objectContaining({
        activationId: 'e0c42288-980c-4788-a014-c080d2e1926e',
        objectName: 'VA-Win-2025',
        objectDn: 'CN=VA-Win-2025,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=contoso,DC=com',
      }),
    ]);
    expect(payloadsOf(m, LOG_APPLICATION, 'activation-request')).toEqual([]);
    expect(host.currentCount()).toBeNull();
    const snap = normaliseSnapshot({ products: m.readProducts(), service: m.readService(), os: m.readOs() }, { machineId: m.machineId, group: 'g' }, sim.clock.now());
    expect(snap.products[0]).toMatchObject({ channel: 'ad-based', kmsHost: null, adActivation: { objectName: 'VA-Win-2025' } });
    // Renewals through AD every 7 days keep it at 180 days.
    sim.runDays(14);
    expect(payloadsOf(m, LOG_APPLICATION, 'ad-activation')).toHaveLength(3);
    sim.removeActivationObject('contoso.com', 'windows');
    sim.runDays(8);
    // A single client OS cannot reach 25 on the host: it stays Licensed on its AD activation's 180 days, as KMS client.
    expect(payloadsOf(m, LOG_APPLICATION, 'activation-request').length).toBeGreaterThan(0);
    expect(m.licenseStatus()).toBe(1);
    expect(m.vlActivationType).toBe(1);
  });

  it('leaves Windows 7 to KMS: ADBA needs Windows 8 / Server 2012 or later', () => {
    const sim = new Simulation();
    sim.addActivationObject('contoso.com', 'windows', 'VA-Win');
    const win7 = sim.addClient({ profile: 'win7-enterprise' });
    sim.runDays(1);
    expect(payloadsOf(win7, LOG_APPLICATION, 'ad-activation')).toEqual([]);
    expect(win7.licenseStatus()).toBe(2);
  });
});
