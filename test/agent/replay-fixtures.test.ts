/**
 * Every replay fixture set (test/fixtures/replay/<set>/, written in the shapes PowerShell prints) gives the expected
 * snapshot, field by field, collected at AT.
 */
import { describe, expect, it } from 'vitest';
import { MachineSnapshot, type ProductState } from '../../shared/protocol.js';
import { replaySnapshot } from '../support/agent-replay.js';

const AT = '2026-11-29T10:00:00Z';
const minutesAfterAt = (m: number) => new Date(Date.parse(AT) + m * 60_000).toISOString();

interface Case {
  set: string;
  hostname: string;
  os: { caption: string; version: string; kind: 'client' | 'server' };
  cmid: string;
  /** Products by activation id, the fields that matter. */
  products: Array<Partial<ProductState> & { activationId: string }>;
  kmsService?: MachineSnapshot['kmsService'];
  /** (log, id, recordId) of the events, oldest first per log. */
  events: Array<[string, number, number]>;
}

const CASES: Case[] = [
  {
    set: 'vista-kms-client-oob-grace',
    hostname: 'VISTA-WS-017',
    os: { caption: 'Microsoft® Windows Vista™ Enterprise', version: '6.0.6001', kind: 'client' },
    cmid: '36f27b39-8b7f-4a4e-b3b6-1dc6c9e3e0a1',
    products: [
      {
        activationId: 'cfd8ff08-c0d7-452b-9f60-ef5c70c32094',
        channel: 'kms-client',
        primary: true,
        licenseStatus: 2,
        // Vista has no LicenseStatusReason, no rearm counter and no interval properties.
        licenseStatusReason: null,
        graceExpiresAt: minutesAfterAt(41760),
        partialProductKey: 'H3RW3',
        kmsHost: null,
        rearmsRemaining: null,
        renewalIntervalMinutes: null,
      },
    ],
    events: [
      ['Application', 12288, 8811],
      ['Application', 12289, 8812],
    ],
  },
  {
    set: 'win7-kms-client-licensed',
    hostname: 'WS-0042',
    os: { caption: 'Microsoft Windows 7 Enterprise', version: '6.1.7601', kind: 'client' },
    cmid: '5d1c1a7f-19e2-4a0c-9c53-6c3a0e1f7b22',
    products: [
      {
        activationId: 'ae2ee509-1b34-41c0-acb7-6d4650168915',
        channel: 'kms-client',
        primary: true,
        licenseStatus: 1,
        licenseStatusReason: 0,
        graceExpiresAt: minutesAfterAt(258840),
        partialProductKey: 'RHTBY',
        kmsHost: { name: 'kms01.contoso.com', port: 1688, source: 'dns' },
        rearmsRemaining: 3,
        renewalIntervalMinutes: 10080,
        activationIntervalMinutes: 120,
      },
    ],
    events: [
      ['Application', 12288, 20410],
      ['Application', 12289, 20411],
    ],
  },
  {
    set: 'server2019-notification',
    hostname: 'SQL-PRD-03',
    os: { caption: 'Microsoft Windows Server 2019 Datacenter', version: '10.0.17763', kind: 'server' },
    cmid: 'a3e9b2c4-7d51-4f0e-8a6b-2c9d4e1f3a57',
    products: [
      {
        activationId: '34e1ae55-27f8-4950-8877-7a03be5fb181',
        channel: 'kms-client',
        primary: true,
        licenseStatus: 5,
        licenseStatusReason: 0xc004f00f,
        graceExpiresAt: null,
        partialProductKey: '6K2KY',
        kmsHost: { name: 'kms-old.contoso.com', port: 1688, source: 'registry' },
        rearmsRemaining: 1001,
      },
    ],
    events: [
      ['Application', 12288, 51002],
      ['Application', 8198, 51003],
    ],
  },
  {
    set: 'mak-machine',
    hostname: 'LT-007',
    os: { caption: 'Microsoft Windows 10 Enterprise', version: '10.0.19045', kind: 'client' },
    cmid: '0f4a3b2c-1d9e-4c8b-a7f6-5e4d3c2b1a09',
    products: [
      {
        activationId: '73111121-5638-40f6-bc11-f1d7b0d64300',
        channel: 'mak',
        primary: true,
        licenseStatus: 1,
        graceExpiresAt: null,
        partialProductKey: '7CFBY',
        kmsHost: null,
        rearmsRemaining: 1001,
        renewalIntervalMinutes: null,
      },
    ],
    events: [],
  },
  {
    set: 'kms-host-counters',
    hostname: 'KMS01',
    os: { caption: 'Microsoft Windows Server 2016 Standard', version: '10.0.14393', kind: 'server' },
    cmid: 'c0ffee00-1111-4222-8333-444455556666',
    products: [
      {
        activationId: '8c8f0ff4-fc51-4fb5-8f9a-5b3a5f0c8e41',
        channel: 'kms-host',
        primary: true,
        licenseStatus: 1,
        graceExpiresAt: null,
        partialProductKey: 'MFMXT',
        kmsHost: null,
      },
    ],
    kmsService: {
      currentCount: 37,
      requiredClientCount: 25,
      listeningPort: 1688,
      dnsPublishing: true,
      lowPriority: false,
      requests: { total: 5123, failed: 12, unlicensed: 3, licensed: 4710, oobGrace: 380, ootGrace: 25, nonGenuineGrace: 0, notification: 5 },
      // Win7+ keeps the count per host product: one entry, the Windows one.
      applications: [{ applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f', name: 'Windows(R), ServerStandard edition', currentCount: 37, requiredClientCount: 25 }],
    },
    // The 902 service event and a non-licensing Application event are not read.
    events: [
      ['Application', 12293, 90411],
      ['Application', 12294, 90412],
      ['Key Management Service', 12290, 7001],
      ['Key Management Service', 12290, 7002],
      ['Key Management Service', 12290, 7003],
      ['Key Management Service', 12290, 7004],
      ['Key Management Service', 12290, 7005],
    ],
  },
  {
    set: 'fresh-kms-host-sentinel',
    hostname: 'KMS02',
    os: { caption: 'Microsoft Windows Server 2016 Standard', version: '10.0.14393', kind: 'server' },
    cmid: 'd00dfeed-2222-4333-8444-555566667777',
    products: [{ activationId: 'b7f1e3a2-9d8c-4b6a-8e5f-1a2b3c4d5e6f', channel: 'kms-host', primary: true, licenseStatus: 1 }],
    kmsService: {
      currentCount: null,
      requiredClientCount: null,
      listeningPort: 1700,
      dnsPublishing: false,
      lowPriority: true,
      requests: { total: null, failed: null, unlicensed: null, licensed: null, oobGrace: null, ootGrace: null, nonGenuineGrace: null, notification: null },
      applications: [{ applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f', name: 'Windows(R), ServerStandard edition', currentCount: null, requiredClientCount: null }],
    },
    events: [],
  },
  {
    set: 'ps7-capture',
    hostname: 'EDU-LAB-12',
    os: { caption: 'Microsoft Windows 11 Education', version: '10.0.22631', kind: 'client' },
    cmid: '7e6d5c4b-3a29-4180-b7c6-d5e4f3a2b1c0',
    products: [
      {
        activationId: 'e0c42288-980c-4788-a014-c080d2e1926e',
        channel: 'kms-client',
        primary: true,
        licenseStatus: 1,
        graceExpiresAt: minutesAfterAt(250000),
        partialProductKey: '2YT43',
        // /skms (registry) wins over the host last found in DNS; port 0 means 1688.
        kmsHost: { name: 'kms02.contoso.com', port: 1688, source: 'registry' },
        rearmsRemaining: 1001,
      },
    ],
    events: [
      ['Application', 12288, 3301],
      ['Application', 12289, 3302],
    ],
  },
  {
    set: 'single-object',
    hostname: 'RECEPTION-PC',
    os: { caption: 'Microsoft Windows 10 Pro', version: '10.0.19045', kind: 'client' },
    cmid: '11112222-3333-4444-8555-666677778888',
    products: [
      {
        activationId: '2de67392-b7a7-462a-b1ca-108dd189f588',
        channel: 'kms-client',
        primary: true,
        licenseStatus: 2,
        licenseStatusReason: 0x4004f401,
        graceExpiresAt: minutesAfterAt(43200),
        kmsHost: null,
      },
    ],
    events: [['Application', 8198, 77]],
  },
  {
    set: 'ps51-saved-utf16',
    hostname: 'WS-ÅSA-01',
    os: { caption: 'Microsoft Windows 10 Enterprise', version: '10.0.19045', kind: 'client' },
    cmid: '99998888-7777-4666-8555-444433332222',
    products: [
      {
        activationId: '58e97c99-f377-4ef1-81d5-4ad5522b5fd8',
        channel: 'kms-client',
        primary: true,
        licenseStatus: 3,
        licenseStatusReason: 0xc004f00f,
        graceExpiresAt: minutesAfterAt(43000),
        kmsHost: { name: 'kms01.contoso.com', port: 1688, source: 'dns' },
      },
    ],
    events: [['Application', 12288, 4410]],
  },
  {
    set: 'office-and-addons',
    hostname: 'FIN-WS-03',
    os: { caption: 'Microsoft Windows 10 Enterprise', version: '10.0.19045', kind: 'client' },
    cmid: 'abcdef01-2345-4678-89ab-cdef01234567',
    products: [
      { activationId: '73111121-5638-40f6-bc11-f1d7b0d64300', channel: 'kms-client', primary: true, licenseStatus: 1, graceExpiresAt: minutesAfterAt(259000), rearmsRemaining: 1001 },
      // Office has its own rearm counter; the Windows one is the service's.
      { activationId: 'd450596f-894d-49e0-966a-fd39ed4c4c64', channel: 'kms-client', primary: false, licenseStatus: 1, graceExpiresAt: minutesAfterAt(250000), rearmsRemaining: 4, kmsHost: { name: 'kms01.contoso.com', port: 1688, source: 'dns' } },
      // An add-on is never the primary product, even with Windows' ApplicationID.
      { activationId: 'f520e45e-7413-4a34-a497-d2765967d094', channel: 'mak', primary: false, licenseStatus: 1, graceExpiresAt: null, kmsHost: null },
    ],
    events: [],
  },
  {
    // Windows 11 24H2 activated by an AD activation object, volume Office LTSC 2021 by KMS on the same machine.
    set: 'win11-adba-office-client',
    hostname: 'HR-LT-0107',
    os: { caption: 'Microsoft Windows 11 Enterprise', version: '10.0.26100', kind: 'client' },
    cmid: 'b7a0f3e2-5c1d-4e8f-9a6b-2d3c4e5f6a7b',
    products: [
      {
        activationId: '73111121-5638-40f6-bc11-f1d7b0d64300',
        applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
        channel: 'ad-based',
        primary: true,
        licenseStatus: 1,
        graceExpiresAt: minutesAfterAt(254880),
        partialProductKey: '2YT43',
        kmsHost: null,
        rearmsRemaining: 1001,
        vlActivationType: 1,
        adActivation: {
          objectName: 'VA-Win-2025',
          objectDn: 'CN=VA-Win-2025,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=contoso,DC=com',
        },
      },
      {
        activationId: 'fbdb3e18-a8ef-4fb3-9183-dffd60bd0984',
        applicationId: '0ff1ce15-a989-479d-af46-f275c6370663',
        name: 'Office 21, Office21ProPlus2021VL_KMS_Client_AE edition',
        channel: 'kms-client',
        primary: false,
        licenseStatus: 1,
        partialProductKey: '6F7TH',
        kmsHost: { name: 'kms01.contoso.com', port: 1688, source: 'dns' },
        vlActivationType: 2,
        adActivation: null,
      },
    ],
    events: [['Application', 12308, 5521]],
  },
  {
    // A Server 2022 KMS host with the Office LTSC 2021 host product too: two counts, two thresholds; the service runs
    // but nothing listens on 1688; 12291 and 12292 in the Application log.
    set: 'server2022-kms-host-windows-office',
    hostname: 'KMS03',
    os: { caption: 'Microsoft Windows Server 2022 Datacenter', version: '10.0.20348', kind: 'server' },
    cmid: '4e2d9c1b-7a6f-4b3e-8d5c-1f0a9b8c7d6e',
    products: [
      { activationId: 'b8b3d1e0-4c6a-4e0b-9d2f-7a1c3e5b9f21', channel: 'kms-host', primary: true, kmsHost: null, vlActivationType: 0, adActivation: null },
      { activationId: '47f3b983-7c53-4d45-abc6-bcd91e2dd90a', channel: 'kms-host', primary: false, kmsHost: null },
    ],
    kmsService: {
      currentCount: 31,
      requiredClientCount: 25,
      listeningPort: 1688,
      dnsPublishing: true,
      lowPriority: false,
      requests: { total: 2210, failed: 4, unlicensed: 0, licensed: 2050, oobGrace: 150, ootGrace: 6, nonGenuineGrace: 0, notification: 0 },
      applications: [
        { applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f', name: 'Windows(R), ServerDatacenter edition', currentCount: 31, requiredClientCount: 25 },
        { applicationId: '0ff1ce15-a989-479d-af46-f275c6370663', name: 'Office 21, Office21KMSHostVL_KMS_Host edition', currentCount: 4, requiredClientCount: 5 },
      ],
      listening: false,
      serviceRunning: true,
    },
    events: [
      ['Application', 12291, 40111],
      ['Application', 12292, 40112],
    ],
  },
];

describe('replay fixture sets', () => {
  it.each(CASES)('$set', async (c) => {
    const { snapshot, events } = await replaySnapshot(c.set, AT);
    expect(MachineSnapshot.safeParse(snapshot).success).toBe(true);
    expect(snapshot.hostname).toBe(c.hostname);
    expect(snapshot.os).toEqual(c.os);
    expect(snapshot.cmid).toBe(c.cmid);
    expect(snapshot.collectedAt).toBe('2026-11-29T10:00:00.000Z');
    // Only products with a key; exactly the expected ones.
    expect(snapshot.products.map((p) => p.activationId).sort()).toEqual(c.products.map((p) => p.activationId).sort());
    for (const want of c.products) {
      const got = snapshot.products.find((p) => p.activationId === want.activationId)!;
      for (const [field, value] of Object.entries(want)) expect({ field, value: got[field as keyof ProductState] }).toEqual({ field, value });
    }
    expect(snapshot.products.filter((p) => p.primary)).toHaveLength(1);
    if (c.kmsService) expect(snapshot.kmsService).toEqual(c.kmsService);
    else expect(snapshot.kmsService).toBeUndefined();
    expect(events.map((e) => [e.log, e.id, e.recordId])).toEqual(c.events);
    expect(events.filter((e) => e.payload.kind === 'unparsed')).toEqual([]);
  });

  it('turns 12291 / 12292 (KMS host failures) and 12308 (AD-based activation) into typed payloads', async () => {
    const host = await replaySnapshot('server2022-kms-host-windows-office', AT);
    expect(host.events.map((e) => e.payload)).toEqual([
      { kind: 'kms-init-failure', hresult: 0xc004f015 },
      { kind: 'kms-renewal-timer-failure', hresult: 0x80070005 },
    ]);
    const client = await replaySnapshot('win11-adba-office-client', AT);
    expect(client.events[0]!.payload).toEqual({
      kind: 'ad-activation',
      activationId: '73111121-5638-40f6-bc11-f1d7b0d64300',
      objectName: 'VA-Win-2025',
      objectDn: 'CN=VA-Win-2025,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=contoso,DC=com',
    });
  });

  it('turns event data into typed payloads (KMS host batch and DNS publishing)', async () => {
    const { events } = await replaySnapshot('kms-host-counters', AT);
    const failed = events.find((e) => e.id === 12293)!;
    expect(failed.payload).toEqual({ kind: 'dns-publish-failed', hresult: 0x80072338, domain: 'emea.contoso.com' });
    const skewed = events.find((e) => e.recordId === 7005)!;
    expect(skewed.payload).toMatchObject({ kind: 'kms-request', hresult: 0xc004f06c, clientFqdn: 'ws-0107.contoso.com', licenseStatus: 2, minutesToExpiry: 40000 });
    const vm = events.find((e) => e.recordId === 7004)!;
    expect(vm.payload).toMatchObject({ kind: 'kms-request', isVm: true, nPolicy: 5 });
  });

  it('reads PowerShell 7 ISO dates with their offset and 5.1 /Date(ms)/ dates as the same kind of instant', async () => {
    const ps7 = await replaySnapshot('ps7-capture', AT);
    expect(ps7.events.map((e) => e.time)).toEqual(['2026-11-28T08:15:01.987Z', '2026-11-28T08:15:02.123Z']);
    const vista = await replaySnapshot('vista-kms-client-oob-grace', AT);
    expect(vista.events.map((e) => e.time)).toEqual(['2026-11-29T08:00:04.000Z', '2026-11-29T08:00:05.000Z']);
  });
});
