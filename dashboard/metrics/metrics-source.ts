import type { CountedAs } from './metrics-exporter.js';

/**
 * The narrow view of the collector the metrics read. `fleet-state-source.ts` adapts the collector's FleetState (and the
 * alert engine, when present) to it; tests build it by hand. Every instant is milliseconds since the Unix epoch.
 */

/** One licensing product of a machine, as far as metrics care. */
export interface ProductFacts {
  readonly name: string;
  readonly channel: string;
  readonly licenseStatus: number;
  /** End of the current period (grace, or a KMS client's 180-day validity), or null when none. */
  readonly graceExpiresAt: number | null;
  readonly primary: boolean;
}

/** One live (not retired) machine. */
export interface MachineFacts {
  readonly machineId: string;
  readonly hostname: string;
  readonly group: string;
  /** The primary Windows product's LicenseStatus and channel, or null without one. */
  readonly status: number | null;
  readonly channel: string | null;
  readonly products: readonly ProductFacts[];
  /** When the newest report was received (collector clock), or null before the first. */
  readonly lastReportAt: number | null;
}

/** One KMS host, known from its own agent or because clients name it. */
export interface KmsHostFacts {
  /** Lower-case FQDN: the `kms_host` label. */
  readonly id: string;
  /** KeyManagementServiceCurrentCount, or null when no agent reports it (or Windows gave the "no data" sentinel). */
  readonly currentCount: number | null;
  /**
   * Machines that depend on this host, by OS kind: those whose KMS client product names it, or (when more) the clients
   * in its 30-day window by the N-policy they asked with (25 client OS, 5 server OS); unactivated clients often do not
   * report the host they asked.
   */
  readonly clientOsDependents: number;
  readonly serverOsDependents: number;
  /** When the count is forecast to fall below 25 / 5 if no new client arrives; null when not within the horizon. */
  readonly forecastBelow25At: number | null;
  readonly forecastBelow5At: number | null;
  /** When the host's Office count is forecast to fall below Office's 5 (null: not within the horizon, or no Office). */
  readonly officeForecastBelow5At?: number | null;
  /** Time of the newest activation request (12290) the host logged, or null. */
  readonly lastRequestAt: number | null;
  /**
   * Each application's count on the host against its own threshold (Windows 25 / 5, Office 5), from the host's own
   * report; absent = Windows alone, from `currentCount`. The `application` label takes only these two values.
   */
  readonly applications?: readonly KmsApplicationFacts[];
  /** `clients`: no agent runs on the host; its count is only known from its answers to clients (see clientSeenCounts). */
  readonly basis?: 'host' | 'clients';
  /** Per application, the count the host's newest answer to a client carried (12289) and when (ms); hosts without an agent. */
  readonly clientSeenCounts?: ReadonlyArray<{ readonly application: 'windows' | 'office'; readonly count: number; readonly at: number }>;
}

export interface KmsApplicationFacts {
  readonly application: 'windows' | 'office';
  readonly currentCount: number | null;
  readonly threshold: number;
}

/** Open alerts of the collector's alert engine, counted. */
export interface AlertTally {
  readonly rule: string;
  readonly severity: string;
  readonly state: string;
  readonly count: number;
}

export interface MetricsSource {
  /** Every live machine; iterated in the background, never inside a scrape. */
  machines(): Iterable<MachineFacts>;
  /**
   * What every live machine is counted under, for the recount at start (a million machines): the same figures as
   * `machines()` gives, without the per-product facts. Optional; `machines()` serves otherwise.
   */
  countedAs?(): Iterable<CountedAs>;
  /** How many live machines there are (decides whether per-machine series are exported). */
  machineCount(): number;
  /** Every known group, including those whose machines all retired (their series then read 0). */
  groups(): Iterable<string>;
  kmsHosts(): Iterable<KmsHostFacts>;
  alertTallies(): Iterable<AlertTally>;
  /** An agent silent longer than this counts as stale. */
  readonly staleAfterMs: number;
  /** Called at the start of each background refresh: recompute whatever is too costly for a scrape. */
  refresh?(now: number): void | Promise<void>;
}
