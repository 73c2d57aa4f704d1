import { MS } from '../../shared/kms-rules.js';
import { TimeTally } from '../server/state/time-tally.js';
import { notificationAt } from './expiry-projection.js';
import { EXPIRY_WAVE_DAYS } from './metric-labels.js';
import type { MachineFacts } from './metrics-source.js';

/**
 * What the time-dependent aggregates need of a machine. `notificationAt` may be given precomputed (the collector does,
 * per change); otherwise it is worked out from the primary product in `products`.
 */
export type TimedFacts = Pick<MachineFacts, 'group' | 'lastReportAt'> & {
  readonly notificationAt?: number | null;
  readonly products?: MachineFacts['products'];
};

interface GroupTimes {
  /** Agents that reported, by when (collector clock). */
  reported: TimeTally;
  /** Agents that never reported (stale by definition). */
  silent: number;
  /** Machines by when their primary product reaches Notification; one running cut-off per wave horizon. */
  notification: TimeTally;
}

/**
 * Agent freshness and the expiry wave per group, kept up to date change by change (O(1) each) in running time tallies,
 * so answering for "now" costs the seconds the clock moved, never a walk of the fleet.
 */
export class FleetTimeAggregates {
  readonly #groups = new Map<string, GroupTimes>();

  apply(before: TimedFacts | null, after: TimedFacts | null): void {
    if (before) this.#bump(before, -1);
    if (after) this.#bump(after, 1);
  }

  clear(): void {
    this.#groups.clear();
  }

  /** Agents of the group that reported within `staleAfterMs` of `now`, and those that did not. */
  agents(group: string, now: number, staleAfterMs: number): { up: number; stale: number } | undefined {
    const g = this.#groups.get(group);
    if (!g) return undefined;
    const stale = g.reported.countBefore(now - staleAfterMs) + g.silent;
    return { up: g.reported.size + g.silent - stale, stale };
  }

  /** Machines of the group reaching Notification within each EXPIRY_WAVE_DAYS horizon of `now` (cumulative). */
  wave(group: string, now: number): number[] | undefined {
    const g = this.#groups.get(group);
    if (!g) return undefined;
    return EXPIRY_WAVE_DAYS.map((days, i) => g.notification.countBefore(now + days * MS.DAY + 1, i));
  }

  #bump(f: TimedFacts, by: 1 | -1): void {
    let g = this.#groups.get(f.group);
    if (!g) this.#groups.set(f.group, (g = { reported: new TimeTally(), silent: 0, notification: new TimeTally(EXPIRY_WAVE_DAYS.length) }));
    if (f.lastReportAt === null) g.silent += by;
    else if (by > 0) g.reported.add(f.lastReportAt);
    else g.reported.remove(f.lastReportAt);
    const at = notificationOf(f);
    if (at !== null) {
      if (by > 0) g.notification.add(at);
      else g.notification.remove(at);
    }
    if (g.silent === 0 && g.reported.size === 0 && g.notification.size === 0) this.#groups.delete(f.group);
  }
}

export function notificationOf(f: TimedFacts): number | null {
  if (f.notificationAt !== undefined) return f.notificationAt;
  const primary = f.products?.find((p) => p.primary);
  return primary ? notificationAt(primary) : null;
}
