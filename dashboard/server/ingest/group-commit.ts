import { ApiError } from '../http/api-error.js';
import type { FleetState } from '../state/fleet-state.js';
import type { FleetStore } from '../store/fleet-store.js';
import { PendingWrites, UnitOfWork } from './unit-of-work.js';

export interface GroupCommitOptions {
  /** How long the first queued request waits for others to share its transaction (0: the next turn of the loop). */
  tickMs: number;
  /** A queue this long is committed at once, without waiting for the tick. */
  maxQueue: number;
  /**
   * At most this many requests share one transaction (default 32). A longer queue is committed in several, one per
   * turn of the event loop, so new connections and probes are served in between: at a million machines the work of
   * 64 snapshot reports, committed and applied together, kept the loop for 20–30 ms.
   */
  maxPerTransaction?: number;
  onListenerError?: (e: unknown) => void;
}

const DEFAULT_MAX_PER_TRANSACTION = 32;

interface Queued {
  work: (u: UnitOfWork) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: the writes of concurrent requests share one SQLite transaction per short tick (up to
 * `maxPerTransaction` of them; the rest follow in the next turns), each request in its own savepoint so one that
 * throws fails alone. After the commit, every unit's changes go to the in-memory state in the order the requests were
 * queued, then each request's promise settles: nothing is acknowledged before the transaction holding it is durable,
 * and a crash loses only unacknowledged work.
 *
 * The tick is a real timer, not the injected scheduler: it batches I/O and decides nothing about fleet time (tests
 * run the collector on a virtual clock and must still be answered).
 */
export class GroupCommit {
  #state: FleetState;
  #store: FleetStore;
  #opts: GroupCommitOptions;
  #queue: Queued[] = [];
  #timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  #closed = false;
  #commits = 0;
  // Called inside the tick's transaction, a better-sqlite3 transaction function is a savepoint: a throw rolls back
  // this request's writes only. Made once: building one per request costs more than the savepoint itself.
  #inSavepoint: (item: Queued, unit: UnitOfWork) => unknown;

  constructor(state: FleetState, store: FleetStore, opts: GroupCommitOptions) {
    this.#state = state;
    this.#store = store;
    this.#opts = opts;
    this.#inSavepoint = store.db.transaction((item: Queued, unit: UnitOfWork) => item.work(unit));
  }

  /** Transactions committed so far (each holding one or more requests). */
  get commits(): number {
    return this.#commits;
  }
  get queued(): number {
    return this.#queue.length;
  }

  /** Queues `work` for the next shared transaction; settles with its result once that transaction committed. */
  submit<T>(work: (u: UnitOfWork) => T): Promise<T> {
    if (this.#closed) return Promise.reject(new ApiError(503, 'shutting-down', 'the collector is shutting down; send again later'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (this.#queue.length >= this.#opts.maxQueue) this.flush();
      else if (this.#timer === null) {
        this.#timer = this.#opts.tickMs > 0 ? setTimeout(() => this.flush(), this.#opts.tickMs) : setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Commits what is queued now: up to `maxPerTransaction` requests in one transaction, the rest in the next turn of the
   * event loop (`all`: every one of them now, in as many transactions as that takes).
   */
  flush(all = false): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = null;
    }
    const limit = this.#opts.maxPerTransaction ?? DEFAULT_MAX_PER_TRANSACTION;
    do this.#commitSome(this.#queue.splice(0, limit));
    while (all && this.#queue.length > 0);
    if (this.#queue.length > 0) this.#timer = setImmediate(() => this.flush());
  }

  #commitSome(items: Queued[]): void {
    if (items.length === 0) return;
    const db = this.#store.db;
    const pending = new PendingWrites();
    const done: Array<{ item: Queued; unit: UnitOfWork; result: unknown }> = [];
    const failed: Array<{ item: Queued; error: unknown }> = [];
    try {
      db.transaction(() => {
        for (const item of items) {
          const unit = new UnitOfWork(this.#state, this.#store, pending);
          try {
            const result = this.#inSavepoint(item, unit);
            pending.absorb(unit);
            done.push({ item, unit, result });
          } catch (error) {
            // An error that ended the whole transaction (disk full, I/O) cannot be isolated: fail the tick.
            if (!db.inTransaction) throw error;
            failed.push({ item, error });
          }
        }
        pending.writeTouched(this.#store);
      })();
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    this.#commits++;
    try {
      for (const d of done) for (const f of d.unit.afterCommit) f();
      const changes = done.length === 1 ? done[0]!.unit.changes : done.flatMap((d) => d.unit.changes);
      this.#state.commit(changes, { onListenerError: this.#opts.onListenerError });
    } catch (e) {
      // The reports are durable whatever happened in memory: they are still acknowledged.
      this.#opts.onListenerError?.(e);
    }
    for (const d of done) d.item.resolve(d.result);
    for (const f of failed) f.item.reject(f.error);
  }

  /** Commits what is queued and refuses anything later (before the database closes). */
  close(): void {
    this.flush(true);
    this.#closed = true;
  }
}
