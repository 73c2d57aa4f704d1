/** Builders for the shared/ tests: raw `Get-WinEvent` records and valid protocol messages to vary one field at a time. */
import type { RawEventRecord } from '../../shared/wmi-shapes.js';
import type { MachineSnapshot, ProductState, Report } from '../../shared/protocol.js';

export const T0_ISO = '2026-11-29T10:00:00.000Z';

/** A raw record with the given id and property values; the envelope can be overridden. */
export function rawEvent(id: number, values: unknown[], envelope: Partial<RawEventRecord> = {}): RawEventRecord {
  return {
    Id: id,
    RecordId: 4711,
    LogName: id === 12290 ? 'Key Management Service' : 'Application',
    ProviderName: 'Microsoft-Windows-Security-SPP',
    TimeCreated: T0_ISO,
    Properties: values.map((Value) => ({ Value })),
    ...envelope,
  };
}

export function validProduct(over: Partial<ProductState> = {}): ProductState {
  return {
    activationId: 'b92e9980-b9d5-4821-9c94-140f632f6312',
    applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
    name: 'Windows(R), Enterprise edition',
    description: 'Windows(R) Operating System, VOLUME_KMSCLIENT channel',
    channel: 'kms-client',
    primary: true,
    licenseStatus: 1,
    licenseStatusReason: 0,
    graceExpiresAt: '2027-05-28T10:00:00.000Z',
    partialProductKey: 'XXXXX',
    kmsHost: { name: 'kms01.contoso.com', port: 1688, source: 'dns' },
    rearmsRemaining: 3,
    renewalIntervalMinutes: 10080,
    activationIntervalMinutes: 120,
    ...over,
  };
}

export function validSnapshot(over: Partial<MachineSnapshot> = {}): MachineSnapshot {
  return {
    machineId: 'machine-0001',
    hostname: 'pc0001.contoso.com',
    group: 'hq',
    os: { caption: 'Microsoft Windows Vista Enterprise', version: '6.0.6001', kind: 'client' },
    cmid: '36f27b39-0b4a-4d8b-a8b8-8d0e9a1e2f3c',
    products: [validProduct()],
    collectedAt: T0_ISO,
    ...over,
  };
}

export function validKmsService() {
  return {
    currentCount: 27,
    requiredClientCount: 25,
    listeningPort: 1688,
    dnsPublishing: true,
    lowPriority: false,
    requests: { total: 826, failed: 3, unlicensed: 0, licensed: 700, oobGrace: 123, ootGrace: 0, nonGenuineGrace: 0, notification: 0 },
  };
}

export function validReport(over: Partial<Report> = {}): Report {
  return { protocol: 1, agentId: 'agent-0001', epoch: 1, seq: 1, sentAt: T0_ISO, snapshot: validSnapshot(), ...over };
}
