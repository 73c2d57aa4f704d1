import { z } from 'zod';

/** true / false, also as the strings an environment variable carries (z.coerce.boolean would read "false" as true). */
function flag() {
  return z.union([z.boolean(), z.enum(['true', 'false', '1', '0'], { error: 'expected true or false' }).transform((v) => v === 'true' || v === '1')]);
}

/**
 * The metrics' own settings. The collector's configuration carries them (`metricsToken` stays the collector's, since it
 * guards the route); defaults here, in one place.
 */
export const MetricsOptions = z.object({
  /** Per-machine series are exported while the fleet has at most this many live machines (0 turns them off). */
  machineSeriesLimit: z.coerce.number().int().min(0).default(10_000),
  /** How often the per-machine series, the expiry wave and agent freshness are recomputed in the background. */
  refreshSeconds: z.coerce.number().min(1).max(3600).default(15),
  /** Export prom-client's process and Node.js metrics (process_*, nodejs_*). */
  processMetrics: flag().default(true),
});
export type MetricsOptions = Readonly<z.infer<typeof MetricsOptions>>;
export type MetricsOptionsInput = z.input<typeof MetricsOptions>;

/** Parses and freezes metrics options; throws with a one-line reason naming the option. */
export function parseMetricsOptions(input: MetricsOptionsInput = {}): MetricsOptions {
  const r = MetricsOptions.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`metrics.${i.path.join('.') || 'options'}: ${i.message}`);
  }
  return Object.freeze(r.data);
}
