/**
 * The contract every alert rule module meets, and the per-group configuration it is evaluated with.
 */
import type { z } from 'zod';
import type { Finding, FleetView, RuleName } from './model.js';

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
}
