/**
 * Keeps the current findings of every rule and refreshes only what a change can have altered: on ingest, the rules
 * the change touches (machine-scoped ones on the changed machines alone); when a machine's deadline comes, its
 * time-based rules; fleet-scoped rules on the views the caller hands in (the collector's are built from indexes, so
 * they hold the KMS hosts and the few machines a fleet rule needs, never the fleet).
 * Pure apart from its own memory: the fleet view and the instant come from the caller.
 */
import type { AlertSettings } from './alert-settings.js';
import { canonicalHostName } from './host-names.js';
import type { Finding, FleetView, MachineView, RuleName } from './model.js';
import type { ByGroup, ChangeKind, RuleDefinition } from './rule-definition.js';
import { RULES, type RuleConfig } from './rules/index.js';

export interface FleetChange {
  machineId: string;
  kinds: readonly ChangeKind[];
}

/** Told of every finding that appears (`before` undefined), changes, or goes (`after` undefined). */
export type FindingListener = (before: Finding | undefined, after: Finding | undefined) => void;

export class RuleEvaluator {
  #settings: AlertSettings;
  /** Each rule's configuration lookup, resolved once per settings. */
  #config = new Map<RuleName, ByGroup<RuleConfig>>();
  #rules: readonly RuleDefinition[];
  #findings = new Map<RuleName, Map<string, Finding>>();
  /** Machine-scoped rules: machine id → the keys of its findings, so a machine's findings go without a scan. */
  #byMachine = new Map<RuleName, Map<string, Set<string>>>();
  #version = 0;
  #listeners = new Set<FindingListener>();
  /** Machines evaluated (one per machine per rule run), for tests that prove the work per change is bounded. */
  visits = 0;

  constructor(settings: AlertSettings, rules: readonly RuleDefinition[] = RULES) {
    this.#settings = settings;
    this.#rules = rules;
    for (const r of rules) {
      this.#findings.set(r.name, new Map());
      if (r.scope === 'machine') this.#byMachine.set(r.name, new Map());
    }
  }

  onFindingChange(listener: FindingListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** New thresholds; the caller re-runs the evaluation so findings follow them at once. */
  reconfigure(settings: AlertSettings): void {
    this.#settings = settings;
    this.#config.clear();
  }

  #configOf(name: RuleName): ByGroup<RuleConfig> {
    let c = this.#config.get(name);
    if (!c) this.#config.set(name, (c = this.#settings.forRule<RuleConfig>(name)));
    return c;
  }

  /** Every rule on every machine of the view (hand-written fleets; the collector evaluates in slices instead). */
  evaluateAll(fleet: FleetView, now: number): void {
    for (const r of this.#rules) this.#replaceAll(r, fleet, now);
  }

  /** The time-based rules on every machine of the view (hand-written fleets). */
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
   * Machine-scoped rules look up the changed machines in `fleet.index` when there is one, else in `fleet.machines`.
   */
  evaluateChanges(fleet: FleetView, now: number, changes: readonly FleetChange[], only?: RuleDefinition['scope']): void {
    if (changes.length === 0) return;
    const lookup = lookupIn(fleet);
    for (const r of this.#rules) {
      if (only && r.scope !== only) continue;
      const ids = new Set<string>();
      for (const c of changes) if (r.touchedBy.some((k) => c.kinds.includes(k))) ids.add(c.machineId);
      if (ids.size === 0) continue;
      if (r.scope === 'fleet') this.#replaceAll(r, fleet, now);
      else this.#evaluateOn(r, ids, lookup, fleet, now);
    }
  }

  /**
   * Machine-scoped rules on these machines: every such rule (a machine that appeared, or settings that changed), or
   * only the time-based ones (the machine's deadline came).
   */
  evaluateMachines(fleet: FleetView, now: number, ids: Iterable<string>, which: 'all' | 'time-based'): void {
    const set = ids instanceof Set ? (ids as Set<string>) : new Set(ids);
    if (set.size === 0) return;
    const lookup = lookupIn(fleet);
    for (const r of this.#rules) {
      if (r.scope !== 'machine' || (which === 'time-based' && !r.timeBased)) continue;
      this.#evaluateOn(r, set, lookup, fleet, now);
    }
  }

  /** The fleet-scoped rules (all, or only the time-based ones) on the view. */
  evaluateFleetRules(fleet: FleetView, now: number, which: 'all' | 'time-based'): void {
    for (const r of this.#rules) {
      if (r.scope !== 'fleet' || (which === 'time-based' && !r.timeBased)) continue;
      this.#replaceAll(r, fleet, now);
    }
  }

  /** The first instant after `now` at which time alone can change a time-based rule's answer for this machine. */
  nextDueAt(m: MachineView, now: number): number | null {
    let best: number | null = null;
    for (const r of this.#rules) {
      if (r.scope !== 'machine' || !r.timeBased) continue;
      if (!r.dueAt) throw new Error(`time-based machine rule ${r.name} has no dueAt`);
      const t = r.dueAt(m, now, this.#configOf(r.name));
      if (t !== null && (best === null || t < best)) best = t;
    }
    return best;
  }

  /**
   * Rises whenever a finding appears, changes or goes: a caller that saw the same version has nothing new to
   * reconcile (most ingest batches change no finding at all).
   */
  get version(): number {
    return this.#version;
  }

  /** True when some fleet-scoped rule cares about one of these changes. */
  touchesFleetRules(changes: readonly FleetChange[]): boolean {
    return this.#rules.some((r) => r.scope === 'fleet' && changes.some((c) => r.touchedBy.some((k) => c.kinds.includes(k))));
  }

  findings(): Finding[] {
    return [...this.#findings.values()].flatMap((m) => [...m.values()]);
  }

  #noteChange(before: Finding | undefined, after: Finding | undefined): void {
    if (before === after) return;
    if (before && after && JSON.stringify(before) === JSON.stringify(after)) return;
    this.#version++;
    for (const l of this.#listeners) l(before, after);
  }

  #evaluateOn(r: RuleDefinition, ids: ReadonlySet<string>, lookup: (id: string) => MachineView | undefined, fleet: FleetView, now: number): void {
    const current = this.#findings.get(r.name)!;
    const byMachine = this.#byMachine.get(r.name)!;
    const before = new Map<string, Finding>();
    const machines: MachineView[] = [];
    for (const id of ids) {
      const keys = byMachine.get(id);
      if (keys) {
        for (const k of keys) {
          before.set(k, current.get(k)!);
          current.delete(k);
        }
        byMachine.delete(id);
      }
      const m = lookup(id);
      if (m) machines.push(m);
    }
    this.visits += machines.length;
    const found = machines.length ? r.evaluate({ machines, kmsHosts: fleet.kmsHosts, ...(fleet.index ? { index: fleet.index } : {}) }, now, this.#configOf(r.name)) : [];
    for (const f of found) {
      const kept = stickToHost(f, before.get(f.key), lookup);
      current.set(f.key, kept);
      indexFinding(byMachine, kept);
    }
    for (const [key, f] of before) this.#noteChange(f, current.get(key));
    for (const f of found) if (!before.has(f.key)) this.#noteChange(undefined, current.get(f.key));
  }

  #replaceAll(r: RuleDefinition, fleet: FleetView, now: number): void {
    this.visits += fleet.machines.length;
    const found = r.evaluate(fleet, now, this.#configOf(r.name));
    const before = this.#findings.get(r.name)!;
    const lookup = lookupIn(fleet);
    const next = new Map(found.map((f) => [f.key, stickToHost(f, before.get(f.key), lookup)]));
    this.#findings.set(r.name, next);
    if (r.scope === 'machine') {
      const byMachine = new Map<string, Set<string>>();
      for (const f of next.values()) indexFinding(byMachine, f);
      this.#byMachine.set(r.name, byMachine);
    }
    for (const [key, f] of before) this.#noteChange(f, next.get(key));
    for (const [key, f] of next) if (!before.has(key)) this.#noteChange(undefined, f);
  }
}

function indexFinding(byMachine: Map<string, Set<string>>, f: Finding): void {
  if (f.subject.kind !== 'machine') return;
  let keys = byMachine.get(f.subject.id);
  if (!keys) byMachine.set(f.subject.id, (keys = new Set()));
  keys.add(f.key);
}

/** Finds a machine of the view: among its machines (the ones handed in), else through the index when it has one. */
function lookupIn(fleet: FleetView): (id: string) => MachineView | undefined {
  const index = fleet.index;
  let byId: Map<string, MachineView> | undefined;
  return (id) => (byId ??= new Map(fleet.machines.map((m) => [m.machineId, m]))).get(id) ?? index?.machine(id);
}

/**
 * A client that finds two hosts through DNS asks them in random order, so "the host it depends on" can change from
 * one request to the next; its alert would then hop between the two hosts' incidents, resolving and re-raising each
 * time. A finding keeps the host it had as long as the machine still uses that host.
 */
function stickToHost(f: Finding, before: Finding | undefined, lookup: (id: string) => MachineView | undefined): Finding {
  if (!before?.kmsHost || !f.kmsHost || before.kmsHost === f.kmsHost || f.subject.kind !== 'machine') return f;
  const m = lookup(f.subject.id);
  return m && stillUses(m, before.kmsHost) ? { ...f, kmsHost: before.kmsHost } : f;
}

function stillUses(m: MachineView, host: string): boolean {
  if (m.products.some((p) => p.kmsHost && canonicalHostName(p.kmsHost.name) === host)) return true;
  return m.recentEvents.some((e) => e.payload.kind === 'activation-request' && e.payload.kmsHost !== null && canonicalHostName(e.payload.kmsHost) === host);
}
