import type { CollectorEventPayload } from '../../../shared/api.js';
import { COLLECTOR_EVENT_LOG } from '../../../shared/api.js';
import type { FleetState } from '../state/fleet-state.js';
import type { KmsClientEntry, KmsHostState } from '../state/kms-host-state.js';
import type { MachineState } from '../state/machine-state.js';
import type { StateChange, StoredEvent } from '../state/state-change.js';
import type { FleetStore, NewEvent } from '../store/fleet-store.js';

/**
 * One SQLite transaction's worth of fleet changes. Reads see the changes made so far in this unit (an overlay over
 * the committed state); writes go to SQLite at once and become state changes, which `run` commits to the in-memory
 * state only after the transaction committed. If anything throws, the transaction rolls back and memory is untouched.
 */
export class UnitOfWork {
  readonly changes: StateChange[] = [];
  readonly afterCommit: Array<() => void> = [];
  #state: FleetState;
  #store: FleetStore;
  #machines = new Map<string, MachineState>();
  #hosts = new Map<string, KmsHostState>();
  #clients = new Map<string, KmsClientEntry | null>();

  constructor(state: FleetState, store: FleetStore) {
    this.#state = state;
    this.#store = store;
  }

  get state(): FleetState {
    return this.#state;
  }

  machine(id: string): MachineState | undefined {
    return this.#machines.get(id) ?? this.#state.machine(id);
  }
  kmsHost(id: string): KmsHostState | undefined {
    return this.#hosts.get(id) ?? this.#state.kmsHost(id);
  }
  kmsClient(hostId: string, cmid: string): KmsClientEntry | undefined {
    const k = `${hostId}\n${cmid}`;
    if (this.#clients.has(k)) return this.#clients.get(k) ?? undefined;
    return this.#state.clientWindow(hostId).get(cmid);
  }

  putMachine(next: MachineState): void {
    const before = this.machine(next.machineId) ?? null;
    this.#store.putMachine(next);
    this.#machines.set(next.machineId, next);
    this.changes.push({ kind: 'machine', id: next.machineId, before, after: next });
  }

  putKmsHost(next: KmsHostState): void {
    const before = this.kmsHost(next.id) ?? null;
    this.#store.putKmsHost(next);
    this.#hosts.set(next.id, next);
    this.changes.push({ kind: 'kms-host', id: next.id, before, after: next });
  }

  putKmsClient(hostId: string, next: KmsClientEntry): void {
    const before = this.kmsClient(hostId, next.cmid) ?? null;
    this.#store.putKmsClient(hostId, next);
    this.#clients.set(`${hostId}\n${next.cmid}`, next);
    this.changes.push({ kind: 'kms-client', id: hostId, before, after: next });
  }

  deleteKmsClient(hostId: string, cmid: string): void {
    const before = this.kmsClient(hostId, cmid);
    if (!before) return;
    this.#store.deleteKmsClient(hostId, cmid);
    this.#clients.set(`${hostId}\n${cmid}`, null);
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

/** Runs `work` in one transaction, then commits its changes to the state (and runs its after-commit steps). */
export function runUnit<T>(
  state: FleetState,
  store: FleetStore,
  work: (u: UnitOfWork) => T,
  onListenerError?: (e: unknown) => void,
): T {
  const unit = new UnitOfWork(state, store);
  const result = store.db.transaction(() => work(unit))();
  for (const f of unit.afterCommit) f();
  state.commit(unit.changes, { onListenerError });
  return result;
}
