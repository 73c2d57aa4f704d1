/**
 * The contract every alert rule module meets, and the per-group configuration it is evaluated with.
 */
import type { z } from 'zod';
import type { Finding, FleetView, MachineView, RuleName } from './model.js';

/** A rule's configuration resolved for one group (group overrides laid over the global values). */
export interface ByGroup<C> {
  forGroup(group: string): C;
}

/** The same configuration for every group (tests, and rules nobody overrides). */
export function sameForAllGroups<C>(config: C): ByGroup<C> {
  return { forGroup: () => config };
}

/**
 * What changed in the fleet: ingest evaluates only the rules a change touches.
 * - snapshot: a machine's products / CMID / KMS service state changed
 * - events: new event-log records arrived
 * - report: any report arrived (heartbeats too), so `lastReportAt` moved
 * - retired: a machine was retired or came back
 */
export type ChangeKind = 'snapshot' | 'events' | 'report' | 'retired';

export interface RuleDefinition<C extends { rule: RuleName; enabled: boolean } = { rule: RuleName; enabled: boolean }> {
  name: RuleName;
  schema: z.ZodType<C>;
  evaluate(state: FleetView, now: number, config: ByGroup<C>): Finding[];
  touchedBy: readonly ChangeKind[];
  /** True when the passing of time alone can make it fire or clear (re-checked on a schedule). */
  timeBased: boolean;
  /**
   * machine: each finding concerns one machine and depends on that machine alone, so ingest can evaluate the rule on
   * a view holding just the changed machine; fleet: findings span machines (KMS hosts, duplicate CMIDs).
   */
  scope: 'machine' | 'fleet';
  /**
   * Time-based machine rules: the first instant after `now` (collector's clock) at which the passing of time alone can
   * change the rule's answer for this machine, or null when only a new report can. The collector keeps these in a
   * deadline index and re-evaluates a machine only when its instant comes, never by sweeping the fleet.
   */
  dueAt?(m: MachineView, now: number, config: ByGroup<C>): number | null;
}

/** The earliest of some instants after `now`, or null. */
export function firstAfter(now: number, instants: Iterable<number | null>): number | null {
  let best: number | null = null;
  for (const t of instants) if (t !== null && t > now && (best === null || t < best)) best = t;
  return best;
}
