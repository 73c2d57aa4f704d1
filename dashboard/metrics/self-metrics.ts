import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import {
  INGEST_REJECT_REASONS,
  INGEST_REPORT_RESULTS,
  type IngestRejectReason,
  type IngestReportResult,
} from './metric-labels.js';

/** prom-client's process defaults that are gauges named `…_total`, which `promtool check metrics` rejects. */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** What the collector's ingest calls to count its work. Cheap: one counter increment each. */
export interface IngestMetrics {
  /** A batch request that passed authentication and the envelope check. */
  batch(): void;
  /** Reports of a batch by what became of them. */
  reports(result: IngestReportResult, count?: number): void;
  /** A request refused as a whole (nothing stored). Unknown reasons count as `other`, keeping the label bounded. */
  rejected(reason: IngestRejectReason | string): void;
}

/** The collector's own health: ingest, scrape cost, process. */
export class SelfMetrics implements IngestMetrics {
  readonly #reports: Counter<'result'>;
  readonly #rejected: Counter<'reason'>;
  readonly #batches: Counter;
  readonly #scrape: Histogram;
  readonly #renderSeconds: Gauge;
  readonly #machineSeries: Gauge;
  readonly #sweptAt: Gauge;

  constructor(registry: Registry, options: { processMetrics: boolean }) {
    this.#reports = new Counter({
      name: 'vawatch_ingest_reports_total',
      help: 'Agent reports received, by result: accepted (stored), duplicate (already stored: an agent retry), refused (invalid, listed in the ack).',
      labelNames: ['result'],
      registers: [registry],
    });
    for (const result of INGEST_REPORT_RESULTS) this.#reports.inc({ result }, 0);
    this.#rejected = new Counter({
      name: 'vawatch_ingest_requests_rejected_total',
      help: 'Agent requests (report batches, enrolments) the collector refused, by the ErrorBody code it answered (other: any code not listed).',
      labelNames: ['reason'],
      registers: [registry],
    });
    for (const reason of INGEST_REJECT_REASONS) this.#rejected.inc({ reason }, 0);
    this.#batches = new Counter({
      name: 'vawatch_ingest_batches_total',
      help: 'Report batches accepted for processing.',
      registers: [registry],
    });
    this.#scrape = new Histogram({
      name: 'vawatch_metrics_scrape_duration_seconds',
      help: 'Time the collector took to answer a /metrics scrape.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
    this.#renderSeconds = new Gauge({
      name: 'vawatch_metrics_machine_series_render_duration_seconds',
      help: 'Time the last background pass over the fleet took (per-machine series, expiry wave, agent freshness); spread over many event-loop turns.',
      registers: [registry],
    });
    this.#machineSeries = new Gauge({
      name: 'vawatch_metrics_machine_series',
      help: 'Per-machine series in the current exposition (0 when they are off).',
      registers: [registry],
    });
    this.#sweptAt = new Gauge({
      name: 'vawatch_metrics_machine_series_rendered_timestamp_seconds',
      help: 'When the per-machine series, expiry wave and agent counts served now were computed, as a Unix timestamp.',
      registers: [registry],
    });
    if (options.processMetrics) {
      collectDefaultMetrics({ register: registry });
      for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
    }
  }

  batch(): void {
    this.#batches.inc();
  }
  reports(result: IngestReportResult, count = 1): void {
    if (count > 0) this.#reports.inc({ result }, count);
  }
  rejected(reason: string): void {
    const r = (INGEST_REJECT_REASONS as readonly string[]).includes(reason) ? reason : 'other';
    this.#rejected.inc({ reason: r });
  }

  /** Starts timing a scrape; call the result when the answer is ready. */
  startScrape(): () => void {
    return this.#scrape.startTimer();
  }

  sweepDone(durationSeconds: number, machineSeries: number, atMs: number): void {
    this.#renderSeconds.set(durationSeconds);
    this.#machineSeries.set(machineSeries);
    this.#sweptAt.set(atMs / 1000);
  }
}
