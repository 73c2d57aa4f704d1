import { describe, expect, it } from 'vitest';
import { counter, normaliseEvents, normaliseSnapshot, type RawMachineState } from '../../agent/normalise.js';
import type { RawSoftwareLicensingProduct, RawSoftwareLicensingService } from '../../shared/wmi-shapes.js';

const AT = Date.parse('2026-11-29T10:00:00Z');
const WINDOWS = '55c92734-d682-4d71-983e-d6ec3f16059f';
const vistaHostProduct: RawSoftwareLicensingProduct = {
  ID: '7f2d911c-573d-4ad5-8ce8-72519386f77b',
  Name: 'Windows Server(R), ServerEnterprise edition',
  Description: 'Windows Operating System - Windows Server(R), VOLUME_KMS_B channel',
  ApplicationID: WINDOWS,
  PartialProductKey: 'DB6K7',
  LicenseStatus: 1,
  GracePeriodRemaining: 0,
  IsKeyManagementServiceMachine: 1,
};
const vistaHostService: RawSoftwareLicensingService = {
  Version: '6.0.6001.18000',
  ClientMachineID: '3b7cf3c2-5632-4b92-909d-3fb64afebede',
  IsKeyManagementServiceMachine: 1,
  KeyManagementServiceCurrentCount: 26,
  RequiredClientCount: 25,
  KeyManagementServiceListeningPort: 0,
  KeyManagementServiceTotalRequests: 900,
  KeyManagementServiceFailedRequests: 4294967295,
};
const os = { Caption: 'Microsoft Windows Server 2008 Enterprise ', Version: '6.0.6001', ProductType: 3, CSName: 'KMS01' };
const state = (products: RawSoftwareLicensingProduct[], service: RawSoftwareLicensingService): RawMachineState => ({ products, service, os });
const id = { machineId: 'm-1', group: 'datacenter' };

const OFFICE = '0ff1ce15-a989-479d-af46-f275c6370663';
const gvlkClient: RawSoftwareLicensingProduct = {
  ID: '73111121-5638-40f6-bc11-f1d7b0d64300',
  Name: 'Windows(R), Enterprise edition',
  Description: 'Windows(R) Operating System, VOLUME_KMSCLIENT channel',
  ApplicationID: WINDOWS,
  PartialProductKey: '2YT43',
  LicenseStatus: 1,
  GracePeriodRemaining: 259200,
  ProductKeyChannel: 'Volume:GVLK',
  DiscoveredKeyManagementServiceMachineName: 'kms01.contoso.com',
};
const clientService: RawSoftwareLicensingService = { Version: '10.0.26100.1', ClientMachineID: 'c' };

describe('normalise: Win8+ activation type, AD-based activation, per-application KMS counts', () => {
  it('gives a GVLK product activated by an AD activation object the ad-based channel and no KMS host', () => {
    const ad = { ...gvlkClient, VLActivationType: 1, ADActivationObjectName: ' VA-Win-2025 ', ADActivationObjectDN: 'CN=VA-Win-2025,CN=Activation Objects' };
    const p = normaliseSnapshot(state([ad], clientService), id, AT).products[0]!;
    expect(p).toMatchObject({ channel: 'ad-based', kmsHost: null, vlActivationType: 1, adActivation: { objectName: 'VA-Win-2025', objectDn: 'CN=VA-Win-2025,CN=Activation Objects' } });
  });

  it.each([
    ['activated by KMS (type 2)', { VLActivationType: 2 }],
    ['type 1 but no object named', { VLActivationType: 1, ADActivationObjectName: '' }],
    ['an object named but activated by KMS', { VLActivationType: 2, ADActivationObjectName: 'VA-Win-2025' }],
  ])('keeps a GVLK product %s a KMS client with its host', (_what, over) => {
    const p = normaliseSnapshot(state([{ ...gvlkClient, ...over }], clientService), id, AT).products[0]!;
    expect(p.channel).toBe('kms-client');
    expect(p.kmsHost).toEqual({ name: 'kms01.contoso.com', port: 1688, source: 'dns' });
    expect(p.adActivation).toBeNull();
  });

  it('sends no activation type fields for a product whose Windows does not report them (Vista / 7, old captures)', () => {
    const p = normaliseSnapshot(state([gvlkClient], clientService), id, AT).products[0]!;
    expect('vlActivationType' in p).toBe(false);
    expect('adActivation' in p).toBe(false);
  });

  const hostProduct = (over: Partial<RawSoftwareLicensingProduct>): RawSoftwareLicensingProduct => ({
    ...gvlkClient,
    Description: 'Windows(R) Operating System, VOLUME_KMS_WS22 channel',
    ProductKeyChannel: 'Volume:CSVLK',
    IsKeyManagementServiceMachine: 1,
    DiscoveredKeyManagementServiceMachineName: null,
    ...over,
  });

  it('reports each KMS host product’s count against its own threshold, Windows first; the top level stays Windows’', () => {
    const win = hostProduct({ ID: 'w', Name: 'Windows(R), ServerStandard edition', KeyManagementServiceCurrentCount: 12, RequiredClientCount: 25 });
    const off = hostProduct({ ID: 'o', Name: 'Office 24, Office24KMSHostVL_KMS_Host edition', ApplicationID: OFFICE, KeyManagementServiceCurrentCount: 4, RequiredClientCount: 5 });
    const s = normaliseSnapshot(state([off, win], { ...clientService, IsKeyManagementServiceMachine: 1, VawatchServiceRunning: false, VawatchKmsListening: null }), id, AT);
    expect(s.kmsService).toMatchObject({ currentCount: 12, requiredClientCount: 25, serviceRunning: false });
    expect(s.kmsService?.applications).toEqual([
      { applicationId: WINDOWS, name: 'Windows(R), ServerStandard edition', currentCount: 12, requiredClientCount: 25 },
      { applicationId: OFFICE, name: 'Office 24, Office24KMSHostVL_KMS_Host edition', currentCount: 4, requiredClientCount: 5 },
    ]);
    // "Could not tell" is left out rather than sent as false.
    expect('listening' in s.kmsService!).toBe(false);
  });

  it('takes an Office-only host’s top-level counters from the service, and its Office count from the product', () => {
    const off = hostProduct({ ID: 'o', Name: 'Office 21, Office21KMSHostVL_KMS_Host edition', ApplicationID: OFFICE, KeyManagementServiceCurrentCount: 5, RequiredClientCount: 5 });
    const s = normaliseSnapshot(state([gvlkClient, off], { ...clientService, KeyManagementServiceCurrentCount: 4294967295, VawatchKmsListening: true }), id, AT);
    expect(s.kmsService).toMatchObject({ currentCount: null, listening: true });
    expect(s.kmsService?.applications).toEqual([{ applicationId: OFFICE, name: 'Office 21, Office21KMSHostVL_KMS_Host edition', currentCount: 5, requiredClientCount: 5 }]);
  });
});

describe('normalise', () => {
  it('takes a Vista / 2008 host’s counters from the service class, where they live on that generation', () => {
    const s = normaliseSnapshot(state([vistaHostProduct], vistaHostService), id, AT);
    expect(s.kmsService).toMatchObject({ currentCount: 26, requiredClientCount: 25, listeningPort: 1688, dnsPublishing: true, lowPriority: false });
    expect(s.kmsService?.requests).toMatchObject({ total: 900, failed: null });
  });

  it('prefers the host product’s counters on Win7 and later', () => {
    const s = normaliseSnapshot(state([{ ...vistaHostProduct, KeyManagementServiceCurrentCount: 50, RequiredClientCount: 25 }], vistaHostService), id, AT);
    expect(s.kmsService?.currentCount).toBe(50);
  });

  it('has no kmsService on a machine that is not a host', () => {
    const s = normaliseSnapshot(state([{ ...vistaHostProduct, IsKeyManagementServiceMachine: 0, Description: 'x, VOLUME_KMSCLIENT channel' }], { ...vistaHostService, IsKeyManagementServiceMachine: 0 }), id, AT);
    expect(s.kmsService).toBeUndefined();
  });

  it('uses the service-wide /skms override when the product has none, and port 0 means 1688', () => {
    const client = { ...vistaHostProduct, Description: 'Windows Operating System - Vista, VOLUME_KMSCLIENT channel', IsKeyManagementServiceMachine: 0 };
    const s = normaliseSnapshot(state([client], { Version: '6.0.6001.18000', ClientMachineID: 'c', KeyManagementServiceMachine: 'kms02.contoso.com', KeyManagementServicePort: 0 }), id, AT);
    expect(s.products[0]?.kmsHost).toEqual({ name: 'kms02.contoso.com', port: 1688, source: 'registry' });
  });

  it('puts the primary product first, whatever order WMI listed them in', () => {
    const office = { ...vistaHostProduct, ID: 'o', Name: 'A Office', ApplicationID: '0ff1ce15-a989-479d-af46-f275c6370663', IsKeyManagementServiceMachine: 0 };
    const s = normaliseSnapshot(state([office, vistaHostProduct], vistaHostService), { ...id, hostname: 'kms01.contoso.com' }, AT);
    expect(s.products.map((p) => [p.activationId, p.primary])).toEqual([
      [vistaHostProduct.ID, true],
      ['o', false],
    ]);
    expect(s.hostname).toBe('kms01.contoso.com');
    expect(s.os.caption).toBe('Microsoft Windows Server 2008 Enterprise');
  });

  it('leaves out a product whose LicenseStatus Windows does not define, and reports the rest', () => {
    const odd = { ...vistaHostProduct, ID: 'odd', IsKeyManagementServiceMachine: 0, LicenseStatus: 7 };
    const s = normaliseSnapshot(state([vistaHostProduct, odd], vistaHostService), id, AT);
    expect(s.products.map((p) => p.activationId)).toEqual([vistaHostProduct.ID]);
  });

  it.each<[number | null | undefined, number | null]>([
    [4294967295, null],
    [null, null],
    [undefined, null],
    [0, 0],
    [1001, 1001],
  ])('counter %j → %j', (raw, want) => {
    expect(counter(raw)).toBe(want);
  });

  it('orders events oldest first and keeps an unreadable record as unparsed', () => {
    const events = normaliseEvents([
      { Id: 12294, RecordId: 3, LogName: 'Application', ProviderName: 'Microsoft-Windows-Security-SPP', TimeCreated: '2026-11-29T03:00:00.000Z', Properties: [{ Value: 'contoso.com' }] },
      { Id: 12288, RecordId: 2, LogName: 'Application', ProviderName: 'Microsoft-Windows-Security-SPP', TimeCreated: '2026-11-29T02:00:00.000Z', Properties: [{ Value: 'garbage' }] },
    ]);
    expect(events.map((e) => [e.recordId, e.payload.kind])).toEqual([
      [2, 'unparsed'],
      [3, 'dns-publish-succeeded'],
    ]);
  });
});
