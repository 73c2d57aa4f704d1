import type { Registry } from 'prom-client';
import type { Cancel, Clock, Scheduler } from '../../shared/scheduling.js';
import pkg from '../../package.json' with { type: 'json' };
import { FleetAggregates } from './fleet-aggregates.js';
import { FleetTimeAggregates, notificationOf, type TimedFacts } from './fleet-time-aggregates.js';
import { registerFleetMetrics } from './fleet-metrics.js';
import { NO_MACHINE_SERIES, sweepFleet, type FleetSweep } from './fleet-sweep.js';
import { GroupSeriesText, type GroupSeriesWork } from './group-series-text.js';
import type { MachineFacts, MetricsSource } from './metrics-source.js';
import { parseMetricsOptions, type MetricsOptions, type MetricsOptionsInput } from './metrics-options.js';
import { SelfMetrics, type IngestMetrics } from './self-metrics.js';

/** What a machine is counted under in the aggregates (time-dependent ones included). */
export type CountedAs = Pick<MachineFacts, 'group' | 'status' | 'channel'> & TimedFacts;

export interface MetricsLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface MetricsExporterDeps {
  /** The registry the collector serves (never prom-client's global one). */
  registry: Registry;
  source: MetricsSource;
  clock: Clock;
  /** Runs the background refresh; omit to drive `refresh()` by hand (tests, benchmarks). */
  scheduler?: Scheduler;
  log: MetricsLog;
  options?: MetricsOptionsInput;
  /** Hands the event loop back during a sweep; defaults to setImmediate. */
  yieldToLoop?: () => Promise<void>;
}

/**
 * vawatch's Prometheus exposition. Aggregates follow state changes as they happen (`machineChanged`), the
 * time-dependent ones (agent freshness, expiry wave) in running time tallies read at scrape time; per-machine series
 * (only up to `machineSeriesLimit` machines) are rendered in the background every `refreshSeconds`, in slices, and the
 * scrape serves the last text. The per-group families are text too, re-rendered only for the groups that changed
 * (GroupSeriesText). So a scrape costs about the same at any fleet size: formatting a few hundred prom-client series,
 * reading the running tallies once per group and concatenating cached strings.
 */
export class MetricsExporter {
  readonly options: MetricsOptions;
  readonly #registry: Registry;
  readonly #source: MetricsSource;
  readonly #clock: Clock;
  readonly #scheduler: Scheduler | undefined;
  readonly #log: MetricsLog;
  readonly #yield: (() => Promise<void>) | undefined;
  readonly #aggregates: FleetAggregates;
  readonly #time = new FleetTimeAggregates();
  readonly #groupText: GroupSeriesText;
  readonly #self: SelfMetrics;
  #sweep: FleetSweep | undefined;
  #running: Promise<FleetSweep> | undefined;
  #cancel: Cancel | undefined;
  #perMachineLogged: boolean | undefined;

  constructor(d: MetricsExporterDeps) {
    this.options = parseMetricsOptions(d.options);
    this.#registry = d.registry;
    this.#source = d.source;
    this.#clock = d.clock;
    this.#scheduler = d.scheduler;
    this.#log = d.log;
    this.#yield = d.yieldToLoop;
    this.#self = new SelfMetrics(d.registry, { processMetrics: this.options.processMetrics });
    this.#aggregates = new FleetAggregates((group) => this.#groupText.groupChanged(group));
    this.#groupText = new GroupSeriesText({
      aggregates: this.#aggregates,
      time: this.#time,
      sourceGroups: () => d.source.groups(),
      staleAfterMs: () => d.source.staleAfterMs,
    });
    registerFleetMetrics(d.registry, {
      source: d.source,
      sweep: () => this.#sweep,
      version: pkg.version,
    });
  }

  /** Counters the collector's ingest increments. */
  get ingest(): IngestMetrics {
    return this.#self;
  }

  /** Pieces of exposition rendered so far (per group and family): what a scrape redid, for tests and diagnosis. */
  get renderWork(): Readonly<GroupSeriesWork> {
    return this.#groupText.work;
  }

  /** Recounts the aggregates from the source, schedules the background refresh and runs the first one. */
  async start(): Promise<void> {
    this.recount();
    // The first answer of each running tally walks its distinct seconds once: at start, not in the first scrape.
    const now = this.#clock.now();
    for (const g of this.#aggregates.groups()) {
      this.#time.agents(g, now, this.#source.staleAfterMs);
      this.#time.wave(g, now);
    }
    await this.refresh();
    if (this.#scheduler && !this.#cancel) {
      this.#cancel = this.#scheduler.every(this.options.refreshSeconds * 1000, () => this.refresh().catch((e: unknown) => {
        this.#log.warn('metrics refresh failed', { error: String(e) });
      }));
    }
  }

  close(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  /** One machine changed: `before` null when new, `after` null when it retired. O(1). */
  machineChanged(before: CountedAs | null, after: CountedAs | null): void {
    if (!before || !after || before.group !== after.group || before.status !== after.status || before.channel !== after.channel) {
      this.#aggregates.apply(before, after);
    }
    if (
      !before ||
      !after ||
      before.group !== after.group ||
      before.lastReportAt !== after.lastReportAt ||
      notificationOf(before) !== notificationOf(after)
    ) {
      this.#time.apply(before, after);
    }
  }

  /** Rebuilds the aggregates from the source (at start; after a bulk load). */
  recount(): void {
    this.#aggregates.clear();
    this.#time.clear();
    for (const m of this.#source.countedAs?.() ?? this.#source.machines()) {
      this.#aggregates.apply(null, m);
      this.#time.apply(null, m);
    }
  }

  /** Recomputes the background part now; concurrent calls share one pass. */
  refresh(): Promise<FleetSweep> {
    this.#running ??= this.#doRefresh().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** The exposition: the registry's metrics, the per-group families and the cached per-machine series. */
  async metrics(): Promise<string> {
    return Buffer.concat(await this.exposition()).toString('utf8');
  }

  /**
   * The exposition as the bytes to send, in order: what is rendered now (the registry, the per-group families) and
   * the per-machine series as the background pass encoded them, never copied or re-encoded here. The collector's
   * /metrics route writes these parts one after the other.
   */
  async exposition(): Promise<Buffer[]> {
    const done = this.#self.startScrape();
    try {
      const text = await this.#registry.metrics();
      const groups = this.#groupText.parts(this.#clock.now());
      const machines = this.#sweep?.machineBody ?? NO_MACHINE_SERIES;
      // OpenMetrics ends with `# EOF`; the cached series go before it.
      const eof = text.endsWith('# EOF\n');
      const head = Buffer.from(eof ? text.slice(0, -'# EOF\n'.length) : text, 'utf8');
      return eof ? [head, ...groups, machines, Buffer.from('# EOF\n')] : [head, ...groups, machines];
    } finally {
      done();
    }
  }

  async #doRefresh(): Promise<FleetSweep> {
    const started = performance.now();
    const count = this.#source.machineCount();
    const perMachine = count <= this.options.machineSeriesLimit;
    if (this.#perMachineLogged !== perMachine) {
      if (!perMachine) {
        this.#log.warn(
          `metrics: per-machine series off: ${count} machines is above machineSeriesLimit ${this.options.machineSeriesLimit}; fleet aggregates only`,
        );
      } else if (this.#perMachineLogged === false) {
        this.#log.info(`metrics: per-machine series back on: ${count} machines is within machineSeriesLimit ${this.options.machineSeriesLimit}`);
      }
      this.#perMachineLogged = perMachine;
    }
    await this.#source.refresh?.(this.#clock.now());
    // Agent freshness and the expiry wave follow the change feed; only per-machine series need a pass over the fleet.
    const sweep: FleetSweep = perMachine
      ? await sweepFleet(this.#source.machines(), {
          now: this.#clock.now(),
          staleAfterMs: this.#source.staleAfterMs,
          perMachine,
          ...(this.#yield ? { yieldToLoop: this.#yield } : {}),
        })
      : { at: this.#clock.now(), wave: new Map(), agents: new Map(), machineBody: NO_MACHINE_SERIES, machineSeriesExported: false, machineSeries: 0, machines: count };
    this.#sweep = sweep;
    this.#self.sweepDone((performance.now() - started) / 1000, sweep.machineSeries, sweep.at);
    return sweep;
  }
}
