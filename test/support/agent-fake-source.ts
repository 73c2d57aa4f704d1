import type { EventLogRead, LicensingSource } from '../../agent/sources/licensing-source.js';
import type {
  RawEventRecord,
  RawOperatingSystem,
  RawSoftwareLicensingProduct,
  RawSoftwareLicensingService,
} from '../../shared/wmi-shapes.js';

/** A licensing source a test edits between polls: one KMS client product, logs as lists of records. */
export class FakeLicensingSource implements LicensingSource {
  readonly kind = 'replay' as const;
  product: RawSoftwareLicensingProduct = {
    ID: 'ae2ee509-1b34-41c0-acb7-6d4650168915',
    Name: 'Windows(R) 7, Enterprise edition',
    Description: 'Windows Operating System - Windows(R) 7, VOLUME_KMSCLIENT channel',
    ApplicationID: '55c92734-d682-4d71-983e-d6ec3f16059f',
    PartialProductKey: 'RHTBY',
    LicenseStatus: 1,
    LicenseStatusReason: 0,
    GracePeriodRemaining: 259200,
    LicenseIsAddon: false,
    DiscoveredKeyManagementServiceMachineName: 'kms01.contoso.com',
    DiscoveredKeyManagementServiceMachinePort: 1688,
  };
  service: RawSoftwareLicensingService = { Version: '6.1.7601.17514', ClientMachineID: '5d1c1a7f-19e2-4a0c-9c53-6c3a0e1f7b22', RemainingWindowsReArmCount: 3 };
  os: RawOperatingSystem = { Caption: 'Microsoft Windows 7 Enterprise', Version: '6.1.7601', ProductType: 1, CSName: 'WS-0042' };
  logs = new Map<string, RawEventRecord[]>([['Application', []]]);
  #next = new Map<string, number>();

  /** Appends a 12288 record to a log with the next record id; returns that id. */
  addEvent(log = 'Application', timeIso = '2026-11-29T10:00:00Z'): number {
    const id = (this.#next.get(log) ?? 0) + 1;
    this.#next.set(log, id);
    const list = this.logs.get(log) ?? [];
    list.push({
      Id: 12288,
      RecordId: id,
      LogName: log,
      ProviderName: 'Microsoft-Windows-Security-SPP',
      TimeCreated: timeIso,
      Properties: [{ Value: `0x0, 0x0, kms01.contoso.com:1688, ${this.service.ClientMachineID}, 2026/11/29 10:00, 0, 1, 259200, ${this.product.ID}, 25` }],
    });
    this.logs.set(log, list);
    return id;
  }

  /** Empties a log and restarts its record ids, as clearing a Windows event log does. */
  clear(log = 'Application'): void {
    this.logs.set(log, []);
    this.#next.set(log, 0);
  }

  async readProducts() {
    return [{ ...this.product }];
  }
  async readService() {
    return { ...this.service };
  }
  async readOs() {
    return { ...this.os };
  }
  async readEvents(log: string, afterRecordId: number): Promise<EventLogRead> {
    const list = this.logs.get(log);
    if (!list) return { logExists: false, records: [] };
    const newest = list.length ? list[list.length - 1]!.RecordId : null;
    return { logExists: true, records: list.filter((r) => r.RecordId > afterRecordId).reverse(), newestRecordId: newest };
  }
  async stableMachineId() {
    return 'machine-0042';
  }
}
