/**
 * The event records a simulated machine writes, stored as a few numbers while the simulation runs and turned into the raw
 * `Get-WinEvent` shape (shared/wmi-shapes.ts RawEventRecord) only when someone reads them. The field layouts are the
 * ones agreed with the agent and the shared parsers (reference section 2.2).
 */
import { KMS_RENEWAL_INTERVAL_MINUTES, KMS_RETRY_INTERVAL_MINUTES } from '../../shared/kms-rules.js';
import type { RawEventRecord } from '../../shared/wmi-shapes.js';

/** Event ids the simulator writes. */
export const EVENT = {
  /** Client: an activation request was sent (one comma-separated string). */
  KMS_REQUEST_SENT: 12288,
  /** Client: an activation response was processed (one comma-separated string). */
  KMS_RESPONSE_PROCESSED: 12289,
  /** Host (Key Management Service log): an activation request was processed (separate data items). */
  KMS_REQUEST_PROCESSED: 12290,
  /** Host: the Key Management Service failed to initialize. */
  KMS_INIT_FAILURE: 12291,
  /** Host: the Key Management Service failed to initialize its renewal timer. */
  KMS_RENEWAL_TIMER_FAILURE: 12292,
  /** Host: publishing the SRV record failed. */
  DNS_PUBLISH_FAILED: 12293,
  /** Host: publishing the SRV record succeeded. */
  DNS_PUBLISH_SUCCEEDED: 12294,
  /** Client: a product was activated by an Active Directory activation object. */
  AD_ACTIVATION: 12308,
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
  /** The KMS host cannot activate this product (no host key for its application, or too old a host key). */
  PRODUCT_NOT_SUPPORTED: 0xc004f042,
  /** RPC server unavailable: nothing listens on the KMS port (service stopped, or it failed to initialize). */
  RPC_UNAVAILABLE: 0x800706ba,
  /** Access denied: what the simulator's KMS service failures (12291 / 12292) carry by default. */
  ACCESS_DENIED: 0x80070005,
  /** Rearm limit exceeded. */
  REARM_LIMIT: 0xc004d307,
  /** SL_I_OOB_GRACE_PERIOD: the reason Windows gives while the initial grace runs. */
  IN_OOB_GRACE: 0x4004f00c,
  /** SL_I_OOT_GRACE_PERIOD: the reason Windows gives while the out-of-tolerance grace runs. */
  IN_OOT_GRACE: 0x4004f00d,
} as const;

/** Status flag of a 12289 whose count is below the client's N-policy (SL_VL_BINDING_STATUS_NOT_ENOUGH_COUNT). */
export const FLAG_NOT_ENOUGH_COUNT = 0x04000000;

/**
 * Who sent a KMS request: the fields of 12288 / 12290 that stay the same from one request to the next. A machine keeps
 * one and replaces it when its CMID changes, so a million stored records share a few thousand of these.
 */
export interface ClientIdentity {
  fqdn: string;
  cmid: string;
  activationId: string;
  vm: boolean;
  nPolicy: number;
  /** Which count on the host the request goes to: Windows' or Office's. */
  application: 'windows' | 'office';
  /** Office's release (2019, 2021, 2024): a host's Office key activates its own release and older. */
  officeRelease?: number;
}

/** What a 12308 names: the activated SKU and the Active Directory activation object. */
export interface AdActivationRecord {
  activationId: string;
  objectName: string;
  objectDn: string;
}

/**
 * One stored record, unpacked: four numbers and two references whose meaning depends on the event id.
 * 12288: n1 hresult, n2 LicenseStatus, n3 minutes to expiry, n4 port, a ClientIdentity, b host name.
 * 12289: n1 hresult, n2 status flags, n3 activated (1/0), n4 current count.
 * 12290: n1 hresult, n2 LicenseStatus, n3 minutes to expiry, n4 client time (ms), a ClientIdentity.
 * 12293: n1 hresult, a domain.   12294: a domain.   8198: n1 hresult, a command line.
 * 12291 / 12292: n1 hresult.   12308: a AdActivationRecord.
 */
export interface StoredEvent {
  id: number;
  recordId: number;
  /** The writing machine's own clock (real logs stamp local time, skew included); also the client time of 12288/12289. */
  timeMs: number;
  n1: number;
  n2: number;
  n3: number;
  n4: number;
  a: unknown;
  b: unknown;
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

/** The `Properties` array `Get-WinEvent` would show. Classic events carry their inserts as strings. */
export function propertiesOf(e: StoredEvent): Array<{ Value: unknown }> {
  switch (e.id) {
    case EVENT.KMS_REQUEST_SENT: {
      const c = e.a as ClientIdentity;
      const s = [
        hresultText(e.n1),
        `0x${(0).toString(16).padStart(8, '0')}`,
        `${String(e.b)}:${e.n4}`,
        c.cmid,
        clientTimeText(e.timeMs),
        c.vm ? 1 : 0,
        e.n2,
        e.n3,
        c.activationId,
        c.nPolicy,
      ].join(', ');
      return [{ Value: s }];
    }
    case EVENT.KMS_RESPONSE_PROCESSED: {
      const s = [
        hresultText(e.n1),
        hresultText(e.n2),
        e.n3,
        0,
        e.n4,
        KMS_RETRY_INTERVAL_MINUTES,
        KMS_RENEWAL_INTERVAL_MINUTES,
        clientTimeText(e.timeMs),
      ].join(', ');
      return [{ Value: s }];
    }
    case EVENT.KMS_REQUEST_PROCESSED: {
      const c = e.a as ClientIdentity;
      // Item [0]'s content is unverified (reference 2.2); the agreed layout has it empty.
      return [
        '',
        hresultText(e.n1),
        String(c.nPolicy),
        c.fqdn,
        c.cmid,
        clientTimeText(e.n4),
        c.vm ? '1' : '0',
        String(e.n2),
        String(e.n3),
        c.activationId,
      ].map((Value) => ({ Value }));
    }
    case EVENT.DNS_PUBLISH_FAILED:
      return [{ Value: hresultText(e.n1) }, { Value: String(e.a) }];
    case EVENT.DNS_PUBLISH_SUCCEEDED:
      return [{ Value: String(e.a) }];
    case EVENT.KMS_INIT_FAILURE:
    case EVENT.KMS_RENEWAL_TIMER_FAILURE:
      return [{ Value: hresultText(e.n1) }];
    case EVENT.AD_ACTIVATION: {
      const r = e.a as AdActivationRecord;
      return [{ Value: r.activationId }, { Value: r.objectName }, { Value: r.objectDn }];
    }
    case EVENT.ACTIVATION_FAILED:
      return [{ Value: `hr=${hresultText(e.n1)}` }, { Value: String(e.a ?? '') }];
    default:
      return [];
  }
}

/** The raw record, exactly as the `cim` source hands it over. */
export function toRawEventRecord(e: StoredEvent, logName: string, provider: string): RawEventRecord {
  return {
    Id: e.id,
    RecordId: e.recordId,
    LogName: logName,
    ProviderName: provider,
    TimeCreated: new Date(e.timeMs).toISOString(),
    Properties: propertiesOf(e),
  };
}
