import type { CollectorEventPayload } from '../../../shared/api.js';
import { COLLECTOR_EVENT_LOG } from '../../../shared/api.js';
import type { FleetState } from '../state/fleet-state.js';
import type { KmsClientEntry, KmsHostState } from '../state/kms-host-state.js';
import type { MachineState } from '../state/machine-state.js';
import type { StateChange, StoredEvent } from '../state/state-change.js';
import type { FleetStore, NewEvent } from '../store/fleet-store.js';

/**
 * What the units of one SQLite transaction have written so far and not yet committed to the in-memory state: the
 * machines, KMS hosts, client-window entries and seq marks of the units that succeeded before, so the next unit of
 * the same transaction (say, the same agent's next request) reads them and not the older committed state.
 */
export class PendingWrites {
  readonly machines = new Map<string, MachineState>();
  readonly hosts = new Map<string, KmsHostState>();
  readonly clients = new Map<string, KmsClientEntry | null>();
  readonly seqs = new Map<string, number>();
  /** Machines whose only change is their report times: one UPDATE of two columns each, written at the end. */
  readonly touched = new Map<string, MachineState>();

  /** Takes over what a unit wrote, once its savepoint was released. */
  absorb(u: UnitOfWork): void {
    const w = u.written;
    for (const [id, m] of w.machines) this.machines.set(id, m);
    for (const [id, h] of w.hosts) this.hosts.set(id, h);
    for (const [k, c] of w.clients) this.clients.set(k, c);
    for (const [k, s] of w.seqs) this.seqs.set(k, s);
    for (const id of w.putMachines) this.touched.delete(id);
    for (const [id, m] of w.touched) this.touched.set(id, m);
  }

  /** Writes the time-only machine updates (inside the transaction, after every unit ran). */
  writeTouched(store: FleetStore): void {
    for (const m of this.touched.values()) store.touchMachine(m.machineId, m.lastReportAt, m.lastReceivedAt);
  }
}

/**
 * One request's worth of fleet changes inside a (possibly shared) SQLite transaction. Reads see the changes made so
 * far in this unit, then those of the units before it in the same transaction, then the committed state; writes go
 * to SQLite at once and become state changes, which are committed to the in-memory state only after the transaction
 * committed. If the unit throws, its savepoint rolls back and nothing of it reaches memory.
 */
export class UnitOfWork {
  readonly changes: StateChange[] = [];
  readonly afterCommit: Array<() => void> = [];
  #state: FleetState;
  #store: FleetStore;
  #pending: PendingWrites;
  readonly written = {
    machines: new Map<string, MachineState>(),
    hosts: new Map<string, KmsHostState>(),
    clients: new Map<string, KmsClientEntry | null>(),
    seqs: new Map<string, number>(),
    putMachines: new Set<string>(),
    touched: new Map<string, MachineState>(),
  };

  constructor(state: FleetState, store: FleetStore, pending: PendingWrites = new PendingWrites()) {
    this.#state = state;
    this.#store = store;
    this.#pending = pending;
  }

  get state(): FleetState {
    return this.#state;
  }

  machine(id: string): MachineState | undefined {
    return this.written.machines.get(id) ?? this.#pending.machines.get(id) ?? this.#state.machine(id);
  }
  kmsHost(id: string): KmsHostState | undefined {
    return this.written.hosts.get(id) ?? this.#pending.hosts.get(id) ?? this.#state.kmsHost(id);
  }
  kmsClient(hostId: string, cmid: string): KmsClientEntry | undefined {
    const k = `${hostId}\n${cmid}`;
    if (this.written.clients.has(k)) return this.written.clients.get(k) ?? undefined;
    if (this.#pending.clients.has(k)) return this.#pending.clients.get(k) ?? undefined;
    return this.#state.clientWindow(hostId).get(cmid);
  }

  /** The highest seq stored for (agent, epoch), this transaction's earlier units included. */
  seqOf(agent: { agentId: string; seqs: { get(epoch: number): number | undefined } }, epoch: number): number {
    const k = `${agent.agentId}\n${epoch}`;
    return this.written.seqs.get(k) ?? this.#pending.seqs.get(k) ?? agent.seqs.get(epoch) ?? 0;
  }
  noteSeq(agentId: string, epoch: number, seq: number): void {
    this.written.seqs.set(`${agentId}\n${epoch}`, seq);
  }

  putMachine(next: MachineState): void {
    const before = this.machine(next.machineId) ?? null;
    this.#store.putMachine(next);
    this.written.machines.set(next.machineId, next);
    this.written.putMachines.add(next.machineId);
    this.written.touched.delete(next.machineId);
    this.changes.push({ kind: 'machine', id: next.machineId, before, after: next });
  }

  /**
   * A machine whose report changed nothing but its report times (a heartbeat): the state change carries the new
   * times, the row gets one UPDATE of its two time columns when the transaction's units have all run.
   */
  touchMachine(next: MachineState): void {
    const before = this.machine(next.machineId) ?? null;
    this.written.machines.set(next.machineId, next);
    this.written.touched.set(next.machineId, next);
    this.changes.push({ kind: 'machine', id: next.machineId, before, after: next });
  }

  putKmsHost(next: KmsHostState): void {
    const before = this.kmsHost(next.id) ?? null;
    this.#store.putKmsHost(next);
    this.written.hosts.set(next.id, next);
    this.changes.push({ kind: 'kms-host', id: next.id, before, after: next });
  }

  putKmsClient(hostId: string, next: KmsClientEntry): void {
    const before = this.kmsClient(hostId, next.cmid) ?? null;
    this.#store.putKmsClient(hostId, next);
    this.written.clients.set(`${hostId}\n${next.cmid}`, next);
    this.changes.push({ kind: 'kms-client', id: hostId, before, after: next });
  }

  deleteKmsClient(hostId: string, cmid: string): void {
    const before = this.kmsClient(hostId, cmid);
    if (!before) return;
    this.#store.deleteKmsClient(hostId, cmid);
    this.written.clients.set(`${hostId}\n${cmid}`, null);
    this.changes.push({ kind: 'kms-client', id: hostId, before, after: null });
  }

  addEvent(e: NewEvent): StoredEvent | null {
    const stored = this.#store.addEvent(e);
    if (stored) this.changes.push({ kind: 'event', id: e.machineId, event: stored });
    return stored;
  }

  /** An event the collector writes itself (retired, replaced, re-enrolled…). */
  addCollectorEvent(machineId: string, time: number, receivedAt: number, code: CollectorEventPayload['code'], message: string): void {
    this.addEvent({
      machineId,
      log: COLLECTOR_EVENT_LOG,
      provider: 'collector',
      eventId: 0,
      recordId: null,
      time,
      receivedAt,
      payload: { kind: 'collector', code, message },
    });
  }

  get store(): FleetStore {
    return this.#store;
  }
}

/** Runs `work` in one transaction of its own, then commits its changes to the state (and runs its after-commit steps). */
export function runUnit<T>(
  state: FleetState,
  store: FleetStore,
  work: (u: UnitOfWork) => T,
  onListenerError?: (e: unknown) => void,
): T {
  const pending = new PendingWrites();
  const unit = new UnitOfWork(state, store, pending);
  const result = store.db.transaction(() => {
    const r = work(unit);
    pending.absorb(unit);
    pending.writeTouched(store);
    return r;
  })();
  for (const f of unit.afterCommit) f();
  state.commit(unit.changes, { onListenerError });
  return result;
}
