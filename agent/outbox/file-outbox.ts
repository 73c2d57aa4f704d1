/**
 * The durable outbox: one file per queued report under `<state>/outbox/`, and `<state>/progress.json` (epoch, last seq,
 * event bookmarks), every write atomic (write-temp + fsync + rename).
 *
 * Crash ordering: a report and the bookmark its events reached are written report-first, and the report file carries
 * those bookmarks. A kill -9 after the report and before progress.json is repaired on open by taking the highest seq
 * and bookmarks found in either, so the events are neither read again (duplicate) nor skipped. A report is sent only
 * after both writes, so an ack can never delete the only record of a bookmark.
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutboxEntry, OutboxProgress, QueuedReport } from './outbox.js';
import { DEFAULT_OUTBOX_MAX_BYTES, OutboxCore } from './outbox-core.js';
import { STATE_DIR_MODE, ensurePrivateDir, readTextIfExists, writeFileAtomic } from '../state/atomic-file.js';

interface EntryFile {
  epoch: number;
  seq: number;
  bookmarks?: Record<string, number>;
  report: QueuedReport;
}

function entryName(epoch: number, seq: number): string {
  return `${String(epoch).padStart(12, '0')}-${String(seq).padStart(12, '0')}.json`;
}

function mergeBookmarks(a: Record<string, number>, b: Record<string, number> | undefined): Record<string, number> {
  const out = { ...a };
  for (const [log, id] of Object.entries(b ?? {})) out[log] = Math.max(out[log] ?? 0, id);
  return out;
}

export interface FileOutboxOptions {
  /** The agent's state folder. */
  dir: string;
  /** The epoch to start when there is no progress at all (the agent lost its state, or never had any). */
  newEpoch: () => number;
  maxBytes?: number;
  log?: (line: string) => void;
  /** fsync every write (default true); see writeFileAtomic. */
  sync?: boolean;
}

export class FileOutbox extends OutboxCore {
  readonly #dir: string;
  readonly #sync: boolean;

  private constructor(dir: string, progress: OutboxProgress, maxBytes: number, log: (line: string) => void, sync: boolean) {
    super(progress, { maxBytes }, log);
    this.#dir = dir;
    this.#sync = sync;
  }

  static async open(opts: FileOutboxOptions): Promise<FileOutbox> {
    const log = opts.log ?? (() => {});
    await ensurePrivateDir(opts.dir);
    const box = join(opts.dir, 'outbox');
    await mkdir(box, { recursive: true, mode: STATE_DIR_MODE });
    const progressText = await readTextIfExists(join(opts.dir, 'progress.json'));
    let progress: OutboxProgress | undefined;
    if (progressText !== undefined) {
      try {
        progress = JSON.parse(progressText) as OutboxProgress;
      } catch {
        log('progress.json is unreadable: rebuilding it from the outbox');
      }
    }
    const entries: OutboxEntry[] = [];
    let bookmarksInOutbox: Record<string, number> = {};
    for (const name of (await readdir(box)).sort()) {
      const path = join(box, name);
      if (!name.endsWith('.json')) {
        await rm(path, { force: true }); // a temporary file a crash left behind
        continue;
      }
      let f: EntryFile;
      try {
        f = JSON.parse(await readFile(path, 'utf8')) as EntryFile;
      } catch {
        await mkdir(join(opts.dir, 'outbox-unreadable'), { recursive: true, mode: STATE_DIR_MODE });
        await rename(path, join(opts.dir, 'outbox-unreadable', name));
        log(`outbox entry ${name} is unreadable: moved to outbox-unreadable/`);
        continue;
      }
      entries.push({ epoch: f.epoch, seq: f.seq, report: f.report, size: Buffer.byteLength(JSON.stringify(f)) });
      bookmarksInOutbox = mergeBookmarks(bookmarksInOutbox, f.bookmarks);
    }
    const newestEntry = entries.reduce<OutboxEntry | undefined>(
      (m, e) => (!m || e.epoch > m.epoch || (e.epoch === m.epoch && e.seq > m.seq) ? e : m),
      undefined,
    );
    const epoch = progress?.epoch ?? newestEntry?.epoch ?? opts.newEpoch();
    const seqInOutbox = entries.filter((e) => e.epoch === epoch).reduce((m, e) => Math.max(m, e.seq), 0);
    const repaired: OutboxProgress = {
      epoch,
      seq: Math.max(progress?.seq ?? 0, seqInOutbox),
      bookmarks: mergeBookmarks(progress?.bookmarks ?? {}, bookmarksInOutbox),
    };
    const outbox = new FileOutbox(opts.dir, repaired, opts.maxBytes ?? DEFAULT_OUTBOX_MAX_BYTES, log, opts.sync ?? true);
    outbox.adopt(entries);
    if (JSON.stringify(repaired) !== JSON.stringify(progress)) await outbox.persistProgress(repaired);
    return outbox;
  }

  protected async persistEntry(entry: OutboxEntry, bookmarks: Record<string, number> | undefined): Promise<void> {
    const f: EntryFile = { epoch: entry.epoch, seq: entry.seq, report: entry.report };
    if (bookmarks) f.bookmarks = bookmarks;
    await writeFileAtomic(join(this.#dir, 'outbox', entryName(entry.epoch, entry.seq)), JSON.stringify(f), { sync: this.#sync });
  }

  protected async removeEntry(entry: OutboxEntry): Promise<void> {
    await rm(join(this.#dir, 'outbox', entryName(entry.epoch, entry.seq)), { force: true });
  }

  protected async persistProgress(progress: OutboxProgress): Promise<void> {
    await writeFileAtomic(join(this.#dir, 'progress.json'), JSON.stringify(progress), { sync: this.#sync });
  }
}
