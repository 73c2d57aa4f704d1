/**
 * What the alert engine and the forecasts read: a plain, already-validated view of the fleet. The collector's state
 * is adapted to this with one thin function, so the rules stay pure and testable with hand-written fleets.
 * Every instant is milliseconds since the Unix epoch.
 */
import type { EventRecord, KmsServiceState, ProductState } from '../../shared/protocol.js';
import type { OsKind } from '../../shared/windows-product.js';
import type { DependentKind } from './kms-dependency.js';

export interface MachineView {
  machineId: string;
  hostname: string;
  /** DNS domain the machine queries for `_vlmcs._tcp` (its DNS suffix), or null when unknown. */
  dnsDomain: string | null;
  group: string;
  osKind: OsKind;
  cmid: string | null;
  products: ProductState[];
  kmsService?: KmsServiceState;
  lastReportAt: number;
  heartbeatIntervalMs: number;
  retired: boolean;
  /** Recent events of this machine, any order (rules sort what they need). */
  recentEvents: EventRecord[];
  /** The agent's clock minus the collector's, from its last report (see agent-time.ts); 0 when unknown. */
  agentClockOffsetMs?: number;
}

/** One 12290 seen on a KMS host: a client asked it for activation. */
export interface KmsRequestObservation {
  time: number;
  clientFqdn: string;
  cmid: string;
  /** The N-policy the client reported (25 client OS, 5 server OS). */
  nPolicy: number;
  hresult: number;
  /** The LicenseStatus the client reported in the request. */
  licenseStatus: number;
  /** The application asked for (its own count on the host); absent = Windows. */
  application?: 'windows' | 'office';
}

export interface KmsHostView {
  /** The host's id: its lower-case FQDN in the collector (any stable string in tests). */
  hostId: string;
  /**
   * `host` (default): its own agent reports it. `clients`: nobody runs an agent on it; `kmsService` holds only the count
   * its newest answer to a client carried and `requests` one entry per client seen asking it (its clients' 12288s), so
   * the window is a lower bound. Such views feed the forecast only, never the rules.
   */
  basis?: 'host' | 'clients';
  /** The machine whose agent reports this host's KMS service, or null. */
  machineId: string | null;
  hostname: string;
  dnsDomain: string | null;
  group: string;
  retired: boolean;
  kmsService: KmsServiceState;
  /** When the host's agent first reported: 12290s before this instant were never seen. */
  observedSince: number;
  /** KeyManagementServiceCurrentCount at `observedSince` (clients seen before the agent started); null if unknown. */
  seedCount: number | null;
  /** The 12290 requests seen since `observedSince` (at least the last 30 days plus one renewal interval). */
  requests: KmsRequestObservation[];
  /** Last 12293 / 12294 per DNS domain. */
  dnsPublishing: Array<{ domain: string; lastFailedAt: number | null; lastFailedHresult: number | null; lastSucceededAt: number | null }>;
  lastReportAt: number;
  /**
   * The newest 12291 / 12292 in the host's log while no later report has come from the host (the collector's state
   * drops it from the view once one has); null or absent when none.
   */
  serviceFailure?: { kind: 'init' | 'renewal-timer'; at: number; hresult: number } | null;
  /** The host agent's clock minus the collector's (see agent-time.ts); 0 when unknown. */
  agentClockOffsetMs?: number;
}

/**
 * Indexes the collector keeps so that rules and forecasts look only at the machines a question concerns, never the
 * whole fleet. Optional: a hand-written fleet (tests) has none, and the helpers then scan `machines`.
 */
export interface FleetIndex {
  machine(id: string): MachineView | undefined;
  /**
   * Live machines that may depend on a host of this name: every machine one of whose KMS client products (or whose
   * newest requests) names a host that is the same host (`sameHost`). A superset: callers apply their exact test.
   * `only`: machines of that kind among them (see `DependentKind`).
   */
  dependentCandidates(hostname: string, only?: DependentKind): Iterable<MachineView>;
  /** The host (canonical name) whose 12290 log last named this CMID, or null. */
  hostThatSaw(cmid: string): string | null;
  /** Machines known not to renew at `now`: retired, or silent for more than 3 heartbeats. */
  knownStopped(now: number): { cmids: Set<string>; hostnames: string[] };
  /** Live machines whose first Notification instant falls before `t`, or that are in Notification already. */
  expiringBefore(t: number): Iterable<MachineView>;
}

export interface FleetView {
  /**
   * The machines to evaluate. A hand-written fleet lists them all; the collector lists only the machines a change or
   * a deadline concerns and answers every other question through `index`.
   */
  machines: MachineView[];
  kmsHosts: KmsHostView[];
  index?: FleetIndex;
}

export type Severity = 'warning' | 'critical';
export const RULE_NAMES = [
  'ClientInNotification',
  'ClientUnlicensed',
  'GraceExpiring',
  'KmsRenewalOverdue',
  'KmsCountBelowThreshold',
  'KmsCountForecast',
  'KmsIdle',
  'KmsDnsPublishingFailed',
  'KmsServiceFailing',
  'ActivationFailing',
  'DuplicateClientMachineId',
  'RearmExhausted',
  'AgentStale',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

/** What an admin needs to act on an alert (the SCOM "knowledge" habit). */
export interface Knowledge {
  meaning: string;
  cause: string;
  action: string;
  /** The HRESULT behind the finding, decoded, when there is one. */
  hresult?: { code: string; text: string };
  /** slmgr / PowerShell commands an admin would run, in order. */
  commands: string[];
}

export interface AffectedMachine {
  machineId: string;
  hostname: string;
  /** Per-machine detail (product, time left, error…) shown in the incident's machine list. */
  detail: string;
}

/** One thing a rule found wrong at one instant. */
export interface Finding {
  rule: RuleName;
  severity: Severity;
  /** Stable identity while the condition lasts: rule plus subject (plus product when a rule is per product). */
  key: string;
  subject: { kind: 'machine' | 'kms-host' | 'cmid'; id: string; name: string };
  group: string;
  /** The KMS host (lower-case name) the affected clients depend on, when the finding concerns KMS clients. */
  kmsHost: string | null;
  machines: AffectedMachine[];
  summary: string;
  knowledge: Knowledge;
}
