import type { KmsClientEntry, KmsHostState } from './kms-host-state.js';
import { channelKeyOf, statusKeyOf, type MachineState } from './machine-state.js';
import type { StateChange, StateChangeListener } from './state-change.js';

const EMPTY: ReadonlySet<string> = new Set();
const EMPTY_WINDOW: ReadonlyMap<string, KmsClientEntry> = new Map();

/**
 * The fleet's current state, in memory for the hot path (rebuilt from SQLite at start). Everything here is O(1) per
 * change: indexes (CMID, hostname, KMS host) and counters (status, channel, group) are kept up to date as changes
 * are committed, so summaries and rules never scan the fleet.
 *
 * Only the collector mutates it, through `commit()`, after the store has made the changes durable; everyone else
 * reads and subscribes with `onChange()`.
 */
export class FleetState {
  #machines = new Map<string, MachineState>();
  #kmsHosts = new Map<string, KmsHostState>();
  #windows = new Map<string, Map<string, KmsClientEntry>>();
  #byCmid = new Map<string, Set<string>>();
  #byHostname = new Map<string, Set<string>>();
  #byKmsHost = new Map<string, Set<string>>();
  #clientOsByKmsHost = new Map<string, number>();
  #statusCounts = new Map<string, number>();
  #channelCounts = new Map<string, number>();
  #groupCounts = new Map<string, Map<string, number>>();
  #active = 0;
  #listeners = new Set<StateChangeListener>();
  #ready = false;

  // ---- reading ----

  machine(id: string): MachineState | undefined {
    return this.#machines.get(id);
  }
  /** Every machine, retired ones included. */
  machines(): IterableIterator<MachineState> {
    return this.#machines.values();
  }
  get machineCount(): number {
    return this.#machines.size;
  }
  /** Machines not retired. */
  get activeMachineCount(): number {
    return this.#active;
  }
  kmsHost(id: string): KmsHostState | undefined {
    return this.#kmsHosts.get(id);
  }
  kmsHosts(): IterableIterator<KmsHostState> {
    return this.#kmsHosts.values();
  }
  /** The clients a KMS host has seen (12290), keyed by CMID; entries older than the retention are pruned. */
  clientWindow(kmsHostId: string): ReadonlyMap<string, KmsClientEntry> {
    return this.#windows.get(kmsHostId) ?? EMPTY_WINDOW;
  }
  /** Active machines reporting this CMID (more than one: an un-generalised image). */
  machinesWithCmid(cmid: string): ReadonlySet<string> {
    return this.#byCmid.get(cmid.toLowerCase()) ?? EMPTY;
  }
  /** CMIDs shared by two or more active machines. */
  *duplicateCmids(): IterableIterator<[cmid: string, machineIds: ReadonlySet<string>]> {
    for (const [cmid, ids] of this.#byCmid) if (ids.size > 1) yield [cmid, ids];
  }
  /** Active machines with this host name (case-insensitive). */
  machinesWithHostname(hostname: string): ReadonlySet<string> {
    return this.#byHostname.get(hostname.toLowerCase()) ?? EMPTY;
  }
  /** Active machines whose primary product last used this KMS host. */
  machinesUsingKmsHost(kmsHostId: string): ReadonlySet<string> {
    return this.#byKmsHost.get(kmsHostId) ?? EMPTY;
  }
  /** How many of those run a client OS (the 25 threshold applies to them). */
  clientOsUsingKmsHost(kmsHostId: string): number {
    return this.#clientOsByKmsHost.get(kmsHostId) ?? 0;
  }
  /** Active machines per status key (`"0"`…`"6"`, `"none"`). */
  statusCounts(): ReadonlyMap<string, number> {
    return this.#statusCounts;
  }
  /** Active machines per channel of the primary product (`none` without one). */
  channelCounts(): ReadonlyMap<string, number> {
    return this.#channelCounts;
  }
  /** Active machines per group, per status key. */
  groupStatusCounts(): ReadonlyMap<string, ReadonlyMap<string, number>> {
    return this.#groupCounts;
  }
  /** True once the state has been rebuilt from the store. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Subscribes to every committed change; returns the unsubscribe function. A throwing listener is isolated. */
  onChange(listener: StateChangeListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  // ---- writing (collector only) ----

  /** Marks the state loaded (readyz answers 200 from then on). */
  markReady(): void {
    this.#ready = true;
  }

  /**
   * Applies changes already made durable, then tells the listeners. `notify: false` is for the rebuild at start,
   * when nothing is new.
   */
  commit(changes: readonly StateChange[], options: { notify?: boolean; onListenerError?: (e: unknown) => void } = {}): void {
    for (const c of changes) this.#apply(c);
    if (options.notify === false || this.#listeners.size === 0) return;
    for (const c of changes) {
      for (const l of this.#listeners) {
        try {
          l(c);
        } catch (e) {
          options.onListenerError?.(e);
        }
      }
    }
  }

  #apply(c: StateChange): void {
    switch (c.kind) {
      case 'machine': {
        const old = this.#machines.get(c.id);
        if (old) this.#unindex(old);
        this.#machines.set(c.id, c.after);
        this.#index(c.after);
        return;
      }
      case 'kms-host':
        this.#kmsHosts.set(c.id, c.after);
        return;
      case 'kms-client': {
        let w = this.#windows.get(c.id);
        if (c.after) {
          if (!w) this.#windows.set(c.id, (w = new Map()));
          w.set(c.after.cmid, c.after);
        } else if (c.before && w) {
          w.delete(c.before.cmid);
        }
        return;
      }
      case 'event':
        return;
    }
  }

  #index(m: MachineState): void {
    if (m.retired) return;
    this.#active++;
    if (m.snapshot?.cmid) addTo(this.#byCmid, m.snapshot.cmid.toLowerCase(), m.machineId);
    addTo(this.#byHostname, m.hostname.toLowerCase(), m.machineId);
    if (m.kmsHostId) {
      addTo(this.#byKmsHost, m.kmsHostId, m.machineId);
      if (m.snapshot?.os.kind === 'client') bump(this.#clientOsByKmsHost, m.kmsHostId, 1);
    }
    const status = statusKeyOf(m);
    bump(this.#statusCounts, status, 1);
    bump(this.#channelCounts, channelKeyOf(m), 1);
    let g = this.#groupCounts.get(m.group);
    if (!g) this.#groupCounts.set(m.group, (g = new Map()));
    bump(g, status, 1);
  }

  #unindex(m: MachineState): void {
    if (m.retired) return;
    this.#active--;
    if (m.snapshot?.cmid) removeFrom(this.#byCmid, m.snapshot.cmid.toLowerCase(), m.machineId);
    removeFrom(this.#byHostname, m.hostname.toLowerCase(), m.machineId);
    if (m.kmsHostId) {
      removeFrom(this.#byKmsHost, m.kmsHostId, m.machineId);
      if (m.snapshot?.os.kind === 'client') bump(this.#clientOsByKmsHost, m.kmsHostId, -1);
    }
    const status = statusKeyOf(m);
    bump(this.#statusCounts, status, -1);
    bump(this.#channelCounts, channelKeyOf(m), -1);
    const g = this.#groupCounts.get(m.group);
    if (g) {
      bump(g, status, -1);
      if (g.size === 0) this.#groupCounts.delete(m.group);
    }
  }
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  let s = index.get(key);
  if (!s) index.set(key, (s = new Set()));
  s.add(id);
}
function removeFrom(index: Map<string, Set<string>>, key: string, id: string): void {
  const s = index.get(key);
  if (!s) return;
  s.delete(id);
  if (s.size === 0) index.delete(key);
}
function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
}
