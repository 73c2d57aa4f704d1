import { licenseStatusLabel, channelLabel } from './metric-labels.js';
import type { MachineFacts } from './metrics-source.js';

type Facts = Pick<MachineFacts, 'group' | 'status' | 'channel'>;

/**
 * Live machines counted by licence status × channel × group, kept up to date change by change (O(1) each). It tells
 * `onGroupChanged` which group's counts moved, so the exposition re-renders that group alone and a scrape never walks
 * the fleet (see group-series-text.ts). A group exists while it has live machines.
 */
export class FleetAggregates {
  // group → "status\u0000channel" → machines
  #counts = new Map<string, Map<string, number>>();
  readonly #onGroupChanged: ((group: string) => void) | undefined;

  constructor(onGroupChanged?: (group: string) => void) {
    this.#onGroupChanged = onGroupChanged;
  }

  /** Applies one machine change: `before` null for a new machine, `after` null for one that retired. */
  apply(before: Facts | null, after: Facts | null): void {
    if (before) this.#bump(before, -1);
    if (after) this.#bump(after, 1);
  }

  /** Forgets everything (before a recount from the source). */
  clear(): void {
    const groups = [...this.#counts.keys()];
    this.#counts.clear();
    for (const g of groups) this.#onGroupChanged?.(g);
  }

  /** Groups that have live machines. */
  groups(): Iterable<string> {
    return this.#counts.keys();
  }

  has(group: string): boolean {
    return this.#counts.has(group);
  }

  count(group: string, statusLabel: string, channel: string): number {
    return this.#counts.get(group)?.get(countKey(statusLabel, channel)) ?? 0;
  }

  #bump(m: Facts, by: number): void {
    let g = this.#counts.get(m.group);
    if (!g) this.#counts.set(m.group, (g = new Map()));
    const key = countKey(licenseStatusLabel(m.status), channelLabel(m.channel));
    const n = (g.get(key) ?? 0) + by;
    if (n === 0) g.delete(key);
    else g.set(key, n);
    if (g.size === 0) this.#counts.delete(m.group);
    this.#onGroupChanged?.(m.group);
  }
}

function countKey(statusLabel: string, channel: string): string {
  return `${statusLabel}\u0000${channel}`;
}
