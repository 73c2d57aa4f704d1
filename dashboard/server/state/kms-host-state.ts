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
   * The count the host returned in its newest answer to a client with an agent (12289), which client and when (event
   * time, ms): how a host nobody runs an agent on is known. Absent in states built before it existed.
   */
  readonly seenByClients?: ClientSeenCount | null;
  /** The newest 12291 / 12292 in the host's own log, and when the collector received it. */
  readonly serviceFailure?: KmsServiceFailure | null;
}

export interface ClientSeenCount {
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

/** One client in a host's window, from its newest 12290 on that host. */
export interface KmsClientEntry {
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
