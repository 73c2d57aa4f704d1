import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Migration } from '../plugin.js';

/** The SQLite file inside the data folder. */
export const DATABASE_FILE = 'vawatch.db';

/** Opens (creating if needed) the collector's database with the pragmas the hot path relies on. */
export function openDatabase(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, DATABASE_FILE));
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a process crash (SIGKILL); only an OS crash may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Reports touch rows all over the fleet's tables: a page cache of 64 MiB (a ceiling, filled as pages are read)
  // keeps the B-trees' inner pages (~30 MB at a million machines) and the hottest rows in the process instead of
  // reading them from the OS on every commit. More buys little: a heartbeat's row is anywhere in a 2 GB file.
  db.pragma('cache_size = -65536');
  // Checkpoint every ~40 MB of WAL instead of every ~4 MB: fewer, larger copies into the database file.
  db.pragma('wal_autocheckpoint = 10000');
  return db;
}

/**
 * Applies the migrations of one owner (`core` or a plug-in's name) that are not yet recorded, each in its own
 * transaction with its record, in version order.
 */
export function migrate(db: Database.Database, owner: string, migrations: readonly Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    owner TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL, applied_at INTEGER NOT NULL,
    PRIMARY KEY (owner, version)) WITHOUT ROWID`);
  const done = new Set(
    (db.prepare('SELECT version FROM schema_migrations WHERE owner = ?').all(owner) as Array<{ version: number }>).map(
      (r) => r.version,
    ),
  );
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const seen = new Set<number>();
  let applied = 0;
  for (const m of sorted) {
    if (seen.has(m.version)) throw new Error(`migration ${owner} #${m.version} is defined twice`);
    seen.add(m.version);
    if (done.has(m.version)) continue;
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.prepare('INSERT INTO schema_migrations (owner, version, description, applied_at) VALUES (?, ?, ?, ?)').run(
        owner,
        m.version,
        m.description,
        Date.now(),
      );
    })();
    applied++;
  }
  return applied;
}
