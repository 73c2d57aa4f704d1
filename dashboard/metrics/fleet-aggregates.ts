import { channelLabel, licenseStatusLabel } from './metric-labels.js';
import type { MachineFacts } from './metrics-source.js';

/**
 * Live machines counted by licence status × channel × group, kept up to date change by change (O(1) each), so a scrape
 * reads counts and never walks the fleet.
 */
export class FleetAggregates {
  // group → "status\u0000channel" → machines
  #counts = new Map<string, Map<string, number>>();

  /** Applies one machine change: `before` null for a new machine, `after` null for one that retired. */
  apply(before: Pick<MachineFacts, 'group' | 'status' | 'channel'> | null, after: Pick<MachineFacts, 'group' | 'status' | 'channel'> | null): void {
    if (before) this.#bump(before, -1);
    if (after) this.#bump(after, 1);
  }

  /** Forgets everything (before a recount from the source). */
  clear(): void {
    this.#counts.clear();
  }

  /** Groups that have live machines. */
  groups(): Iterable<string> {
    return this.#counts.keys();
  }

  count(group: string, statusLabel: string, channel: string): number {
    return this.#counts.get(group)?.get(`${statusLabel}\u0000${channel}`) ?? 0;
  }

  #bump(m: Pick<MachineFacts, 'group' | 'status' | 'channel'>, by: number): void {
    let g = this.#counts.get(m.group);
    if (!g) this.#counts.set(m.group, (g = new Map()));
    const key = `${licenseStatusLabel(m.status)}\u0000${channelLabel(m.channel)}`;
    const n = (g.get(key) ?? 0) + by;
    if (n === 0) g.delete(key);
    else g.set(key, n);
    if (g.size === 0) this.#counts.delete(m.group);
  }
}
