/** Builders of hand-made fleets for the alert and forecast tests: every field explicit, every instant fixed. */
import type { FleetView, KmsHostView, KmsRequestObservation, MachineView } from '../../dashboard/alerts/model.js';
import type { EventPayload, EventRecord, KmsServiceState, ProductState } from '../../shared/protocol.js';
import { MS, WINDOWS_APPLICATION_ID } from '../../shared/kms-rules.js';

export const DAY = MS.DAY;
export const HOUR = MS.HOUR;
/** The "now" of most tests. */
export const NOW = Date.parse('2026-06-01T12:00:00Z');

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function product(over: Partial<ProductState> = {}): ProductState {
  return {
    activationId: 'a1b2c3d4-0000-0000-0000-000000000001',
    applicationId: WINDOWS_APPLICATION_ID,
    name: 'Windows(R), Enterprise edition',
    description: 'Windows(R) Operating System, VOLUME_KMSCLIENT channel',
    channel: 'kms-client',
    primary: true,
    licenseStatus: 1,
    licenseStatusReason: 0,
    graceExpiresAt: iso(NOW + 175 * DAY),
    partialProductKey: 'MH37W',
    kmsHost: { name: 'kms01.corp.example', port: 1688, source: 'dns' },
    rearmsRemaining: 1001,
    renewalIntervalMinutes: 10080,
    activationIntervalMinutes: 120,
    ...over,
  };
}

export function kmsService(over: Partial<KmsServiceState> = {}): KmsServiceState {
  return {
    currentCount: 40,
    requiredClientCount: 25,
    listeningPort: 1688,
    dnsPublishing: true,
    lowPriority: false,
    requests: { total: 100, failed: 0, unlicensed: 0, licensed: 100, oobGrace: 0, ootGrace: 0, nonGenuineGrace: 0, notification: 0 },
    ...over,
  };
}

let n = 0;
export function machine(over: Partial<MachineView> = {}): MachineView {
  n++;
  const hostname = over.hostname ?? `ws${String(n).padStart(3, '0')}.corp.example`;
  return {
    machineId: over.machineId ?? `m-${hostname}`,
    hostname,
    dnsDomain: 'corp.example',
    group: 'hq',
    osKind: 'client',
    cmid: `cmid-${hostname}`,
    products: [product()],
    lastReportAt: NOW - 10 * MS.MINUTE,
    heartbeatIntervalMs: HOUR,
    retired: false,
    recentEvents: [],
    ...over,
  };
}

export function kmsHost(over: Partial<KmsHostView> = {}): KmsHostView {
  const hostname = over.hostname ?? 'kms01.corp.example';
  return {
    hostId: `m-${hostname}`,
    machineId: `m-${hostname}`,
    hostname,
    dnsDomain: 'corp.example',
    group: 'hq',
    retired: false,
    kmsService: kmsService(),
    observedSince: NOW - 90 * DAY,
    seedCount: null,
    requests: [],
    dnsPublishing: [],
    lastReportAt: NOW - 10 * MS.MINUTE,
    ...over,
  };
}

/** A 12290 from `client` at `time`. */
export function request(client: string, time: number, over: Partial<KmsRequestObservation> = {}): KmsRequestObservation {
  return { time, clientFqdn: client, cmid: `cmid-${client}`, nPolicy: 25, hresult: 0, licenseStatus: 1, ...over };
}

export function fleet(machines: MachineView[], kmsHosts: KmsHostView[] = []): FleetView {
  return { machines, kmsHosts };
}

let record = 0;
export function event(id: number, time: number, payload: EventPayload): EventRecord {
  return { log: id === 12290 ? 'Key Management Service' : 'Application', provider: 'Microsoft-Windows-Security-SPP', id, recordId: ++record, time: iso(time), payload };
}

export function activationRequest(time: number, hresult = 0, kmsHost: string | null = 'kms01.corp.example'): EventRecord {
  return event(12288, time, {
    kind: 'activation-request',
    hresult,
    statusFlags: 0,
    kmsHost,
    kmsPort: kmsHost ? 1688 : null,
    cmid: 'cmid',
    clientTime: '2026/06/01 12:00',
    vmFlag: 0,
    licenseStatus: 1,
    minutesToExpiry: 200000,
    activationId: 'a1',
    nPolicy: 25,
  });
}

export function activationResponse(time: number, over: { hresult?: number; activated?: boolean; notEnoughCount?: boolean } = {}): EventRecord {
  return event(12289, time, {
    kind: 'activation-response',
    hresult: over.hresult ?? 0,
    statusFlags: over.notEnoughCount ? 0x04000000 : 0,
    activated: over.activated ?? true,
    currentCount: 30,
    activationIntervalMinutes: 120,
    renewalIntervalMinutes: 10080,
    clientTime: '2026/06/01 12:00',
    notEnoughCount: over.notEnoughCount ?? false,
  });
}

export function activationFailed(time: number, hresult: number): EventRecord {
  return event(8198, time, { kind: 'activation-failed', hresult, commandLine: 'slui.exe RuleId=…' });
}
