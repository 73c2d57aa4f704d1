import { addOne, removeOne, type SingleIndex } from './single-index.js';
import { KMS_CLIENT_THRESHOLD } from '../../../shared/kms-rules.js';
import { ApplicationByActivation } from './kms-application.js';
import { intern } from './interned.js';
import { applicationOfEntry, type KmsClientEntry, type KmsHostState } from './kms-host-state.js';
import { channelKeyOf, officeNameOf, statusKeyOf, type MachineState } from './machine-state.js';
import type { StateChange, StateChangeListener } from './state-change.js';
import { TimeTally } from './time-tally.js';

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
  #byCmid: SingleIndex = new Map();
  /** CMIDs that two or more active machines share. */
  #sharedCmids = new Set<string>();
  #byHostname: SingleIndex = new Map();
  /** Active machines per KMS host their primary product last used (a count: nothing reads which ones). */
  #usingKmsHost = new Map<string, number>();
  #clientOsByKmsHost = new Map<string, number>();
  #statusCounts = new Map<string, number>();
  #channelCounts = new Map<string, number>();
  /** Active machines per OS caption and per volume Office product name (what the fleet runs). */
  #osCounts = new Map<string, number>();
  #officeCounts = new Map<string, number>();
  #groupCounts = new Map<string, Map<string, number>>();
  /** Active machines by their newest report (enrolment before the first): the summary's stale count. */
  #reportTimes = new TimeTally();
  /**
   * Per KMS host: its window's entries by newest request time, Windows' split by the N-policy they asked with (client
   * OS 25, server OS 5), Office's apart (its own count). Two running cut-offs each (see `windowCountsAfter`).
   */
  #windowTimes = new Map<string, WindowTimes>();
  #active = 0;
  /** Activation ID → Windows or Office, learned from the snapshots (a request's application; see kms-application.ts). */
  readonly applications = new ApplicationByActivation();
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
    return asSet(this.#byCmid.get(cmid.toLowerCase()));
  }
  /** CMIDs shared by two or more active machines. */
  *duplicateCmids(): IterableIterator<[cmid: string, machineIds: ReadonlySet<string>]> {
    for (const cmid of this.#sharedCmids) yield [cmid, asSet(this.#byCmid.get(cmid))];
  }
  /** Active machines with this host name (case-insensitive). */
  machinesWithHostname(hostname: string): ReadonlySet<string> {
    return asSet(this.#byHostname.get(hostname.toLowerCase()));
  }
  /** How many active machines' primary product last used this KMS host. */
  machineCountUsingKmsHost(kmsHostId: string): number {
    return this.#usingKmsHost.get(kmsHostId) ?? 0;
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
  /** Active machines per OS caption (`Microsoft Windows 11 Enterprise`…), those with a snapshot. */
  osCaptionCounts(): ReadonlyMap<string, number> {
    return this.#osCounts;
  }
  /** Active machines per volume Office product name. */
  officeCounts(): ReadonlyMap<string, number> {
    return this.#officeCounts;
  }
  /** Active machines per group, per status key. */
  groupStatusCounts(): ReadonlyMap<string, ReadonlyMap<string, number>> {
    return this.#groupCounts;
  }
  /**
   * Active machines whose newest report was sent (by `lastReportAt`, else enrolled) before `cut` (ms). Kept per change;
   * an answer costs the seconds `cut` moved since the previous one, never a walk of the fleet.
   */
  activeReportedBefore(cut: number): number {
    return this.#reportTimes.countBefore(cut);
  }
  /**
   * Entries of a host's client window whose newest request is after `after` (ms), by N-policy (≥ 25: client OS).
   * `slot` (0 or 1) picks one of two running cut-offs: give each caller its own, so each one's cut-off only moves
   * forward and an answer never walks the window.
   */
  windowCountsAfter(kmsHostId: string, after: number, slot: 0 | 1 = 0): { client: number; server: number; office: number } {
    const t = this.#windowTimes.get(kmsHostId);
    if (!t) return { client: 0, server: 0, office: 0 };
    const cut = Math.floor(after) + 1;
    const n = (x: TimeTally) => x.size - x.countBefore(cut, slot);
    return { client: n(t.client), server: n(t.server), office: n(t.office) };
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

  /**
   * Files what the store held at start, before `markReady()`: every machine and window entry is new, so none is looked
   * up first (a million-entry Map costs ~1 µs a lookup, cache misses mostly: two of the ten per machine at start).
   * Nobody is told.
   */
  load(changes: readonly StateChange[]): void {
    if (this.#ready) throw new Error('the state is loaded already');
    for (const c of changes) this.#apply(c, true);
  }

  /** Marks the state loaded (readyz answers 200 from then on). */
  markReady(): void {
    this.#ready = true;
  }

  /**
   * Applies changes already made durable, then tells the listeners (`notify: false`: nobody, for a state built up
   * before anyone subscribes; see also `load`).
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

  #apply(c: StateChange, fresh = false): void {
    switch (c.kind) {
      case 'machine': {
        const old = fresh ? undefined : this.#machines.get(c.id);
        if (old && sameIndexKeys(old, c.after)) {
          // A heartbeat (or anything else no index or counter looks at): only the report time moves.
          this.#machines.set(c.id, c.after);
          if (!old.retired && (old.lastReportAt ?? old.enrolledAt) !== (c.after.lastReportAt ?? c.after.enrolledAt)) {
            this.#reportTimes.remove(old.lastReportAt ?? old.enrolledAt);
            this.#reportTimes.add(c.after.lastReportAt ?? c.after.enrolledAt);
          }
          return;
        }
        if (old) this.#unindex(old, c.after);
        this.#machines.set(c.id, c.after);
        this.#index(c.after, old);
        return;
      }
      case 'kms-host':
        this.#kmsHosts.set(c.id, c.after);
        return;
      case 'kms-client': {
        let w = this.#windows.get(c.id);
        let times = this.#windowTimes.get(c.id);
        if (!times) this.#windowTimes.set(c.id, (times = { client: new TimeTally(2), server: new TimeTally(2), office: new TimeTally(2) }));
        const cmid = c.after?.cmid ?? c.before?.cmid;
        const old = cmid === undefined || fresh ? undefined : w?.get(cmid);
        if (old) tallyOf(times, old).remove(old.lastRequestAt);
        if (c.after) {
          if (!w) this.#windows.set(c.id, (w = new Map()));
          // At start the strings are shared later, in slices (shareLoadedStrings): two lookups in million-entry Maps
          // per entry, ~3 s of the start at a million machines.
          if (!fresh) this.#shareStrings(c.after);
          w.set(c.after.cmid, c.after);
          tallyOf(times, c.after).add(c.after.lastRequestAt);
        } else if (c.before && w) {
          w.delete(c.before.cmid);
        }
        return;
      }
      case 'event':
        return;
    }
  }

  /**
   * Shares the strings of the window entries loaded at start, as a change's entry shares them at once (see
   * #shareStrings), in slices of about `sliceMs` that hand the event loop back. Sharing an entry twice changes nothing,
   * so entries that change meanwhile need no care.
   */
  async shareLoadedStrings(options: { sliceMs?: number; stopped?: () => boolean } = {}): Promise<void> {
    const { sliceMs = 10, stopped = () => false } = options;
    let sliceStart = performance.now();
    let n = 0;
    for (const w of this.#windows.values()) {
      for (const e of w.values()) {
        this.#shareStrings(e);
        if (++n % 512 === 0 && performance.now() - sliceStart >= sliceMs) {
          await new Promise((r) => setImmediate(r));
          if (stopped()) return;
          sliceStart = performance.now();
        }
      }
    }
  }

  /**
   * A window entry repeats its client's CMID and host name and a fleet-wide activation ID: it points at the client
   * machine's own strings and the shared one instead of holding copies (~150 bytes a client at a million machines).
   * In place, like internSnapshot: the entry was just made (from the store or a report) and holds the same values.
   */
  #shareStrings(e: KmsClientEntry): void {
    const w = e as { -readonly [K in keyof KmsClientEntry]: KmsClientEntry[K] };
    w.activationId = intern(e.activationId);
    const id = this.#byCmid.get(e.cmid.toLowerCase());
    const m = typeof id === 'string' ? this.#machines.get(id) : undefined;
    if (!m) return;
    if (m.snapshot?.cmid === e.cmid) w.cmid = m.snapshot.cmid;
    if (m.hostname === e.clientFqdn) w.clientFqdn = m.hostname;
  }

  /**
   * Files a machine in the indexes and counters. `was` is the state it replaces (just unindexed with this one as
   * `next`): the id indexes keep an entry whose key did not change rather than delete and add it again, because a
   * million-entry Map or a big Set that keeps losing and gaining entries is rehashed whole every so often (hundreds of
   * ms at a million machines, on the event loop).
   */
  #index(m: MachineState, was?: MachineState): void {
    this.applications.learn(m.snapshot);
    if (m.retired) return;
    this.#active++;
    this.#reportTimes.add(m.lastReportAt ?? m.enrolledAt);
    const kept = was && !was.retired ? was : undefined;
    const cmid = cmidKeyOf(m);
    if (cmid !== null && cmid !== (kept && cmidKeyOf(kept))) {
      if (addOne(this.#byCmid, cmid, m.machineId) > 1) this.#sharedCmids.add(cmid);
    }
    const hostname = m.hostname.toLowerCase();
    if (hostname !== kept?.hostname.toLowerCase()) addOne(this.#byHostname, hostname, m.machineId);
    if (m.kmsHostId) {
      bump(this.#usingKmsHost, m.kmsHostId, 1);
      if (m.snapshot?.os.kind === 'client') bump(this.#clientOsByKmsHost, m.kmsHostId, 1);
    }
    const status = statusKeyOf(m);
    bump(this.#statusCounts, status, 1);
    bump(this.#channelCounts, channelKeyOf(m), 1);
    if (m.snapshot) bump(this.#osCounts, m.snapshot.os.caption, 1);
    const office = officeNameOf(m.snapshot);
    if (office !== null) bump(this.#officeCounts, office, 1);
    let g = this.#groupCounts.get(m.group);
    if (!g) this.#groupCounts.set(m.group, (g = new Map()));
    bump(g, status, 1);
  }

  /** Takes a machine out of the indexes and counters; the id indexes keep what `next` files under the same key. */
  #unindex(m: MachineState, next?: MachineState): void {
    if (m.retired) return;
    this.#active--;
    this.#reportTimes.remove(m.lastReportAt ?? m.enrolledAt);
    const kept = next && !next.retired ? next : undefined;
    const cmid = cmidKeyOf(m);
    if (cmid !== null && cmid !== (kept && cmidKeyOf(kept))) {
      if (removeOne(this.#byCmid, cmid, m.machineId) < 2) this.#sharedCmids.delete(cmid);
    }
    const hostname = m.hostname.toLowerCase();
    if (hostname !== kept?.hostname.toLowerCase()) removeOne(this.#byHostname, hostname, m.machineId);
    if (m.kmsHostId) {
      bump(this.#usingKmsHost, m.kmsHostId, -1);
      if (m.snapshot?.os.kind === 'client') bump(this.#clientOsByKmsHost, m.kmsHostId, -1);
    }
    const status = statusKeyOf(m);
    bump(this.#statusCounts, status, -1);
    bump(this.#channelCounts, channelKeyOf(m), -1);
    if (m.snapshot) bump(this.#osCounts, m.snapshot.os.caption, -1);
    const office = officeNameOf(m.snapshot);
    if (office !== null) bump(this.#officeCounts, office, -1);
    const g = this.#groupCounts.get(m.group);
    if (g) {
      bump(g, status, -1);
      if (g.size === 0) this.#groupCounts.delete(m.group);
    }
  }
}

/** True when `a` and `b` sit in every index and counter alike (they may differ in report times and the snapshot). */
function sameIndexKeys(a: MachineState, b: MachineState): boolean {
  return (
    a.retired === b.retired &&
    a.hostname === b.hostname &&
    a.group === b.group &&
    a.kmsHostId === b.kmsHostId &&
    a.snapshot?.cmid === b.snapshot?.cmid &&
    a.snapshot?.os.kind === b.snapshot?.os.kind &&
    statusKeyOf(a) === statusKeyOf(b) &&
    channelKeyOf(a) === channelKeyOf(b) &&
    (a.snapshot === b.snapshot || (a.snapshot?.os.caption === b.snapshot?.os.caption && officeNameOf(a.snapshot) === officeNameOf(b.snapshot)))
  );
}

interface WindowTimes {
  client: TimeTally;
  server: TimeTally;
  office: TimeTally;
}

/** The CMID key a machine is indexed under (lower case), or null without one. */
function cmidKeyOf(m: MachineState): string | null {
  return m.snapshot?.cmid ? m.snapshot.cmid.toLowerCase() : null;
}

function tallyOf(t: WindowTimes, c: KmsClientEntry): TimeTally {
  if (applicationOfEntry(c) === 'office') return t.office;
  return c.nPolicy >= KMS_CLIENT_THRESHOLD ? t.client : t.server;
}

function asSet(entry: string | Set<string> | undefined): ReadonlySet<string> {
  return entry === undefined ? EMPTY : typeof entry === 'string' ? new Set([entry]) : entry;
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
}
