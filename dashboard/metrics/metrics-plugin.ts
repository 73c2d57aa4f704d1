import type { CollectorPlugin } from '../server/plugin.js';
import type { AlertsEngine } from '../alerts/alerts-plugin.js';
import { alertsEngineView } from './alerts-engine-view.js';
import { countedAsOf, FleetStateSource } from './fleet-state-source.js';
import { MetricsExporter } from './metrics-exporter.js';
import type { MetricsOptionsInput } from './metrics-options.js';
import type { IngestMetrics } from './self-metrics.js';

export interface MetricsPlugin extends CollectorPlugin {
  /** The running exporter (after setup). */
  readonly exporter: MetricsExporter | undefined;
  /** Ingest counters (the plug-in feeds them from the collector's ingest events); no-ops before setup. */
  readonly ingest: IngestMetrics;
}

/**
 * The metrics as a collector plug-in: follows the fleet state's change feed, refreshes the background part on the
 * collector's scheduler, and makes the collector's registry serve the per-machine series too.
 */
export function metricsPlugin(
  options: MetricsOptionsInput = {},
  /** The alert engine (e.g. `() => alerts.engine()` of the alerts plug-in), when loaded; read lazily. */
  engine?: () => AlertsEngine | undefined,
): MetricsPlugin {
  let exporter: MetricsExporter | undefined;
  let unsubscribe: (() => void) | undefined;
  const unsubscribeIngest: Array<() => void> = [];
  const ingest: IngestMetrics = {
    batch: () => exporter?.ingest.batch(),
    reports: (result, count) => exporter?.ingest.reports(result, count),
    rejected: (reason) => exporter?.ingest.rejected(reason),
  };
  return {
    name: 'metrics',
    get exporter() {
      return exporter;
    },
    ingest,
    async setup(ctx) {
      const view = engine ? alertsEngineView(() => safely(engine), ctx.clock) : undefined;
      const source = new FleetStateSource(ctx.state, {
        staleAfterMs: ctx.config.staleAfterMinutes * 60_000,
        ...(view ? { alerts: () => view } : {}),
      });
      exporter = new MetricsExporter({
        registry: ctx.registry,
        source,
        clock: ctx.clock,
        scheduler: ctx.scheduler,
        log: ctx.log,
        // The collector's configuration first (flags, environment, file), then what the caller passed.
        options: { machineSeriesLimit: ctx.config.metricsMachineSeries, refreshSeconds: ctx.config.metricsRefreshSeconds, ...options },
      });
      const e = exporter;
      unsubscribe = ctx.state.onChange((c) => {
        if (c.kind !== 'machine') return;
        e.machineChanged(c.before ? countedAsOf(c.before) : null, countedAsOf(c.after));
      });
      unsubscribeIngest.push(
        ctx.ingest.onBatch((r) => {
          e.ingest.batch();
          e.ingest.reports('accepted', r.stored);
          e.ingest.reports('duplicate', r.duplicates);
          e.ingest.reports('refused', r.refused);
        }),
        ctx.ingest.onRefusal((code) => e.ingest.rejected(code)),
      );
      ctx.setMetricsExposition(() => e.exposition());
      await e.start();
    },
    close() {
      unsubscribe?.();
      for (const u of unsubscribeIngest.splice(0)) u();
      exporter?.close();
    },
  };
}

/** The engine, or undefined while its plug-in is not set up (it throws then). */
function safely(engine: () => AlertsEngine | undefined): AlertsEngine | undefined {
  try {
    return engine();
  } catch {
    return undefined;
  }
}
