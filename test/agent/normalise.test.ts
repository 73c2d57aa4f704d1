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
