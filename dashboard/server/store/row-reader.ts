import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Rows per message from the reading thread, and messages it may have ahead of the consumer (bounds the memory held). */
const CHUNK_ROWS = 2000;
const CHUNKS_AHEAD = 4;

/**
 * The reading thread: its own read-only connection steps the statement and posts rows as arrays, `CHUNK_ROWS` at a
 * time, at most `CHUNKS_AHEAD` unanswered. CommonJS source run with `eval`, so it needs no file of its own next to the
 * bundle; better-sqlite3 is required by the path the collector resolved.
 */
const READER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let db;
let rows;
let credit = workerData.ahead;
let done = false;
function pump() {
  try {
    if (!rows) {
      const Database = require(workerData.driver);
      db = new Database(workerData.file, { readonly: true, fileMustExist: true });
      rows = db.prepare(workerData.sql).raw(true).iterate(...workerData.params);
    }
    while (credit > 0 && !done) {
      const chunk = [];
      while (chunk.length < workerData.chunk) {
        const next = rows.next();
        if (next.done) { done = true; break; }
        chunk.push(next.value);
      }
      credit--;
      parentPort.postMessage({ rows: chunk, done });
    }
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message ? e.message : e) });
    done = true;
  }
  if (done && db) db.close();
}
parentPort.on('message', () => { credit++; pump(); });
pump();
`;

/**
 * The rows of a query, in chunks of arrays, read by a second thread from the same SQLite file: at start a million
 * machines' rows are stepped and their text copied out of SQLite (~7 s at a million on the machine that measured it)
 * on the other core, while this thread turns the previous chunk into state. Receiving a chunk costs this thread about
 * a third of reading it. A database in memory (tests) has no file to share: it is read here, in the same chunks.
 *
 * Meant for loading at start, before anything writes: the second connection sees what was committed when it began.
 */
export async function* readRows<Row extends unknown[]>(db: Database.Database, sql: string, ...params: unknown[]): AsyncGenerator<Row[]> {
  if (db.memory) {
    let chunk: Row[] = [];
    for (const r of db.prepare(sql).raw(true).iterate(...params) as IterableIterator<Row>) {
      chunk.push(r);
      if (chunk.length === CHUNK_ROWS) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length) yield chunk;
    return;
  }
  const worker = new Worker(READER_SOURCE, {
    eval: true,
    workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file: db.name, sql, params, chunk: CHUNK_ROWS, ahead: CHUNKS_AHEAD },
  });
  const queue: Array<{ rows?: Row[]; done?: boolean; error?: string }> = [];
  let failure: Error | undefined;
  let exited = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (m: { rows?: Row[]; done?: boolean; error?: string }) => {
    queue.push(m);
    notify();
  });
  worker.on('error', (e) => {
    failure = e;
    notify();
  });
  worker.on('exit', () => {
    exited = true;
    notify();
  });
  try {
    for (;;) {
      const m = queue.shift();
      if (!m) {
        if (failure) throw failure;
        if (exited) throw new Error(`the row reader stopped before the end of: ${sql}`);
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (m.error !== undefined) throw new Error(`reading rows failed: ${m.error}`);
      if (!m.done) worker.postMessage(0); // one more chunk may be read ahead
      if (m.rows!.length) yield m.rows!;
      if (m.done) return;
    }
  } finally {
    await worker.terminate();
  }
}
