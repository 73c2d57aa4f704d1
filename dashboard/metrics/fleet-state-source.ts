import { applicationOf, KMS_CLIENT_THRESHOLD, KMS_CLIENT_WINDOW_DAYS, KMS_SERVER_THRESHOLD, MS, OFFICE_KMS_THRESHOLD } from '../../shared/kms-rules.js';
import type { FleetState } from '../server/state/fleet-state.js';
import type { KmsHostState } from '../server/state/kms-host-state.js';
import type { MachineState } from '../server/state/machine-state.js';
import { notificationAt } from './expiry-projection.js';
import type { CountedAs } from './metrics-exporter.js';
import type { AlertTally, KmsApplicationFacts, KmsHostFacts, MachineFacts, MetricsSource } from './metrics-source.js';

/** What the alert engine can tell the metrics, when it is loaded. */
export interface AlertEngineView {
  alertTallies(): Iterable<AlertTally>;
  /** When the host's count falls below 25 / 5 if no new client arrives (ms), or null; undefined when unknown. */
  kmsForecast(kmsHostId: string): { below25At: number | null; below5At: number | null; officeBelow5At?: number | null } | undefined;
  /** Recomputes the forecasts (background refresh). */
  refresh?(now: number): void;
}

/** What a machine state is counted under (cheap: the ingest path calls it per change), or null when retired. */
export function countedAsOf(m: MachineState): CountedAs | null {
  if (m.retired) return null;
  const p = m.primary;
  return {
    group: m.group,
    status: p?.licenseStatus ?? null,
    channel: p?.channel ?? null,
    lastReportAt: m.lastReceivedAt ?? m.lastReportAt,
    notificationAt: p ? notificationAt({ licenseStatus: p.licenseStatus, channel: p.channel, graceExpiresAt: p.graceExpiresAt === null ? null : Date.parse(p.graceExpiresAt) }) : null,
  };
}

/** The facts of a machine state, or null for a retired one (it no longer counts anywhere). */
export function machineFactsOf(m: MachineState): MachineFacts | null {
  if (m.retired) return null;
  return {
    machineId: m.machineId,
    hostname: m.hostname,
    group: m.group,
    status: m.primary?.licenseStatus ?? null,
    channel: m.primary?.channel ?? null,
    products: (m.snapshot?.products ?? []).map((p) => ({
      name: p.name,
      channel: p.channel,
      licenseStatus: p.licenseStatus,
      graceExpiresAt: p.graceExpiresAt === null ? null : Date.parse(p.graceExpiresAt),
      primary: p.primary,
    })),
    // The collector's own clock: agents' clocks may be off, and staleness is judged here.
    lastReportAt: m.lastReceivedAt ?? m.lastReportAt,
  };
}

/** Adapts the collector's FleetState (and the alert engine, when given) to what the metrics read. */
export class FleetStateSource implements MetricsSource {
  readonly #state: FleetState;
  readonly #alerts: () => AlertEngineView | undefined;
  readonly staleAfterMs: number;
  /** Per KMS host: clients in its 30-day window by N-policy, from the last refresh. */
  #window = new Map<string, { client: number; server: number }>();

  constructor(state: FleetState, options: { staleAfterMs: number; alerts?: () => AlertEngineView | undefined }) {
    this.#state = state;
    this.staleAfterMs = options.staleAfterMs;
    this.#alerts = options.alerts ?? (() => undefined);
  }

  *machines(): Iterable<MachineFacts> {
    for (const m of this.#state.machines()) {
      const f = machineFactsOf(m);
      if (f) yield f;
    }
  }

  *countedAs(): Iterable<CountedAs> {
    for (const m of this.#state.machines()) {
      const c = countedAsOf(m);
      if (c) yield c;
    }
  }

  machineCount(): number {
    return this.#state.activeMachineCount;
  }

  groups(): Iterable<string> {
    return this.#state.groupStatusCounts().keys();
  }

  *kmsHosts(): Iterable<KmsHostFacts> {
    const alerts = this.#alerts();
    for (const h of this.#state.kmsHosts()) yield this.#kmsHostFacts(h, alerts);
  }

  alertTallies(): Iterable<AlertTally> {
    return this.#alerts()?.alertTallies() ?? [];
  }

  refresh(now: number): void {
    // Windows hold every client of every host: counted from the state's running tallies, never walked.
    const window = new Map<string, { client: number; server: number }>();
    for (const h of this.#state.kmsHosts()) window.set(h.id, this.#state.windowCountsAfter(h.id, now - KMS_CLIENT_WINDOW_DAYS * MS.DAY, 1));
    this.#window = window;
    this.#alerts()?.refresh?.(now);
  }

  #kmsHostFacts(h: KmsHostState, alerts: AlertEngineView | undefined): KmsHostFacts {
    const users = this.#state.machineCountUsingKmsHost(h.id);
    const clientOs = this.#state.clientOsUsingKmsHost(h.id);
    const w = this.#window.get(h.id);
    const forecast = alerts?.kmsForecast(h.id);
    return {
      id: h.id,
      currentCount: h.kmsService?.currentCount ?? null,
      clientOsDependents: Math.max(clientOs, w?.client ?? 0),
      serverOsDependents: Math.max(users - clientOs, w?.server ?? 0),
      forecastBelow25At: forecast?.below25At ?? null,
      forecastBelow5At: forecast?.below5At ?? null,
      officeForecastBelow5At: forecast?.officeBelow5At ?? null,
      lastRequestAt: h.lastRequestAt,
      applications: applicationsOf(h, Math.max(clientOs, w?.client ?? 0) > 0 ? KMS_CLIENT_THRESHOLD : KMS_SERVER_THRESHOLD),
      basis: h.kmsService || h.machineId ? 'host' : 'clients',
      clientSeenCounts: h.kmsService ? [] : (h.seenByClients ?? []),
    };
  }
}

/** Windows' count (the host product's, else the service's) and Office's when the host has an Office host product. */
function applicationsOf(h: KmsHostState, windowsThreshold: number): KmsApplicationFacts[] {
  const s = h.kmsService;
  if (!s) {
    // No agent: the thresholds still apply; the counts are only what clients heard (vawatch_kms_host_client_seen_clients).
    const out: KmsApplicationFacts[] = [{ application: 'windows', currentCount: null, threshold: windowsThreshold }];
    if (h.seenByClients?.some((c) => c.application === 'office')) out.push({ application: 'office', currentCount: null, threshold: OFFICE_KMS_THRESHOLD });
    return out;
  }
  const win = s.applications?.find((a) => applicationOf(a.applicationId) === 'windows');
  const office = s.applications?.find((a) => applicationOf(a.applicationId) === 'office');
  const out: KmsApplicationFacts[] = [{ application: 'windows', currentCount: win ? win.currentCount : s.currentCount, threshold: windowsThreshold }];
  if (office) out.push({ application: 'office', currentCount: office.currentCount, threshold: OFFICE_KMS_THRESHOLD });
  return out;
}
