/**
 * The bookkeeping both outboxes share: ordering, the on-disk bound and its compaction. Subclasses only persist.
 */
import type { Outbox, OutboxEntry, OutboxProgress, OutboxStats, QueuedReport } from './outbox.js';

export interface OutboxLimits {
  /** Bytes of queued reports before compaction starts (default 20 MiB). */
  maxBytes: number;
}

export const DEFAULT_OUTBOX_MAX_BYTES = 20 * 1024 * 1024;

export function entrySize(e: Pick<OutboxEntry, 'epoch' | 'seq' | 'report'>, bookmarks?: Record<string, number>): number {
  return Buffer.byteLength(JSON.stringify({ epoch: e.epoch, seq: e.seq, bookmarks, report: e.report }));
}

export abstract class OutboxCore implements Outbox {
  protected entries: OutboxEntry[] = [];
  protected prog: OutboxProgress;
  #bytes = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #droppedEvents = 0;
  #compactedSnapshots = 0;
  readonly #limits: OutboxLimits;
  readonly #log: (line: string) => void;

  protected constructor(progress: OutboxProgress, limits: OutboxLimits, log: (line: string) => void) {
    this.prog = progress;
    this.#limits = limits;
    this.#log = log;
  }

  protected adopt(entries: OutboxEntry[]): void {
    this.entries = entries.sort((a, b) => a.epoch - b.epoch || a.seq - b.seq);
    this.#bytes = entries.reduce((n, e) => n + e.size, 0);
  }

  protected abstract persistEntry(entry: OutboxEntry, bookmarks: Record<string, number> | undefined): Promise<void>;
  protected abstract removeEntry(entry: OutboxEntry): Promise<void>;
  protected abstract persistProgress(progress: OutboxProgress): Promise<void>;

  /** Runs mutations one at a time: two appends must not interleave their two writes. */
  protected serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  progress(): OutboxProgress {
    return { epoch: this.prog.epoch, seq: this.prog.seq, bookmarks: { ...this.prog.bookmarks } };
  }

  get size(): number {
    return this.entries.length;
  }

  stats(): OutboxStats {
    return {
      entries: this.entries.length,
      bytes: this.#bytes,
      droppedEvents: this.#droppedEvents,
      compactedSnapshots: this.#compactedSnapshots,
    };
  }

  append(build: (epoch: number, seq: number) => QueuedReport, bookmarks?: Record<string, number>): Promise<OutboxEntry> {
    return this.serial(async () => {
      const epoch = this.prog.epoch;
      const seq = this.prog.seq + 1;
      const report = build(epoch, seq);
      const merged = bookmarks ? { ...this.prog.bookmarks, ...bookmarks } : undefined;
      const entry: OutboxEntry = { epoch, seq, report, size: entrySize({ epoch, seq, report }, merged) };
      // 1. the report with the bookmarks it reached; 2. the progress. A crash between them is repaired on open from
      // the entry; the entry becomes sendable (visible to peek) only after both.
      await this.persistEntry(entry, merged);
      this.prog = { epoch, seq, bookmarks: merged ?? this.prog.bookmarks };
      await this.persistProgress(this.prog);
      this.entries.push(entry);
      this.#bytes += entry.size;
      if (this.#bytes > this.#limits.maxBytes) await this.#compact();
      return entry;
    });
  }

  peek(max: number): OutboxEntry[] {
    const first = this.entries[0];
    if (!first) return [];
    const out: OutboxEntry[] = [];
    for (const e of this.entries) {
      if (e.epoch !== first.epoch || out.length >= max) break;
      out.push(e);
    }
    return out;
  }

  ack(epoch: number, through: number): Promise<number> {
    return this.serial(async () => {
      const gone = this.entries.filter((e) => e.epoch === epoch && e.seq <= through);
      for (const e of gone) await this.removeEntry(e);
      this.entries = this.entries.filter((e) => !(e.epoch === epoch && e.seq <= through));
      this.#bytes -= gone.reduce((n, e) => n + e.size, 0);
      return gone.length;
    });
  }

  resetBookmark(log: string, to: number): Promise<void> {
    return this.serial(async () => {
      // Queued reports carry the (higher) bookmarks they reached, and a reopen takes the highest it finds: drop them
      // first, or a restart would bring the old bookmark back. progress.json already holds every log's value.
      for (const e of this.entries) await this.persistEntry(e, undefined);
      this.prog = { ...this.prog, bookmarks: { ...this.prog.bookmarks, [log]: to } };
      await this.persistProgress(this.prog);
    });
  }

  async #rewrite(e: OutboxEntry, report: QueuedReport): Promise<void> {
    const size = entrySize({ epoch: e.epoch, seq: e.seq, report });
    this.#bytes += size - e.size;
    e.report = report;
    e.size = size;
    await this.persistEntry(e, undefined);
  }

  /**
   * Over the bound: first replace superseded snapshots (a later one is queued) by a heartbeat or strip them from
   * reports that also carry events; only then drop the oldest events, counting them in that report's lostEvents.
   * Seqs stay contiguous, so the collector sees no gap.
   */
  async #compact(): Promise<void> {
    const max = this.#limits.maxBytes;
    let lastSnapshot = -1;
    this.entries.forEach((e, i) => {
      if (e.report.snapshot) lastSnapshot = i;
    });
    for (let i = 0; i < lastSnapshot && this.#bytes > max; i++) {
      const e = this.entries[i]!;
      if (!e.report.snapshot) continue;
      const { snapshot: _superseded, ...rest } = e.report;
      const keeps = (rest.events?.length ?? 0) > 0 || (rest.lostEvents ?? 0) > 0;
      await this.#rewrite(e, keeps ? rest : { ...rest, heartbeat: true });
      this.#compactedSnapshots++;
    }
    let dropped = 0;
    for (let i = 0; i < this.entries.length - 1 && this.#bytes > max; i++) {
      const e = this.entries[i]!;
      const n = e.report.events?.length ?? 0;
      if (n === 0) continue;
      const { events: _dropped, ...rest } = e.report;
      await this.#rewrite(e, { ...rest, lostEvents: (rest.lostEvents ?? 0) + n });
      dropped += n;
    }
    if (dropped > 0) {
      this.#droppedEvents += dropped;
      this.#log(`outbox over ${max} bytes: dropped ${dropped} oldest events (reported to the collector as lostEvents)`);
    }
  }
}
