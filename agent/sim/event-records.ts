/**
 * The event records a simulated machine writes, kept compact while the simulation runs and turned into the raw
 * `Get-WinEvent` shape (shared/wmi-shapes.ts RawEventRecord) only when someone reads them. The field layouts are the
 * ones agreed with the agent and the shared parsers (reference section 2.2).
 */
import type { RawEventRecord } from '../../shared/wmi-shapes.js';

/** Event ids the simulator writes. */
export const EVENT = {
  /** Client: an activation request was sent (one comma-separated string). */
  KMS_REQUEST_SENT: 12288,
  /** Client: an activation response was processed (one comma-separated string). */
  KMS_RESPONSE_PROCESSED: 12289,
  /** Host (Key Management Service log): an activation request was processed (separate data items). */
  KMS_REQUEST_PROCESSED: 12290,
  /** Host: publishing the SRV record failed. */
  DNS_PUBLISH_FAILED: 12293,
  /** Host: publishing the SRV record succeeded. */
  DNS_PUBLISH_SUCCEEDED: 12294,
  /** Activation (slui.exe) failed with an error code. */
  ACTIVATION_FAILED: 8198,
} as const;

/** HRESULTs the simulator uses (reference sections 1.4 and 3). */
export const HR = {
  OK: 0,
  /** No KMS could be contacted: every host the client tried failed to answer. */
  NO_KMS_CONTACTED: 0xc004f074,
  /** The KMS did not answer: TCP 1688 blocked or the service not listening. */
  KMS_NOT_ANSWERING: 0xc004f039,
  /** DNS name does not exist: no `_vlmcs._tcp` SRV record in the client's domain. */
  DNS_NAME_DOES_NOT_EXIST: 0x8007232b,
  /** DNS server failure: what a host meets when the zone refuses its SRV registration (12293). */
  DNS_SERVER_FAILURE: 0x8007232a,
  /** Request timestamp invalid: client and host clocks differ by more than 4 hours. */
  TIMESTAMP_INVALID: 0xc004f06c,
  /** Grace period expired: Notification after an initial grace ran out unactivated. */
  GRACE_EXPIRED: 0xc004f009,
  /** Hardware out of tolerance: for a KMS client in Notification, its KMS activation expired. */
  OUT_OF_TOLERANCE: 0xc004f00f,
  /** Rearm limit exceeded. */
  REARM_LIMIT: 0xc004d307,
  /** SL_I_OOB_GRACE_PERIOD: the reason Windows gives while the initial grace runs. */
  IN_OOB_GRACE: 0x4004f00c,
  /** SL_I_OOT_GRACE_PERIOD: the reason Windows gives while the out-of-tolerance grace runs. */
  IN_OOT_GRACE: 0x4004f00d,
} as const;

/** Status flag of a 12289 whose count is below the client's N-policy (SL_VL_BINDING_STATUS_NOT_ENOUGH_COUNT). */
export const FLAG_NOT_ENOUGH_COUNT = 0x04000000;

/** A record as stored in a simulated log: raw values, formatted on read. */
export interface LoggedEvent {
  id: number;
  recordId: number;
  /** The writing machine's own clock (real logs stamp local time, skew included). */
  timeMs: number;
  provider: string;
  logName: string;
  data: readonly (string | number)[];
}

/** Windows prints an HRESULT in event text as `0x` and upper-case hex without padding (`0x0`, `0xC004F074`). */
export function hresultText(hr: number): string {
  return hr === 0 ? '0x0' : `0x${(hr >>> 0).toString(16).toUpperCase()}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The client time field of 12288 / 12289 / 12290: `yyyy/mm/dd hh:mm`, UTC. */
export function clientTimeText(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

/** The data of a 12288, in field order; formatted into its one string on read. */
export function requestSentData(f: {
  hresult: number;
  host: string;
  port: number;
  cmid: string;
  clientTimeMs: number;
  vm: boolean;
  licenseStatus: number;
  minutesToExpiry: number;
  activationId: string;
  nPolicy: number;
}): Array<string | number> {
  return [
    f.hresult,
    0,
    `${f.host}:${f.port}`,
    f.cmid,
    f.clientTimeMs,
    f.vm ? 1 : 0,
    f.licenseStatus,
    f.minutesToExpiry,
    f.activationId,
    f.nPolicy,
  ];
}

/** The data of a 12289, in field order. */
export function responseProcessedData(f: {
  hresult: number;
  statusFlags: number;
  activated: boolean;
  currentCount: number;
  activationIntervalMinutes: number;
  renewalIntervalMinutes: number;
  clientTimeMs: number;
}): Array<string | number> {
  return [
    f.hresult,
    f.statusFlags,
    f.activated ? 1 : 0,
    0,
    f.currentCount,
    f.activationIntervalMinutes,
    f.renewalIntervalMinutes,
    f.clientTimeMs,
  ];
}

/** The data of a 12290, items [1..9] (item [0] is added on read). */
export function requestProcessedData(f: {
  hresult: number;
  nPolicy: number;
  clientFqdn: string;
  cmid: string;
  clientTimeMs: number;
  vm: boolean;
  licenseStatus: number;
  minutesToExpiry: number;
  activationId: string;
}): Array<string | number> {
  return [
    f.hresult,
    f.nPolicy,
    f.clientFqdn,
    f.cmid,
    f.clientTimeMs,
    f.vm ? 1 : 0,
    f.licenseStatus,
    f.minutesToExpiry,
    f.activationId,
  ];
}

function num(v: string | number | undefined): number {
  return typeof v === 'number' ? v : Number(v ?? 0);
}

/** The `Properties` array `Get-WinEvent` would show. Classic events carry their inserts as strings. */
export function propertiesOf(e: LoggedEvent): Array<{ Value: unknown }> {
  const d = e.data;
  switch (e.id) {
    case EVENT.KMS_REQUEST_SENT: {
      const s = [
        hresultText(num(d[0])),
        `0x${num(d[1]).toString(16).toUpperCase().padStart(8, '0')}`,
        d[2],
        d[3],
        clientTimeText(num(d[4])),
        d[5],
        d[6],
        d[7],
        d[8],
        d[9],
      ].join(', ');
      return [{ Value: s }];
    }
    case EVENT.KMS_RESPONSE_PROCESSED: {
      const s = [
        hresultText(num(d[0])),
        hresultText(num(d[1])),
        d[2],
        d[3],
        d[4],
        d[5],
        d[6],
        clientTimeText(num(d[7])),
      ].join(', ');
      return [{ Value: s }];
    }
    case EVENT.KMS_REQUEST_PROCESSED:
      // Item [0]'s content is unverified (reference 2.2); the agreed layout has it empty.
      return [
        { Value: '' },
        { Value: hresultText(num(d[0])) },
        { Value: String(d[1]) },
        { Value: String(d[2]) },
        { Value: String(d[3]) },
        { Value: clientTimeText(num(d[4])) },
        { Value: String(d[5]) },
        { Value: String(d[6]) },
        { Value: String(d[7]) },
        { Value: String(d[8]) },
      ];
    case EVENT.DNS_PUBLISH_FAILED:
      return [{ Value: hresultText(num(d[0])) }, { Value: String(d[1]) }];
    case EVENT.ACTIVATION_FAILED:
      return [{ Value: `hr=${hresultText(num(d[0]))}` }, { Value: String(d[1] ?? '') }];
    default:
      return d.map((v) => ({ Value: String(v) }));
  }
}

/** The raw record, exactly as the `cim` source hands it over. */
export function toRawEventRecord(e: LoggedEvent): RawEventRecord {
  return {
    Id: e.id,
    RecordId: e.recordId,
    LogName: e.logName,
    ProviderName: e.provider,
    TimeCreated: new Date(e.timeMs).toISOString(),
    Properties: propertiesOf(e),
  };
}
