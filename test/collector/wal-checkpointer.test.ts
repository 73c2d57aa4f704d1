import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, openDatabase } from '../../dashboard/server/store/database.js';
import { WalCheckpointer } from '../../dashboard/server/store/wal-checkpointer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'vawatch-wal-'));
  dirs.push(d);
  return d;
}

/** The worker is a real thread on a real timer: wait for what it does, with a generous deadline. */
async function until(what: string, cond: () => boolean, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const MB_OF_ROWS = Array.from({ length: 256 }, (_, i) => `${i}:${'x'.repeat(4000)}`);

describe('WalCheckpointer: the WAL is copied into the database file by a worker, not by a commit', () => {
  it('turns off the connection’s own checkpoints and keeps the WAL from growing while writes go on', async () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const cp = new WalCheckpointer(db, { file: join(dir, DATABASE_FILE), intervalMs: 20 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);

    const insert = db.prepare('INSERT INTO blobs (body) VALUES (?)');
    const writeMb = db.transaction(() => {
      for (const b of MB_OF_ROWS) insert.run(b);
    });
    // 24 MB in all: without checkpoints the WAL would hold all of it.
    for (let round = 0; round < 24; round++) {
      writeMb();
      const before = cp.stats.checkpoints;
      await until(`checkpoint after round ${round}`, () => cp.stats.checkpoints > before && cp.stats.copiedFrames >= cp.stats.walFrames);
    }
    // Without checkpoints the WAL would hold all 24 MB. With them it holds a few rounds at most: a round may land
    // while the worker's connection still reads the WAL, and SQLite appends rather than starting the file over (one
    // busy CI run saw 6.5 MB).
    const walBytes = statSync(join(dir, `${DATABASE_FILE}-wal`)).size;
    expect(walBytes).toBeLessThan(12 * 1024 * 1024);
    expect(db.prepare('SELECT count(*) FROM blobs').pluck().get()).toBe(24 * MB_OF_ROWS.length);

    await cp.close();
    db.close();
    // Everything is in the database file: a fresh connection reads it all.
    const again = openDatabase(dir);
    expect(again.prepare('SELECT count(*) FROM blobs').pluck().get()).toBe(24 * MB_OF_ROWS.length);
    again.close();
  });

  it('falls back to automatic checkpoints on the connection when the worker cannot work', async () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    const errors: Error[] = [];
    // A file that does not exist: the worker's connection refuses to open it and the thread ends.
    const cp = new WalCheckpointer(db, { file: join(dir, 'missing.db'), intervalMs: 20, onError: (e) => errors.push(e) });
    await until('the fallback', () => errors.length > 0);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBeGreaterThan(0);
    await cp.close();
    db.close();
  });
});
