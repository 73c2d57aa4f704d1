import { MS } from '../../shared/kms-rules.js';
import { escapeLabelValue, formatValue, gaugeHeader } from './exposition-text.js';
import { notificationAt } from './expiry-projection.js';
import { EXPIRY_WAVE_DAYS } from './metric-labels.js';
import type { MachineFacts } from './metrics-source.js';

/** What one pass over the fleet produced: the time-dependent aggregates and, when enabled, the per-machine text. */
export interface FleetSweep {
  /** Clock time the pass judged "now" by (ms). */
  readonly at: number;
  /** Per group: machines reaching Notification within each EXPIRY_WAVE_DAYS horizon (cumulative). */
  readonly wave: ReadonlyMap<string, readonly number[]>;
  /** Per group: agents that reported within the stale limit, and those that did not. */
  readonly agents: ReadonlyMap<string, { up: number; stale: number }>;
  /**
   * Per-machine exposition text, UTF-8 encoded once per pass (empty when per-machine series are off): a scrape writes
   * these bytes as they are, instead of joining and encoding megabytes of text in each request.
   */
  readonly machineBody: Buffer;
  readonly machineSeriesExported: boolean;
  readonly machineSeries: number;
  readonly machines: number;
}

export interface SweepOptions {
  now: number;
  staleAfterMs: number;
  /** Render the per-machine series. */
  perMachine: boolean;
  /** Hand the event loop back once a slice has run this long, so a big fleet never blocks ingest for long. */
  sliceMs?: number;
  /** How to yield; setImmediate in production, anything awaitable in tests. */
  yieldToLoop?: () => Promise<void>;
}

const LICENSE_STATUS = 'vawatch_machine_license_status';
const GRACE_EXPIRY = 'vawatch_machine_grace_expiry_timestamp_seconds';
const LAST_REPORT = 'vawatch_agent_last_report_timestamp_seconds';

export const MACHINE_SERIES_HELP = {
  [LICENSE_STATUS]:
    'LicenseStatus (0 Unlicensed, 1 Licensed, 2 OOBGrace, 3 OOTGrace, 4 NonGenuineGrace, 5 Notification, 6 ExtendedGrace) of each product with a key; per-machine series are rendered in the background.',
  [GRACE_EXPIRY]:
    'End of the current period of each product (grace, or a KMS client\'s 180-day validity), as a Unix timestamp.',
  [LAST_REPORT]: 'When the collector last received a report from the machine\'s agent, as a Unix timestamp.',
} as const;

/** The body of a pass without per-machine series. */
export const NO_MACHINE_SERIES: Buffer = Buffer.alloc(0);

const defaultYield = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One pass over the live machines, in slices: counts the expiry wave and agent freshness per group and renders the
 * per-machine series. Runs on a schedule, never inside a scrape; the scrape serves the last result.
 */
export async function sweepFleet(machines: Iterable<MachineFacts>, o: SweepOptions): Promise<FleetSweep> {
  const sliceMs = o.sliceMs ?? 10;
  const yieldToLoop = o.yieldToLoop ?? defaultYield;
  const horizons = EXPIRY_WAVE_DAYS.map((d) => o.now + d * MS.DAY);
  const wave = new Map<string, number[]>();
  const agents = new Map<string, { up: number; stale: number }>();
  // Lines of the current slice, joined into one chunk per family at each yield: a few big strings, not millions.
  let status: string[] = [];
  let expiry: string[] = [];
  let lastReport: string[] = [];
  const chunks = { status: [] as string[], expiry: [] as string[], lastReport: [] as string[] };
  let series = 0;
  const cut = () => {
    series += status.length + expiry.length + lastReport.length;
    chunks.status.push(status.join(''));
    chunks.expiry.push(expiry.join(''));
    chunks.lastReport.push(lastReport.join(''));
    status = [];
    expiry = [];
    lastReport = [];
  };
  let n = 0;
  let sliceStart = performance.now();
  for (const m of machines) {
    n++;
    let a = agents.get(m.group);
    if (!a) agents.set(m.group, (a = { up: 0, stale: 0 }));
    if (m.lastReportAt !== null && o.now - m.lastReportAt <= o.staleAfterMs) a.up++;
    else a.stale++;

    const primary = m.products.find((p) => p.primary);
    const at = primary ? notificationAt(primary) : null;
    if (at !== null) {
      let w = wave.get(m.group);
      if (!w) wave.set(m.group, (w = EXPIRY_WAVE_DAYS.map(() => 0)));
      for (let i = 0; i < horizons.length; i++) if (at <= horizons[i]!) w[i]!++;
    }

    if (o.perMachine) {
      const who = `machine="${escapeLabelValue(m.hostname)}",machine_id="${escapeLabelValue(m.machineId)}",group="${escapeLabelValue(m.group)}"`;
      const seen = new Set<string>();
      for (const p of m.products) {
        // Two products of one name would be duplicate series, which makes Prometheus reject the whole scrape.
        if (seen.has(p.name)) continue;
        seen.add(p.name);
        const labels = `${who},product="${escapeLabelValue(p.name)}"`;
        status.push(`${LICENSE_STATUS}{${labels}} ${p.licenseStatus}\n`);
        if (p.graceExpiresAt !== null) expiry.push(`${GRACE_EXPIRY}{${labels}} ${formatValue(p.graceExpiresAt / 1000)}\n`);
      }
      if (m.lastReportAt !== null) lastReport.push(`${LAST_REPORT}{${who}} ${formatValue(m.lastReportAt / 1000)}\n`);
    }
    if ((n & 63) === 0 && performance.now() - sliceStart >= sliceMs) {
      if (o.perMachine) cut();
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
  let machineBody = NO_MACHINE_SERIES;
  if (o.perMachine) {
    cut();
    const text =
      gaugeHeader(LICENSE_STATUS, MACHINE_SERIES_HELP[LICENSE_STATUS]) +
      chunks.status.join('') +
      gaugeHeader(GRACE_EXPIRY, MACHINE_SERIES_HELP[GRACE_EXPIRY]) +
      chunks.expiry.join('') +
      gaugeHeader(LAST_REPORT, MACHINE_SERIES_HELP[LAST_REPORT]) +
      chunks.lastReport.join('');
    machineBody = Buffer.from(text, 'utf8');
  }
  return {
    at: o.now,
    wave,
    agents,
    machineBody,
    machineSeriesExported: o.perMachine,
    machineSeries: series,
    machines: n,
  };
}
