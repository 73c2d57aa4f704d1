/**
 * Table tests per current Windows profile: the simulated machine's answers, saved as a PowerShell capture and read
 * back through the agent's replay path, normalise to what that Windows really reports (channel, licence status, grace,
 * rearms, KMS host, Windows vs Office application).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KMS_ACTIVATION_VALIDITY_DAYS, MS, OFFICE_APPLICATION_ID, WINDOWS_APPLICATION_ID } from '../../shared/kms-rules.js';
import { MachineSnapshot } from '../../shared/protocol.js';
import { OS_PROFILES, Simulation, type OsProfileName } from '../../agent/sim/index.js';
import { replayFolderSnapshot } from '../support/agent-replay.js';
import { captureMachine } from '../support/sim-capture.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function throughReplay(m: Parameters<typeof captureMachine>[0], atMs: number) {
  const dir = await mkdtemp(join(tmpdir(), 'vawatch-sim-capture-'));
  dirs.push(dir);
  await captureMachine(m, dir);
  return replayFolderSnapshot(dir, new Date(atMs).toISOString());
}

const CASES: Array<[OsProfileName, string, string, 'client' | 'server', string, string]> = [
  ['win10-22h2-enterprise', 'Microsoft Windows 10 Enterprise', '10.0.19045', 'client', 'Windows(R), Enterprise edition', '2YT43'],
  ['win10-22h2-education', 'Microsoft Windows 10 Education', '10.0.19045', 'client', 'Windows(R), Education edition', 'VCFB2'],
  ['win11-23h2-enterprise', 'Microsoft Windows 11 Enterprise', '10.0.22631', 'client', 'Windows(R), Enterprise edition', '2YT43'],
  ['win11-23h2-education', 'Microsoft Windows 11 Education', '10.0.22631', 'client', 'Windows(R), Education edition', 'VCFB2'],
  ['win11-24h2-enterprise', 'Microsoft Windows 11 Enterprise', '10.0.26100', 'client', 'Windows(R), Enterprise edition', '2YT43'],
  ['win11-24h2-education', 'Microsoft Windows 11 Education', '10.0.26100', 'client', 'Windows(R), Education edition', 'VCFB2'],
  ['server-2016-standard', 'Microsoft Windows Server 2016 Standard', '10.0.14393', 'server', 'Windows(R), ServerStandard edition', 'KHKQY'],
  ['server-2016-datacenter', 'Microsoft Windows Server 2016 Datacenter', '10.0.14393', 'server', 'Windows(R), ServerDatacenter edition', '8XDDG'],
  ['server-2019-standard', 'Microsoft Windows Server 2019 Standard', '10.0.17763', 'server', 'Windows(R), ServerStandard edition', 'J464C'],
  ['server-2019-datacenter', 'Microsoft Windows Server 2019 Datacenter', '10.0.17763', 'server', 'Windows(R), ServerDatacenter edition', '63DFG'],
  ['server-2022-standard', 'Microsoft Windows Server 2022 Standard', '10.0.20348', 'server', 'Windows(R), ServerStandard edition', 'VMK7H'],
  ['server-2022-datacenter', 'Microsoft Windows Server 2022 Datacenter', '10.0.20348', 'server', 'Windows(R), ServerDatacenter edition', '6VM33'],
  ['server-2025-standard', 'Microsoft Windows Server 2025 Standard', '10.0.26100', 'server', 'Windows(R), ServerStandard edition', 'MY832'],
  ['server-2025-datacenter', 'Microsoft Windows Server 2025 Datacenter', '10.0.26100', 'server', 'Windows(R), ServerDatacenter edition', 'YP6DF'],
];

describe('current Windows profiles, read through the agent', () => {
  it.each(CASES)('%s: a KMS client with volume Office, activated by a Server 2022 host that has the Office host product', async (profile, caption, version, kind, name, tail) => {
    const sim = new Simulation();
    const host = sim.addKmsHost({ hostname: 'kms01.contoso.com', profile: 'server-2022-datacenter', officeKmsHost: 2024 });
    // Exactly the threshold: 25 client OS, or 5 servers; each with Office LTSC 2021 (threshold 5).
    const n = kind === 'client' ? 25 : 5;
    const machines = sim.addMachines(n, (i) => ({ hostname: `m-${i + 1}.contoso.com`, kind, profile, office: 'office-2021-proplus' }));
    sim.runDays(1);
    const m = machines[0]!;
    const { snapshot, events } = await throughReplay(m, sim.clock.now());
    expect(MachineSnapshot.safeParse(snapshot).success).toBe(true);
    expect(snapshot.os).toEqual({ caption, version, kind });
    const win = snapshot.products.find((p) => p.primary)!;
    expect(win).toMatchObject({
      activationId: OS_PROFILES[profile].gvlkActivationId,
      applicationId: WINDOWS_APPLICATION_ID,
      name,
      description: 'Windows(R) Operating System, VOLUME_KMSCLIENT channel',
      channel: 'kms-client',
      licenseStatus: 1,
      licenseStatusReason: 0,
      partialProductKey: tail,
      kmsHost: { name: 'kms01.contoso.com', port: 1688, source: 'dns' },
      rearmsRemaining: 1001,
      renewalIntervalMinutes: 10080,
      activationIntervalMinutes: 120,
      vlActivationType: 2,
      adActivation: null,
    });
    // Licensed for 180 days from the activation (to the minute GracePeriodRemaining carries).
    const validUntil = m.lastActivationAtMs! + KMS_ACTIVATION_VALIDITY_DAYS * MS.DAY;
    expect(Math.abs(Date.parse(win.graceExpiresAt!) - validUntil)).toBeLessThan(MS.MINUTE);
    const office = snapshot.products.find((p) => p.applicationId === OFFICE_APPLICATION_ID)!;
    expect(office).toMatchObject({
      activationId: 'fbdb3e18-a8ef-4fb3-9183-dffd60bd0984',
      name: 'Office 21, Office21ProPlus2021VL_KMS_Client_AE edition',
      description: 'Office 21, VOLUME_KMSCLIENT channel',
      channel: 'kms-client',
      primary: false,
      licenseStatus: 1,
      partialProductKey: '6F7TH',
      kmsHost: { name: 'kms01.contoso.com', port: 1688, source: 'dns' },
      vlActivationType: 2,
    });
    expect(snapshot.kmsService).toBeUndefined();
    // Both products' requests and answers, from Security-SPP, all parsed.
    expect(events.filter((e) => e.payload.kind === 'unparsed')).toEqual([]);
    const responses = events.filter((e) => e.payload.kind === 'activation-response');
    expect(responses.length).toBeGreaterThanOrEqual(2);
    expect(events.every((e) => e.provider === 'Microsoft-Windows-Security-SPP')).toBe(true);

    // The host: a Windows count and an Office count, each against its own threshold.
    const h = await throughReplay(host, sim.clock.now());
    expect(h.snapshot.kmsService?.applications).toEqual([
      { applicationId: WINDOWS_APPLICATION_ID, name: 'Windows(R), ServerDatacenter edition', currentCount: n, requiredClientCount: kind === 'client' ? 25 : 5 },
      // Office's count is capped at twice its threshold: 10.
      { applicationId: OFFICE_APPLICATION_ID, name: 'Office 24, Office24KMSHostVL_KMS_Host edition', currentCount: Math.min(n, 10), requiredClientCount: 5 },
    ]);
    expect(h.snapshot.kmsService).toMatchObject({ currentCount: n, listening: true, serviceRunning: true });
    expect(h.snapshot.products.find((p) => p.primary)).toMatchObject({
      channel: 'kms-host',
      description: 'Windows(R) Operating System, VOLUME_KMS_WS22 channel',
      licenseStatus: 1,
      graceExpiresAt: null,
    });
  });

  it.each(['win11-24h2-education', 'server-2025-datacenter'] as const)('%s at an AD-activated site: channel ad-based, the object named, no KMS host, 180 days', async (profile) => {
    const sim = new Simulation();
    sim.addActivationObject('eu.contoso.com', 'windows', 'VA-Win-2025');
    const m = sim.addMachine({ hostname: 'eu-1.eu.contoso.com', profile, kind: OS_PROFILES[profile].kind });
    sim.runDays(1);
    const { snapshot, events } = await throughReplay(m, sim.clock.now());
    const win = snapshot.products[0]!;
    expect(win).toMatchObject({
      channel: 'ad-based',
      licenseStatus: 1,
      kmsHost: null,
      vlActivationType: 1,
      adActivation: { objectName: 'VA-Win-2025', objectDn: 'CN=VA-Win-2025,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=eu,DC=contoso,DC=com' },
      rearmsRemaining: 1001,
    });
    expect(Math.abs(Date.parse(win.graceExpiresAt!) - (m.lastActivationAtMs! + KMS_ACTIVATION_VALIDITY_DAYS * MS.DAY))).toBeLessThan(MS.MINUTE);
    expect(events.map((e) => e.payload)).toEqual([
      { kind: 'ad-activation', activationId: OS_PROFILES[profile].gvlkActivationId, objectName: 'VA-Win-2025', objectDn: win.adActivation!.objectDn },
    ]);
  });

  it('starts in the initial grace: 30 days, LicenseStatus 2, with no host to ask', async () => {
    const sim = new Simulation();
    const m = sim.addMachine({ hostname: 'alone.contoso.com', profile: 'win11-24h2-enterprise' });
    sim.runUntil(sim.startMs + MS.HOUR);
    const { snapshot } = await throughReplay(m, sim.clock.now());
    const win = snapshot.products[0]!;
    expect(win).toMatchObject({ channel: 'kms-client', licenseStatus: 2, kmsHost: null, vlActivationType: 0 });
    expect(Date.parse(win.graceExpiresAt!)).toBe(sim.startMs + 30 * MS.DAY);
  });

  it('keeps the Vista / 2008 / 7 profiles as they were: no Win8+ properties, no Office', async () => {
    const sim = new Simulation();
    sim.addKmsHost({ hostname: 'kms01.contoso.com' });
    const vista = sim.addClient({ profile: 'vista-business' });
    const win7 = sim.addClient({ profile: 'win7-enterprise' });
    sim.runDays(1);
    expect(vista.readProducts()[0]).not.toHaveProperty('VLActivationType');
    expect(win7.readProducts()[0]).not.toHaveProperty('ProductKeyChannel');
    expect(win7.readService()).not.toHaveProperty('VawatchServiceRunning');
    const { snapshot } = await throughReplay(win7, sim.clock.now());
    expect(snapshot.products[0]).not.toHaveProperty('vlActivationType');
    expect(() => sim.addClient({ profile: 'win7-enterprise', office: 'office-2021-proplus' })).toThrow(/Office 2019\+ licenses through Windows on Windows 10/);
  });
});
