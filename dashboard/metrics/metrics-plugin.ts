import type { CollectorPlugin } from '../server/plugin.js';
import { FleetStateSource, machineFactsOf, type AlertEngineView } from './fleet-state-source.js';
import { MetricsExporter } from './metrics-exporter.js';
import type { MetricsOptionsInput } from './metrics-options.js';
import type { IngestMetrics } from './self-metrics.js';

export interface MetricsPlugin extends CollectorPlugin {
  /** The running exporter (after setup). */
  readonly exporter: MetricsExporter | undefined;
  /** Ingest counters; safe to call before setup (they do nothing until then). */
  readonly ingest: IngestMetrics;
}

/**
 * The metrics as a collector plug-in: follows the fleet state's change feed, refreshes the background part on the
 * collector's scheduler, and makes the collector's registry serve the per-machine series too.
 */
export function metricsPlugin(options: MetricsOptionsInput = {}, alerts?: () => AlertEngineView | undefined): MetricsPlugin {
  let exporter: MetricsExporter | undefined;
  let unsubscribe: (() => void) | undefined;
  let uninstall: (() => void) | undefined;
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
      const source = new FleetStateSource(ctx.state, {
        staleAfterMs: ctx.config.staleAfterMinutes * 60_000,
        ...(alerts ? { alerts } : {}),
      });
      exporter = new MetricsExporter({
        registry: ctx.registry,
        source,
        clock: ctx.clock,
        scheduler: ctx.scheduler,
        log: ctx.log,
        options,
      });
      const e = exporter;
      unsubscribe = ctx.state.onChange((c) => {
        if (c.kind !== 'machine') return;
        e.machineChanged(c.before ? machineFactsOf(c.before) : null, machineFactsOf(c.after));
      });
      uninstall = e.installOnRegistry();
      await e.start();
    },
    close() {
      unsubscribe?.();
      uninstall?.();
      exporter?.close();
    },
  };
}
