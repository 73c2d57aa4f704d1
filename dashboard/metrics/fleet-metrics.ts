import { Gauge, type Registry } from 'prom-client';
import { KMS_CLIENT_THRESHOLD, KMS_SERVER_THRESHOLD, OFFICE_KMS_THRESHOLD } from '../../shared/kms-rules.js';
import type { FleetSweep } from './fleet-sweep.js';
import {
  ALERT_RULE_LABELS,
  ALERT_SEVERITY_LABELS,
  ALERT_STATE_LABELS,
} from './metric-labels.js';
import type { KmsApplicationFacts, KmsHostFacts, MetricsSource } from './metrics-source.js';

export interface FleetMetricsDeps {
  source: MetricsSource;
  /** The newest background sweep, or undefined before the first one finished. */
  sweep: () => FleetSweep | undefined;
  version: string;
}

/**
 * The fleet aggregates whose size does not grow with the groups, always exported. Each gauge is filled in `collect()`
 * at scrape time from sets that are small by nature (KMS hosts, alert tallies) or the last sweep. The per-group
 * families (`vawatch_machines`, `vawatch_agents`, `vawatch_expiry_wave_machines`) are written as text by
 * GroupSeriesText instead: too many label sets for prom-client's per-scrape bookkeeping.
 */
export function registerFleetMetrics(registry: Registry, d: FleetMetricsDeps): void {
  new Gauge({
    name: 'vawatch_kms_host_current_clients',
    help: 'Each KMS host\'s count per licensing application (windows: KeyManagementServiceCurrentCount, unique client machine ids in the last 30 days, capped at 50, or 10 while only servers asked; office: its Office host product\'s own count, capped at 10), as the host reports it.',
    labelNames: ['kms_host', 'application'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const h of d.source.kmsHosts()) {
        for (const a of applicationsOf(h)) if (a.currentCount !== null) this.set({ kms_host: h.id, application: a.application }, a.currentCount);
      }
    },
  });

  new Gauge({
    name: 'vawatch_kms_host_required_clients',
    help: 'The count each KMS host needs per application: windows 25 while client OS machines depend on it, else 5 (server OS); office 5.',
    labelNames: ['kms_host', 'application'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const h of d.source.kmsHosts()) for (const a of applicationsOf(h)) this.set({ kms_host: h.id, application: a.application }, a.threshold);
    },
  });

  new Gauge({
    name: 'vawatch_kms_host_client_seen_clients',
    help: 'For a KMS host no agent runs on: the count per application its newest answer (12289) to a client with an agent carried.',
    labelNames: ['kms_host', 'application'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const h of d.source.kmsHosts()) for (const c of h.clientSeenCounts ?? []) this.set({ kms_host: h.id, application: c.application }, c.count);
    },
  });

  new Gauge({
    name: 'vawatch_kms_host_client_seen_timestamp_seconds',
    help: 'For a KMS host no agent runs on: when the answer behind vawatch_kms_host_client_seen_clients was given.',
    labelNames: ['kms_host', 'application'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const h of d.source.kmsHosts()) for (const c of h.clientSeenCounts ?? []) this.set({ kms_host: h.id, application: c.application }, c.at / 1000);
    },
  });

  new Gauge({
    name: 'vawatch_kms_host_dependent_machines',
    help: 'Live machines whose KMS client product uses each KMS host, by OS kind (client OS needs a count of 25, server OS 5).',
    labelNames: ['kms_host', 'os_kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const h of d.source.kmsHosts()) {
        this.set({ kms_host: h.id, os_kind: 'client' }, h.clientOsDependents);
        this.set({ kms_host: h.id, os_kind: 'server' }, h.serverOsDependents);
      }
    },
  });

  new Gauge({
    name: 'vawatch_kms_host_count_forecast_below_threshold_timestamp_seconds',
    help: 'When each KMS host\'s count per application is forecast to fall below a threshold if no new client arrives (Unix timestamp); windows: 25 only while client OS machines depend on the host, and 5; office: 5 (its own count); only within the forecast horizon.',
    labelNames: ['kms_host', 'application', 'threshold'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const h of d.source.kmsHosts()) {
        if (h.forecastBelow25At !== null && h.clientOsDependents > 0) {
          this.set({ kms_host: h.id, application: 'windows', threshold: String(KMS_CLIENT_THRESHOLD) }, h.forecastBelow25At / 1000);
        }
        if (h.forecastBelow5At !== null) this.set({ kms_host: h.id, application: 'windows', threshold: String(KMS_SERVER_THRESHOLD) }, h.forecastBelow5At / 1000);
        if (h.officeForecastBelow5At != null) this.set({ kms_host: h.id, application: 'office', threshold: String(OFFICE_KMS_THRESHOLD) }, h.officeForecastBelow5At / 1000);
      }
    },
  });

  new Gauge({
    name: 'vawatch_kms_host_last_request_timestamp_seconds',
    help: 'When each KMS host last logged an activation request (event 12290), as a Unix timestamp.',
    labelNames: ['kms_host'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const h of d.source.kmsHosts()) if (h.lastRequestAt !== null) this.set({ kms_host: h.id }, h.lastRequestAt / 1000);
    },
  });

  new Gauge({
    name: 'vawatch_alerts',
    help: 'Open alerts of the collector\'s alert engine by rule, severity and state; every combination is exported, 0 where empty.',
    labelNames: ['rule', 'severity', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const rule of ALERT_RULE_LABELS) {
        for (const severity of ALERT_SEVERITY_LABELS) for (const state of ALERT_STATE_LABELS) this.set({ rule, severity, state }, 0);
      }
      for (const t of d.source.alertTallies()) this.inc({ rule: t.rule, severity: t.severity, state: t.state }, t.count);
    },
  });

  new Gauge({
    name: 'vawatch_agent_stale_after_seconds',
    help: 'How long an agent may stay silent before the collector counts it stale (3 heartbeat intervals).',
    registers: [registry],
    collect() {
      this.set(d.source.staleAfterMs / 1000);
    },
  });

  new Gauge({
    name: 'vawatch_machine_series_exported',
    help: '1 while per-machine series (vawatch_machine_*, vawatch_agent_last_report_timestamp_seconds) are exported, 0 when the fleet is above the configured machine count.',
    registers: [registry],
    collect() {
      this.set(d.sweep()?.machineSeriesExported ? 1 : 0);
    },
  });

  new Gauge({
    name: 'vawatch_build_info',
    help: 'The vawatch version this collector runs; always 1.',
    labelNames: ['version'] as const,
    registers: [registry],
  }).set({ version: d.version }, 1);
}

/** A host's per-application counts; a source that gives none (older sources, tests) has Windows' alone. */
function applicationsOf(h: KmsHostFacts): readonly KmsApplicationFacts[] {
  if (h.applications && h.applications.length > 0) return h.applications;
  return [{ application: 'windows', currentCount: h.currentCount, threshold: h.clientOsDependents > 0 ? KMS_CLIENT_THRESHOLD : KMS_SERVER_THRESHOLD }];
}
