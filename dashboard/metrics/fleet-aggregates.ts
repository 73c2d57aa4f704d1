import { CHANNEL_LABELS, LICENSE_STATUS_LABELS, channelLabel, licenseStatusLabel } from './metric-labels.js';
import type { MachineFacts } from './metrics-source.js';

/** Where the counts go as they change: the `vawatch_machines` gauge. */
export interface AggregateSink {
  set(labels: { license_status: string; channel: string; group: string }, value: number): void;
  remove(labels: { license_status: string; channel: string; group: string }): void;
  reset(): void;
}

type Facts = Pick<MachineFacts, 'group' | 'status' | 'channel'>;

/**
 * Live machines counted by licence status × channel × group, kept up to date change by change (O(1) each) and pushed
 * straight into the gauge, so a scrape only formats what is already there and never walks the fleet. A group appears
 * with every status × channel at 0, and leaves when its last machine does.
 */
export class FleetAggregates {
  // group → "status\u0000channel" → machines
  #counts = new Map<string, Map<string, number>>();
  readonly #sink: AggregateSink | undefined;

  constructor(sink?: AggregateSink) {
    this.#sink = sink;
  }

  /** Applies one machine change: `before` null for a new machine, `after` null for one that retired. */
  apply(before: Facts | null, after: Facts | null): void {
    if (before) this.#bump(before, -1);
    if (after) this.#bump(after, 1);
  }

  /** Forgets everything (before a recount from the source). */
  clear(): void {
    this.#counts.clear();
    this.#sink?.reset();
  }

  /** Groups that have live machines. */
  groups(): Iterable<string> {
    return this.#counts.keys();
  }

  count(group: string, statusLabel: string, channel: string): number {
    return this.#counts.get(group)?.get(`${statusLabel}\u0000${channel}`) ?? 0;
  }

  #bump(m: Facts, by: number): void {
    let g = this.#counts.get(m.group);
    if (!g) {
      this.#counts.set(m.group, (g = new Map()));
      this.#eachLabel(m.group, (labels) => this.#sink?.set(labels, 0));
    }
    const license_status = licenseStatusLabel(m.status);
    const channel = channelLabel(m.channel);
    const key = `${license_status}\u0000${channel}`;
    const n = (g.get(key) ?? 0) + by;
    if (n === 0) g.delete(key);
    else g.set(key, n);
    if (g.size === 0) {
      this.#counts.delete(m.group);
      this.#eachLabel(m.group, (labels) => this.#sink?.remove(labels));
    } else {
      this.#sink?.set({ license_status, channel, group: m.group }, n);
    }
  }

  #eachLabel(group: string, fn: (labels: { license_status: string; channel: string; group: string }) => void): void {
    for (const license_status of LICENSE_STATUS_LABELS) for (const channel of CHANNEL_LABELS) fn({ license_status, channel, group });
  }
}
