import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRows } from '../../dashboard/server/store/row-reader.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fileDatabase(rows: number): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'vawatch-rows-'));
  dirs.push(dir);
  const db = new Database(join(dir, 'rows.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, note TEXT)');
  const put = db.prepare('INSERT INTO t (id, name, note) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let k = 1; k <= rows; k++) put.run(k, `machine-${k}™`, k % 7 === 0 ? null : 'x'.repeat(k % 50));
  })();
  return db;
}

async function collect(db: Database.Database, sql: string, ...params: unknown[]): Promise<{ rows: unknown[][]; chunks: number }> {
  const rows: unknown[][] = [];
  let chunks = 0;
  for await (const chunk of readRows(db, sql, ...params)) {
    chunks++;
    rows.push(...chunk);
  }
  return { rows, chunks };
}

describe('readRows: a query read by a second thread, in chunks', () => {
  it('gives every row of a file database in order, as arrays, the same as reading it here', async () => {
    const db = fileDatabase(9_001);
    const { rows, chunks } = await collect(db, 'SELECT id, name, note FROM t WHERE id > ? ORDER BY id', 0);
    expect(rows).toEqual(db.prepare('SELECT id, name, note FROM t ORDER BY id').raw(true).all());
    expect(chunks).toBeGreaterThan(1);
    db.close();
  });

  it('reads a database in memory on this thread, in the same chunks', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const put = db.prepare('INSERT INTO t (id) VALUES (?)');
    for (let k = 1; k <= 4_500; k++) put.run(k);
    const { rows, chunks } = await collect(db, 'SELECT id FROM t ORDER BY id');
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 4_500 }, (_, k) => k + 1));
    expect(chunks).toBe(3);
  });

  it('fails with the reason when the query cannot run; a consumer may stop early', async () => {
    const db = fileDatabase(10);
    await expect(collect(db, 'SELECT missing_column FROM t')).rejects.toThrow(/reading rows failed: no such column: missing_column/);
    const first: unknown[][] = [];
    for await (const chunk of readRows(db, 'SELECT id FROM t')) {
      first.push(...chunk);
      break;
    }
    expect(first).toHaveLength(10);
    db.close();
  });
});
