/**
 * The health rollup kept up to date by deltas, as SCOM rolls it up: machine → the KMS host it depends on → group →
 * fleet, worst state wins. A machine's health is its own (unknown before its first licensing report) made worse by
 * every finding that names it; per KMS host dependency and per group the tally keeps how many live machines are in
 * each health, so a host, a group or the fleet is answered from a handful of counters, and a change costs O(what it
 * touched). `healthRollup` (health-rollup.ts) computes the same from scratch for hand-written fleets.
 */
import type { Health } from '../../shared/api.js';
import { keyPart, SharedValues } from '../server/state/interned.js';
import { canonicalHostName, firstLabel, sameHost } from './host-names.js';
import type { Finding, KmsHostView, MachineView, Severity } from './model.js';

const LEVELS: readonly Health[] = ['unknown', 'healthy', 'warning', 'critical'];
const RANK: Record<Health, number> = { unknown: 0, healthy: 1, warning: 2, critical: 3 };

function worst(a: Health, b: Health): Health {
  return RANK[b] > RANK[a] ? b : a;
}

/** The worst level with a non-zero count, or unknown. */
function worstOf(counts: readonly number[] | undefined): Health {
  if (!counts) return 'unknown';
  for (let i = 3; i >= 0; i--) if (counts[i]! > 0) return LEVELS[i]!;
  return 'unknown';
}

/** What a live machine was counted as. */
interface Entry {
  readonly health: Health;
  readonly group: string;
  readonly dep: string | null;
}

export class HealthTally {
  /** Live machines only. */
  #entries = new Map<string, Entry>();
  /** Entries repeat across the fleet (four healths, the groups, the hosts depended on): one per distinct value. */
  #shared = new SharedValues<Entry>();
  #machineFindings = new Map<string, Map<string, Severity>>();
  #hostFindings = new Map<string, Map<string, Severity>>();
  #byDependency = new Map<string, number[]>();
  /** First label of a dependency name → the names, for the bare-name / FQDN match. */
  #dependencyNames = new Map<string, Set<string>>();
  #byGroup = new Map<string, number[]>();
  #counts = [0, 0, 0, 0];

  /**
   * A finding appeared, changed or went: returns the machines whose health may have moved (refresh them with
   * `update`). KMS host findings are kept per host and read when the host is asked for.
   */
  finding(before: Finding | undefined, after: Finding | undefined): string[] {
    const touched: string[] = [];
    for (const [f, add] of [
      [before, false],
      [after, true],
    ] as const) {
      if (!f) continue;
      if (f.subject.kind === 'kms-host') note(this.#hostFindings, f.subject.id, f.key, add ? f.severity : null);
      const ids = new Set(f.machines.map((m) => m.machineId));
      if (f.subject.kind === 'machine') ids.add(f.subject.id);
      for (const id of ids) {
        note(this.#machineFindings, id, f.key, add ? f.severity : null);
        touched.push(id);
      }
    }
    return touched;
  }

  /** Brings one machine's share up to date (undefined or retired: it leaves the tally). */
  update(id: string, m: MachineView | undefined, dependency: string | null): void {
    const old = this.#entries.get(id);
    if (old) this.#count(old, -1);
    if (!m || m.retired) {
      this.#entries.delete(id);
      return;
    }
    let health: Health = m.products.length === 0 && !m.kmsService ? 'unknown' : 'healthy';
    for (const s of this.#machineFindings.get(id)?.values() ?? []) health = worst(health, s);
    const entry = this.#entry(health, m.group, dependency);
    this.#entries.set(id, entry);
    this.#count(entry, 1);
  }

  machine(id: string): Health {
    return this.#entries.get(id)?.health ?? 'unknown';
  }

  /** Live machines per health. */
  counts(): Record<Health, number> {
    return { unknown: this.#counts[0]!, healthy: this.#counts[1]!, warning: this.#counts[2]!, critical: this.#counts[3]! };
  }

  /** The worst health of the live machines that depend on a host of this name. */
  dependents(hostname: string): Health {
    const name = canonicalHostName(hostname);
    let h: Health = 'unknown';
    for (const dep of this.#dependencyNames.get(firstLabel(name)) ?? []) if (sameHost(dep, name)) h = worst(h, worstOf(this.#byDependency.get(dep)));
    return h;
  }

  /** A KMS host an agent reports on: its count, its findings, its own machine and its clients. */
  kmsHost(h: Pick<KmsHostView, 'hostId' | 'hostname' | 'machineId' | 'kmsService'>): Health {
    let health: Health = h.kmsService.currentCount === null ? 'unknown' : 'healthy';
    const findings = this.#hostFindings.get(h.hostId);
    let fromFindings: Health = findings ? 'healthy' : 'unknown';
    for (const s of findings?.values() ?? []) fromFindings = worst(fromFindings, s);
    health = worst(health, fromFindings);
    if (h.machineId) health = worst(health, this.machine(h.machineId));
    return worst(health, this.dependents(h.hostname));
  }

  /** A group: its live machines and the hosts in it. */
  group(group: string, hostsInGroup: Iterable<Health>): Health {
    let h = worstOf(this.#byGroup.get(group));
    for (const x of hostsInGroup) h = worst(h, x);
    return h;
  }

  /** Groups that have live machines. */
  groups(): IterableIterator<string> {
    return this.#byGroup.keys();
  }

  /** The fleet: every live machine and every host. */
  fleet(hosts: Iterable<Health>): Health {
    let h = worstOf(this.#counts);
    for (const x of hosts) h = worst(h, x);
    return h;
  }

  /** The shared entry for these values. */
  #entry(health: Health, group: string, dep: string | null): Entry {
    return this.#shared.share(`${health}/${keyPart(dep)}/${group}`, { health, group, dep });
  }

  #count(e: Entry, by: 1 | -1): void {
    const i = RANK[e.health];
    this.#counts[i]! += by;
    bump(this.#byGroup, e.group, i, by);
    if (e.dep !== null) {
      bump(this.#byDependency, e.dep, i, by);
      const label = firstLabel(e.dep);
      if (this.#byDependency.has(e.dep)) {
        let names = this.#dependencyNames.get(label);
        if (!names) this.#dependencyNames.set(label, (names = new Set()));
        names.add(e.dep);
      } else {
        const names = this.#dependencyNames.get(label);
        names?.delete(e.dep);
        if (names?.size === 0) this.#dependencyNames.delete(label);
      }
    }
  }
}

function bump(map: Map<string, number[]>, key: string, i: number, by: number): void {
  let c = map.get(key);
  if (!c) map.set(key, (c = [0, 0, 0, 0]));
  c[i]! += by;
  if (c[0] === 0 && c[1] === 0 && c[2] === 0 && c[3] === 0) map.delete(key);
}

function note(map: Map<string, Map<string, Severity>>, id: string, key: string, severity: Severity | null): void {
  let m = map.get(id);
  if (severity === null) {
    m?.delete(key);
    if (m?.size === 0) map.delete(id);
    return;
  }
  if (!m) map.set(id, (m = new Map()));
  m.set(key, severity);
}
