import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the WAL into the database file from a worker thread, so the event loop never waits for it.
 *
 * SQLite's automatic checkpoint runs inside the commit that crosses `wal_autocheckpoint`: at a million machines that
 * commit copies ~40 MB of scattered pages and fsyncs the file, and every request behind it (a load balancer's /healthz
 * too) waits hundreds of milliseconds. Here the collector's own connection never checkpoints (`wal_autocheckpoint = 0`);
 * a second connection in a worker runs a PASSIVE checkpoint every `intervalMs` (one with nothing new to copy returns
 * at once). PASSIVE never blocks the writer: commits keep appending while it copies, and the writer starts the WAL over once a
 * checkpoint has caught up. If the worker dies, the collector goes back to checkpointing on its own connection.
 */
export interface WalCheckpointerOptions {
  /** The database file (the collector's, already in WAL mode). */
  file: string;
  /** How often the worker checkpoints (default 500 ms). */
  intervalMs?: number;
  /** Told when the worker fails and the collector has fallen back to automatic checkpoints. */
  onError?: (error: Error) => void;
}

export interface CheckpointStats {
  /** Checkpoints that found frames in the WAL. */
  checkpoints: number;
  /** Frames in the WAL and frames of it already in the database file, at the last of those. */
  walFrames: number;
  copiedFrames: number;
}

const DEFAULT_INTERVAL_MS = 500;
/** What the collector's connection goes back to if the worker is gone (see openDatabase). */
const FALLBACK_AUTOCHECKPOINT = 10_000;

// Plain CommonJS run with `eval: true`: no file to bundle or transpile, and better-sqlite3 is required by the path the
// main thread resolved. `wal_checkpoint(PASSIVE)` answers { busy, log, checkpointed } (frames in the WAL, frames
// copied); with nothing new to copy it returns without touching the file.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = NORMAL');
let checkpoints = 0, running = true, timer;
function tick() {
  if (!running) return;
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    if (r.log > 0) {
      checkpoints++;
      parentPort.postMessage({ kind: 'stats', checkpoints, walFrames: r.log, copiedFrames: r.checkpointed });
    }
  } catch (e) {
    parentPort.postMessage({ kind: 'error', message: String((e && e.message) || e) });
  }
  timer = setTimeout(tick, workerData.intervalMs);
}
timer = setTimeout(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  running = false;
  clearTimeout(timer);
  try { db.close(); } catch {}
  parentPort.postMessage({ kind: 'closed' });
});
`;

export class WalCheckpointer {
  readonly #db: Database.Database;
  readonly #worker: Worker;
  readonly #onError: (error: Error) => void;
  #stats: CheckpointStats = { checkpoints: 0, walFrames: 0, copiedFrames: 0 };
  #closed = false;
  #fellBack = false;

  /** Turns off the connection's own checkpoints and starts the worker. */
  constructor(db: Database.Database, opts: WalCheckpointerOptions) {
    this.#db = db;
    this.#onError = opts.onError ?? (() => undefined);
    db.pragma('wal_autocheckpoint = 0');
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
        file: opts.file,
        intervalMs: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
      },
    });
    this.#worker.unref();
    this.#worker.on('message', (m: { kind: string; message?: string } & Partial<CheckpointStats>) => {
      if (m.kind === 'stats') this.#stats = { checkpoints: m.checkpoints ?? 0, walFrames: m.walFrames ?? 0, copiedFrames: m.copiedFrames ?? 0 };
      else if (m.kind === 'error') this.#onError(new Error(`WAL checkpoint failed: ${m.message}`));
    });
    this.#worker.on('error', (e) => this.#fallBack(e));
    this.#worker.on('exit', (code) => {
      if (!this.#closed) this.#fallBack(new Error(`the WAL checkpoint worker exited (code ${code})`));
    });
  }

  get stats(): CheckpointStats {
    return this.#stats;
  }

  /** Stops the worker (its connection closes); the caller closes its own connection after, which checkpoints last. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const done = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5_000);
      this.#worker.once('exit', () => (clearTimeout(t), resolve()));
      this.#worker.on('message', (m: { kind: string }) => {
        if (m.kind === 'closed') void this.#worker.terminate();
      });
    });
    this.#worker.postMessage('close');
    await done;
  }

  #fallBack(error: Error): void {
    if (this.#fellBack) return;
    this.#fellBack = true;
    if (this.#db.open) this.#db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT}`);
    this.#onError(error);
  }
}
