/** What the agent reads from a simulated machine: the raw PowerShell shapes, generation by generation. */
import { describe, expect, it } from 'vitest';
import { channelOf } from '../../shared/channel.js';
import { UINT32_SENTINEL, WINDOWS_APPLICATION_ID } from '../../shared/kms-rules.js';
import { isPrimaryWindowsProduct, osKindOf } from '../../shared/windows-product.js';
import { LOG_APPLICATION, PROVIDER_SLC, PROVIDER_SPP } from '../../shared/wmi-shapes.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { OS_PROFILES, Simulation } from '../../agent/sim/index.js';

const MINUTE = 60_000;

/** The properties `SoftwareLicensingProduct` had on Vista / Server 2008 (its first 18; reference 1). */
const VISTA_PRODUCT_KEYS = [
  'ApplicationID',
  'Description',
  'EvaluationEndDate',
  'GracePeriodRemaining',
  'ID',
  'LicenseIsAddon',
  'LicenseStatus',
  'LicenseStatusReason',
  'Name',
  'PartialProductKey',
  'ProductKeyID',
];

describe('machine reads', () => {
  it.each([
    { channel: 'kms-client' as const, token: 'VOLUME_KMSCLIENT', expected: 'kms-client' },
    { channel: 'mak' as const, token: 'VOLUME_MAK', expected: 'mak' },
    { channel: 'kms-host' as const, token: 'VOLUME_KMS_B', expected: 'kms-host' },
  ])('a Vista-class $channel product: the 18-property layout, $token in Description', ({ channel, token, expected }) => {
    const sim = new Simulation();
    const m = sim.addMachine({ hostname: 'm1.contoso.com', channel, kind: 'server' });
    const [p, ...rest] = m.readProducts();
    expect(rest).toEqual([]);
    expect(Object.keys(p!).sort()).toEqual(VISTA_PRODUCT_KEYS);
    expect(p!.Description).toBe(`Windows Operating System - Windows Server(R), ${token} channel`);
    expect(channelOf(p!.Description)).toBe(expected);
    expect(isPrimaryWindowsProduct(p!)).toBe(true);
    expect(p!.ApplicationID).toBe(WINDOWS_APPLICATION_ID);
  });

  it('a Vista-class KMS host keeps its counters on the Service; before any request the count is the -1 sentinel', () => {
    const sim = new Simulation();
    const host = sim.addKmsHost();
    expect(host.readService()).toMatchObject({
      IsKeyManagementServiceMachine: 1,
      KeyManagementServiceCurrentCount: UINT32_SENTINEL,
      KeyManagementServiceTotalRequests: 0,
      KeyManagementServiceListeningPort: 0,
      KeyManagementServiceDnsPublishing: true,
      KeyManagementServiceLowPriority: false,
    });
    for (let i = 0; i < 3; i++) sim.addClient();
    sim.addServer();
    sim.runDays(1);
    const s = host.readService();
    expect(s).toMatchObject({
      KeyManagementServiceCurrentCount: 4,
      RequiredClientCount: 25,
      KeyManagementServiceFailedRequests: 0,
      KeyManagementServiceLicensedRequests: 0,
    });
    // the requests are split by the client's reported status: all in initial grace (nobody can activate at 4)
    expect(s.KeyManagementServiceOOBGraceRequests).toBe(s.KeyManagementServiceTotalRequests);
    expect(s.KeyManagementServiceTotalRequests).toBeGreaterThanOrEqual(4 * 11);
    expect(host.readProducts()[0]).toMatchObject({ LicenseStatus: 1, GracePeriodRemaining: 0 });
  });

  it('a Windows 7 KMS client carries the KMS properties on its product too, and logs as Security-SPP', () => {
    const sim = new Simulation();
    sim.addKmsHost();
    for (let i = 0; i < 24; i++) sim.addClient();
    const w7 = sim.addClient({ profile: 'win7-enterprise' });
    sim.runDays(1);
    const [p] = w7.readProducts();
    expect(p).toMatchObject({
      Description: 'Windows Operating System - Windows(R) 7, VOLUME_KMSCLIENT channel',
      LicenseStatus: 1,
      GracePeriodRemaining: 180 * 24 * 60 - Math.round((sim.clock.now() - w7.lastActivationAtMs!) / 60_000),
      VLActivationInterval: 120,
      VLRenewalInterval: 10080,
      DiscoveredKeyManagementServiceMachineName: 'kms01.contoso.com',
      DiscoveredKeyManagementServiceMachinePort: 1688,
      IsKeyManagementServiceMachine: 0,
      KeyManagementServiceCurrentCount: UINT32_SENTINEL,
      RequiredClientCount: 25,
    });
    expect(w7.readEvents(LOG_APPLICATION, 0).every((e) => e.ProviderName === PROVIDER_SPP)).toBe(true);
    expect(sim.machines[1]!.readEvents(LOG_APPLICATION, 0).every((e) => e.ProviderName === PROVIDER_SLC)).toBe(true);
  });

  it.each([
    { profile: 'vista-business' as const, productType: 1, kind: 'client' },
    { profile: 'server-2008-standard' as const, productType: 3, kind: 'server' },
  ])('$profile reads as ProductType $productType ($kind)', ({ profile, productType, kind }) => {
    const sim = new Simulation();
    const m = sim.addMachine({ hostname: 'box-7.branch.contoso.com', profile, kind: kind as 'client' | 'server' });
    expect(m.readOs()).toEqual({
      Caption: OS_PROFILES[profile].caption,
      Version: '6.0.6001',
      ProductType: productType,
      CSName: 'BOX-7',
    });
    expect(osKindOf(m.readOs().ProductType)).toBe(kind);
    expect(m.osKind).toBe(kind);
    expect(m.domain).toBe('branch.contoso.com');
  });

  it('the service shows the CMID the host counts, and /skms where it is set', () => {
    const sim = new Simulation();
    const host = sim.addKmsHost();
    const m = sim.addClient({ kmsMachine: 'kms01.contoso.com:1688', firstAttemptDelayMs: 60_000 });
    sim.runUntil(sim.startMs + 60_000);
    expect(m.readService()).toMatchObject({ ClientMachineID: m.cmid, KeyManagementServiceMachine: 'kms01.contoso.com', KeyManagementServicePort: 1688 });
    expect(host.kmsWindow().map((w) => w.cmid)).toEqual([m.cmid]);
  });
});

describe('clock', () => {
  it('a simulation can run on a clock it is given, starting at that clock’s time', () => {
    const clock = new VirtualClock(Date.UTC(2026, 10, 1));
    const sim = new Simulation({ clock });
    expect(sim.startMs).toBe(Date.UTC(2026, 10, 1));
    const m = sim.addClient({ firstAttemptDelayMs: MINUTE });
    clock.advanceBy(MINUTE);
    expect(m.readEvents(LOG_APPLICATION, 0).map((e) => [e.Id, e.TimeCreated])).toEqual([
      [8198, '2026-11-01T00:01:00.000Z'],
    ]);
    expect(() => new Simulation({ clock, startMs: Date.UTC(2026, 9, 1) })).toThrow(/after startMs/);
  });
});

describe('summary', () => {
  it('counts primary products of running machines by status, hosts by count, and the records written since the last summary', () => {
    const sim = new Simulation({ seed: 6 });
    sim.addKmsHost(); // 12294 at start
    const clients = Array.from({ length: 25 }, () => sim.addClient({ firstAttemptDelayMs: MINUTE }));
    const first = sim.summary();
    expect(first).toEqual({
      atMs: sim.startMs,
      licenseStatus: { '0': 0, '1': 1, '2': 25, '3': 0, '4': 0, '5': 0, '6': 0 },
      // No volume Office in this fleet: nothing counted, no Office host.
      officeLicenseStatus: { '0': 0, '1': 0, '2': 0, '3': 0, '4': 0, '5': 0, '6': 0 },
      kmsHosts: { 'kms01.contoso.com': 0 },
      officeKmsHosts: {},
      events: 1,
    });
    sim.runUntil(sim.startMs + MINUTE);
    // 25 × (12288 + 12290 + 12289); the 25th request reaches 25, the 24 before it retry in 2 h
    expect(sim.summary()).toMatchObject({ licenseStatus: { '1': 2, '2': 24 }, kmsHosts: { 'kms01.contoso.com': 25 }, events: 75 });
    expect(sim.summary().events).toBe(0);
    sim.retire(clients[0]!.machineId);
    sim.runUntil(sim.startMs + MINUTE + 2 * 60 * MINUTE);
    const s = sim.summary();
    expect(s.licenseStatus).toEqual({ '0': 0, '1': 25, '2': 0, '3': 0, '4': 0, '5': 0, '6': 0 });
    expect(s.events).toBe(23 * 3);
  });
});
