/**
 * Keeps the current findings of every rule and refreshes only what a change can have altered: on ingest, the rules
 * the change touches (machine-scoped ones on the changed machine alone); on the schedule, the time-based rules.
 * Pure apart from its own memory: the fleet view and the instant come from the caller.
 */
import type { AlertSettings } from './alert-settings.js';
import { canonicalHostName } from './host-names.js';
import type { Finding, FleetView, MachineView, RuleName } from './model.js';
import type { ChangeKind, RuleDefinition } from './rule-definition.js';
import { RULES } from './rules/index.js';

export interface FleetChange {
  machineId: string;
  kinds: readonly ChangeKind[];
}

export class RuleEvaluator {
  #settings: AlertSettings;
  #rules: readonly RuleDefinition[];
  #findings = new Map<RuleName, Map<string, Finding>>();
  #version = 0;

  constructor(settings: AlertSettings, rules: readonly RuleDefinition[] = RULES) {
    this.#settings = settings;
    this.#rules = rules;
    for (const r of rules) this.#findings.set(r.name, new Map());
  }

  /** New thresholds; the caller re-runs evaluateAll so findings follow them at once. */
  reconfigure(settings: AlertSettings): void {
    this.#settings = settings;
  }

  /** Every rule on the whole fleet (start-up, configuration change). */
  evaluateAll(fleet: FleetView, now: number): void {
    for (const r of this.#rules) this.#replaceAll(r, fleet, now);
  }

  /** The time-based rules on the whole fleet (the schedule's tick). */
  evaluateTimeBased(fleet: FleetView, now: number): void {
    for (const r of this.#rules) if (r.timeBased) this.#replaceAll(r, fleet, now);
  }

  /** The rules a change touches; machine-scoped ones only on the changed machine. */
  evaluateChange(fleet: FleetView, now: number, change: FleetChange): void {
    this.evaluateChanges(fleet, now, [change]);
  }

  /**
   * Several changes at once (one ingest batch): a fleet-scoped rule runs once however many machines changed. `only`
   * limits it to the machine-scoped or the fleet-scoped rules (the collector runs the latter at most once a second).
   */
  evaluateChanges(fleet: FleetView, now: number, changes: readonly FleetChange[], only?: RuleDefinition['scope']): void {
    if (changes.length === 0) return;
    const byId = new Map(fleet.machines.map((m) => [m.machineId, m]));
    for (const r of this.#rules) {
      if (only && r.scope !== only) continue;
      const touched = changes.filter((c) => r.touchedBy.some((k) => c.kinds.includes(k)));
      if (touched.length === 0) continue;
      if (r.scope === 'fleet') {
        this.#replaceAll(r, fleet, now);
        continue;
      }
      const ids = new Set(touched.map((c) => c.machineId));
      const current = this.#findings.get(r.name)!;
      const before = new Map(current);
      for (const [key, f] of current) if (f.subject.kind === 'machine' && ids.has(f.subject.id)) current.delete(key);
      const machines = [...ids].map((id) => byId.get(id)).filter((m) => m !== undefined);
      if (machines.length === 0) continue;
      const found = r.evaluate({ machines, kmsHosts: fleet.kmsHosts }, now, this.#settings.forRule(r.name));
      for (const f of found) current.set(f.key, stickToHost(f, before.get(f.key), byId));
      for (const [key, f] of before) if (f.subject.kind === 'machine' && ids.has(f.subject.id)) this.#noteChange(f, current.get(key));
      for (const f of found) if (!before.has(f.key)) this.#noteChange(undefined, f);
    }
  }

  /**
   * Rises whenever a finding appears, changes or goes: a caller that saw the same version has nothing new to
   * reconcile (most ingest batches change no finding at all).
   */
  get version(): number {
    return this.#version;
  }

  #noteChange(before: Finding | undefined, after: Finding | undefined): void {
    if (before === after) return;
    if (!before || !after || JSON.stringify(before) !== JSON.stringify(after)) this.#version++;
  }

  /** True when some fleet-scoped rule cares about one of these changes. */
  touchesFleetRules(changes: readonly FleetChange[]): boolean {
    return this.#rules.some((r) => r.scope === 'fleet' && changes.some((c) => r.touchedBy.some((k) => c.kinds.includes(k))));
  }

  findings(): Finding[] {
    return [...this.#findings.values()].flatMap((m) => [...m.values()]);
  }

  #replaceAll(r: RuleDefinition, fleet: FleetView, now: number): void {
    const found = r.evaluate(fleet, now, this.#settings.forRule(r.name));
    const before = this.#findings.get(r.name)!;
    const byId = new Map(fleet.machines.map((m) => [m.machineId, m]));
    const next = new Map(found.map((f) => [f.key, stickToHost(f, before.get(f.key), byId)]));
    for (const [key, f] of before) this.#noteChange(f, next.get(key));
    for (const [key, f] of next) if (!before.has(key)) this.#noteChange(undefined, f);
    this.#findings.set(r.name, next);
  }
}

/**
 * A client that finds two hosts through DNS asks them in random order, so "the host it depends on" can change from
 * one request to the next; its alert would then hop between the two hosts' incidents, resolving and re-raising each
 * time. A finding keeps the host it had as long as the machine still uses that host.
 */
function stickToHost(f: Finding, before: Finding | undefined, machines: ReadonlyMap<string, MachineView>): Finding {
  if (!before?.kmsHost || !f.kmsHost || before.kmsHost === f.kmsHost || f.subject.kind !== 'machine') return f;
  const m = machines.get(f.subject.id);
  return m && stillUses(m, before.kmsHost) ? { ...f, kmsHost: before.kmsHost } : f;
}

function stillUses(m: MachineView, host: string): boolean {
  if (m.products.some((p) => p.kmsHost && canonicalHostName(p.kmsHost.name) === host)) return true;
  return m.recentEvents.some((e) => e.payload.kind === 'activation-request' && e.payload.kmsHost !== null && canonicalHostName(e.payload.kmsHost) === host);
}
