import type Database from 'better-sqlite3';
import type { AuditEntry, AuditOutcome } from '../../../shared/api.js';
import type { Clock } from '../../../shared/scheduling.js';

/** What one audited action was; `at` is taken from the injected clock when it is appended. */
export interface AuditRecord {
  actor: string;
  address: string;
  action: string;
  target?: string | null;
  /** What changed, short: never a secret, password or key. */
  detail?: Record<string, unknown> | null;
  outcome: AuditOutcome;
  status: number;
}

export interface AuditLogOptions {
  /** Entries older than this are pruned. */
  retentionMs: number;
  /** At most this many entries are kept (the oldest go first). */
  maxEntries: number;
  /** Appended entries are written together after this many ms (a real timer: it batches I/O, decides nothing). */
  flushMs?: number;
  /** Rows deleted per statement while pruning (the loop yields between statements). */
  pruneSlice?: number;
}

/** A detail's JSON is cut to this many characters: the log says what changed, it is not a copy of the request. */
const DETAIL_MAX_CHARS = 1000;
/** Rows deleted per statement while pruning, so a big prune never holds the database for long. */
const PRUNE_SLICE = 5_000;
/** Pending entries written at once, without waiting for the timer. */
const FLUSH_AT = 500;

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  address: string;
  action: string;
  target: string | null;
  detail: string | null;
  outcome: AuditOutcome;
  status: number;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  before?: number;
  limit: number;
}

/**
 * The audit trail: who did what, when, from where, and how it ended. Appends are queued in memory and written in one
 * transaction a moment later (or when a read needs them), so an audited request costs no SQLite write of its own.
 * Kept bounded by age and count, pruned in slices.
 */
export class AuditLog {
  #db: Database.Database;
  #clock: Clock;
  #opts: Required<AuditLogOptions>;
  #pending: Array<Omit<AuditRow, 'id'>> = [];
  #timer: NodeJS.Timeout | null = null;
  #insert: Database.Statement;
  #writeAll: (rows: Array<Omit<AuditRow, 'id'>>) => void;

  constructor(db: Database.Database, clock: Clock, opts: AuditLogOptions) {
    this.#db = db;
    this.#clock = clock;
    this.#opts = { flushMs: 200, pruneSlice: PRUNE_SLICE, ...opts };
    this.#insert = db.prepare(
      'INSERT INTO audit_log (at, actor, address, action, target, detail, outcome, status) VALUES (@at, @actor, @address, @action, @target, @detail, @outcome, @status)',
    );
    this.#writeAll = db.transaction((rows: Array<Omit<AuditRow, 'id'>>) => {
      for (const r of rows) this.#insert.run(r);
    });
  }

  append(r: AuditRecord): void {
    let detail: string | null = null;
    if (r.detail && Object.keys(r.detail).length > 0) {
      detail = JSON.stringify(r.detail);
      if (detail.length > DETAIL_MAX_CHARS) detail = JSON.stringify({ truncated: detail.slice(0, DETAIL_MAX_CHARS) });
    }
    this.#pending.push({
      at: this.#clock.now(),
      actor: r.actor.slice(0, 200),
      address: r.address.slice(0, 100),
      action: r.action.slice(0, 100),
      target: r.target ? r.target.slice(0, 300) : null,
      detail,
      outcome: r.outcome,
      status: r.status,
    });
    if (this.#pending.length >= FLUSH_AT) this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.flush(), this.#opts.flushMs);
      this.#timer.unref();
    }
  }

  /** Writes what is queued (one transaction). Called by the timer, before reads and at close. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pending.length === 0) return;
    const rows = this.#pending;
    this.#pending = [];
    this.#writeAll(rows);
  }

  /** Newest first, `before` an id (exclusive); one index range read whatever the log's size. */
  page(f: AuditFilter): { items: AuditEntry[]; nextBefore: number | null } {
    const rows = this.read({ ...f, limit: f.limit + 1 });
    const more = rows.length > f.limit;
    const items = more ? rows.slice(0, f.limit) : rows;
    return { items, nextBefore: more ? items[items.length - 1]!.id : null };
  }

  /** Up to `limit` entries newest first (read at once: no statement stays open across turns of the loop). */
  read(f: AuditFilter): AuditEntry[] {
    this.flush();
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (f.actor !== undefined) {
      where.push('actor = ?');
      args.push(f.actor);
    }
    if (f.action !== undefined) {
      where.push('action = ?');
      args.push(f.action);
    }
    if (f.before !== undefined) {
      where.push('id < ?');
      args.push(f.before);
    }
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.#db.prepare(sql).all(...args, f.limit) as AuditRow[]).map(toEntry);
  }

  /** Drops entries past the retention age or count, `pruneSlice` rows per statement, yielding between slices. */
  async prune(yieldBetween: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<number> {
    this.flush();
    const cutoff = this.#clock.now() - this.#opts.retentionMs;
    const slice = this.#opts.pruneSlice;
    const byAge = this.#db.prepare(`DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? ORDER BY at LIMIT ${slice})`);
    let removed = 0;
    for (;;) {
      const n = byAge.run(cutoff).changes;
      removed += n;
      if (n < slice) break;
      await yieldBetween();
    }
    // Ids are rowids (the newest + 1) and rows only ever leave from the oldest end, so they are contiguous: the
    // count bound is an id threshold, found without counting.
    const newest = (this.#db.prepare('SELECT max(id) AS id FROM audit_log').get() as { id: number | null }).id;
    if (newest !== null && newest > this.#opts.maxEntries) {
      const keepFrom = newest - this.#opts.maxEntries + 1;
      const byCount = this.#db.prepare(`DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE id < ? ORDER BY id LIMIT ${slice})`);
      for (;;) {
        const n = byCount.run(keepFrom).changes;
        removed += n;
        if (n < slice) break;
        await yieldBetween();
      }
    }
    return removed;
  }

  close(): void {
    this.flush();
  }
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    address: r.address,
    action: r.action,
    target: r.target,
    detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
    outcome: r.outcome,
    status: r.status,
  };
}
