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
