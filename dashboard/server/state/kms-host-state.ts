import type { KmsServiceState } from '../../../shared/protocol.js';

/**
 * A KMS host, keyed by lower-case FQDN. Known from its own agent (a snapshot with `kmsService`) or only because
 * clients name it as their KMS host. Immutable like MachineState; the client window lives beside it (see FleetState).
 */
export interface KmsHostState {
  readonly id: string;
  readonly hostname: string;
  /** The machine whose agent reports this host's service, or null. */
  readonly machineId: string | null;
  readonly kmsService: KmsServiceState | null;
  /** `collectedAt` of the snapshot that carried kmsService (ms). */
  readonly serviceCollectedAt: number | null;
  /** Time of the newest 12290 on this host (ms). */
  readonly lastRequestAt: number | null;
  /** A 12293 (DNS publishing failed) with no later 12294. */
  readonly dnsFailure: { readonly at: number; readonly hresult: number; readonly domain: string } | null;
  readonly lastDnsSuccessAt: number | null;
  readonly firstSeenAt: number;
  /**
   * Per application, the count the host returned in its newest answer to a client with an agent (12289), which client
   * and when (event time, ms): how a host nobody runs an agent on is known. Kept only while no agent reports the host.
   */
  readonly seenByClients?: readonly ClientSeenCount[] | null;
  /** The newest 12291 / 12292 in the host's own log, and when the collector received it. */
  readonly serviceFailure?: KmsServiceFailure | null;
}

/** One application's count as a client heard it from the host (an Office request is answered with the Office count). */
export interface ClientSeenCount {
  readonly application: 'windows' | 'office';
  readonly count: number;
  readonly at: number;
  readonly machineId: string;
}

export interface KmsServiceFailure {
  /** 12291: the KMS service failed to initialise; 12292: it failed to initialise its renewal timer. */
  readonly kind: 'init' | 'renewal-timer';
  readonly eventId: 12291 | 12292;
  readonly at: number;
  readonly hresult: number;
  /** Collector clock when the report carrying it arrived: a later report from the host can clear it. */
  readonly receivedAt: number;
}

/** One client in a host's window, from its newest 12290 on that host (or, for a host without an agent, its newest answered 12288). */
export interface KmsClientEntry {
  /** The window key: the CMID, prefixed `office:` for an Office request (see windowKeyOf). */
  readonly cmid: string;
  readonly clientFqdn: string;
  /** Event time of the newest request (ms). */
  readonly lastRequestAt: number;
  readonly licenseStatus: number;
  readonly hresult: number;
  readonly nPolicy: number;
  readonly isVm: boolean;
  readonly activationId: string;
  readonly minutesToExpiry: number;
  /** Requests seen from this CMID. */
  readonly requests: number;
}

/**
 * Office requests sit in a host's window beside Windows' under this key prefix: one machine's CMID asks for both, and
 * the host keeps each application's count apart (Windows 25 / 5, Office 5).
 */
export const OFFICE_WINDOW_KEY = 'office:';

/** The key of a window entry: the CMID for Windows, `office:` + the CMID for Office. */
export function windowKeyOf(cmid: string, application: 'windows' | 'office'): string {
  return application === 'office' ? OFFICE_WINDOW_KEY + cmid : cmid;
}

/** The application a window entry counts for. */
export function applicationOfEntry(c: Pick<KmsClientEntry, 'cmid'>): 'windows' | 'office' {
  return c.cmid.startsWith(OFFICE_WINDOW_KEY) ? 'office' : 'windows';
}

/** The client's CMID behind a window entry's key. */
export function cmidOfEntry(c: Pick<KmsClientEntry, 'cmid'>): string {
  return c.cmid.startsWith(OFFICE_WINDOW_KEY) ? c.cmid.slice(OFFICE_WINDOW_KEY.length) : c.cmid;
}
