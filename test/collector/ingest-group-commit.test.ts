import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../dashboard/server/ingest/group-commit.js';
import { newMachine } from '../../dashboard/server/ingest/apply-report.js';
import { FleetState } from '../../dashboard/server/state/fleet-state.js';
import { CORE_MIGRATIONS } from '../../dashboard/server/store/core-migrations.js';
import { migrate, openDatabase } from '../../dashboard/server/store/database.js';
import { FleetStore } from '../../dashboard/server/store/fleet-store.js';
import type { CollectorPlugin } from '../../dashboard/server/plugin.js';
import { enrolAgent, report, sendBatch, snapshot, startCollector, storeCounts, T0, type EnrolledAgent, type Harness } from '../support/collector-harness.js';

/** Report `seq` carries one event with record id `seq`. */
function withEvent(a: EnrolledAgent, seq: number, provider = 'Microsoft-Windows-Security-SPP') {
  const at = T0 + seq * 60_000;
  return report(a, seq, at, {
    events: [{ log: 'Application', provider, id: 8198, recordId: seq, time: new Date(at).toISOString(), payload: { kind: 'activation-failed', hresult: 0xc004f074, commandLine: null } }],
  });
}

/** A plug-in whose SQL trigger refuses any event from provider "boom": the request storing it fails inside the transaction. */
const boomTrigger: CollectorPlugin = {
  name: 'test-boom',
  migrations: [
    {
      version: 1,
      description: 'events from provider boom abort their statement',
      up: `CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.provider = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`,
    },
  ],
  setup() {},
};

describe('group commit (GroupCommit on a real SQLite file)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function open() {
    const dir = mkdtempSync(join(tmpdir(), 'vawatch-group-commit-'));
    dirs.push(dir);
    const db = openDatabase(dir);
    migrate(db, 'core', CORE_MIGRATIONS);
    const state = new FleetState();
    const store = new FleetStore(db);
    const reader = new Database(join(dir, 'vawatch.db'), { readonly: true });
    const committed = (id: string) => reader.prepare('SELECT machine_id FROM machines WHERE machine_id = ?').get(id) !== undefined;
    return { db, state, store, reader, committed };
  }
  const machine = (id: string) => newMachine({ agentId: `agt-${id}`, machineId: id, hostname: `ws-${id}` }, T0);

  it('puts the work of requests queued in one tick into one transaction, and settles each only after it committed', async () => {
    const { db, state, store, reader, committed } = open();
    const gc = new GroupCommit(state, store, { tickMs: 20, maxQueue: 100 });
    const seen: string[] = [];
    state.onChange((c) => seen.push(c.id));
    const settled = ['m-1', 'm-2', 'm-3'].map((id) =>
      gc.submit((u) => u.putMachine(machine(id))).then(() => {
        // A second connection sees the row: the transaction holding it is durable before the answer.
        expect(committed(id)).toBe(true);
        expect(state.machine(id)).toBeDefined();
        return id;
      }),
    );
    expect(gc.queued).toBe(3);
    expect(committed('m-1')).toBe(false);
    expect(await Promise.all(settled)).toEqual(['m-1', 'm-2', 'm-3']);
    expect(gc.commits).toBe(1);
    expect(seen).toEqual(['m-1', 'm-2', 'm-3']); // committed to memory in queue order
    reader.close();
    db.close();
  });

  it('a request that throws fails alone with its own error; the others of its tick commit', async () => {
    const { db, state, store, reader, committed } = open();
    const gc = new GroupCommit(state, store, { tickMs: 20, maxQueue: 100 });
    const ok1 = gc.submit((u) => u.putMachine(machine('m-1')));
    const bad = gc.submit((u) => {
      u.putMachine(machine('m-bad'));
      throw new Error('this request is broken');
    });
    const ok2 = gc.submit((u) => {
      // A later unit of the same transaction does not see the failed one's writes.
      expect(u.machine('m-bad')).toBeUndefined();
      expect(u.machine('m-1')).toBeDefined();
      u.putMachine(machine('m-2'));
    });
    await expect(bad).rejects.toThrow('this request is broken');
    await ok1;
    await ok2;
    expect(gc.commits).toBe(1);
    expect([committed('m-1'), committed('m-bad'), committed('m-2')]).toEqual([true, false, true]);
    expect(state.machine('m-bad')).toBeUndefined();
    reader.close();
    db.close();
  });

  it('commits a long queue in transactions of at most maxPerTransaction, one per turn of the loop, in order', async () => {
    const { db, state, store, reader, committed } = open();
    const gc = new GroupCommit(state, store, { tickMs: 5, maxQueue: 1000, maxPerTransaction: 32 });
    const seen: string[] = [];
    state.onChange((c) => seen.push(c.id));
    const ids = Array.from({ length: 70 }, (_, k) => `m-${k}`);
    const commitsWhenSettled: number[] = [];
    const settled = ids.map((id) => gc.submit((u) => u.putMachine(machine(id))).then(() => commitsWhenSettled.push(gc.commits)));
    // Something else waiting for the loop (a probe, a new connection) gets a turn between the transactions.
    let between = -1;
    const first = settled[0]!.then(() => setImmediate(() => (between = gc.commits)));
    await Promise.all([...settled, first]);
    expect(gc.commits).toBe(3);
    expect(between).toBeGreaterThan(0);
    expect(between).toBeLessThan(3);
    expect(commitsWhenSettled.slice(0, 32).every((n) => n === 1)).toBe(true);
    expect(commitsWhenSettled.at(-1)).toBe(3);
    expect(seen).toEqual(ids);
    expect(ids.every(committed)).toBe(true);
    // close() commits everything still queued at once, however long the queue.
    const late = Array.from({ length: 40 }, (_, k) => gc.submit((u) => u.putMachine(machine(`late-${k}`))));
    gc.close();
    expect(committed('late-39')).toBe(true);
    await Promise.all(late);
    expect(gc.commits).toBe(5);
    reader.close();
    db.close();
  });

  it('commits at once when the queue is long, and flushes what is queued on close', async () => {
    const { db, state, store, reader, committed } = open();
    const gc = new GroupCommit(state, store, { tickMs: 60_000, maxQueue: 3 });
    const first = [1, 2, 3].map((i) => gc.submit((u) => u.putMachine(machine(`m-${i}`))));
    await Promise.all(first); // the third submit committed the three without waiting a minute
    expect(gc.commits).toBe(1);
    const last = gc.submit((u) => u.putMachine(machine('m-4')));
    gc.close();
    await last;
    expect(committed('m-4')).toBe(true);
    await expect(gc.submit(() => undefined)).rejects.toMatchObject({ status: 503, code: 'shutting-down' });
    reader.close();
    db.close();
  });
});

describe('group commit through POST /api/v1/reports', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('concurrent requests share a transaction; one failing request fails alone; a restart shows everything acknowledged', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vawatch-group-commit-http-'));
    try {
      // A long tick so every request below lands in the same transaction.
      h = await startCollector({ dataDir, config: { ingestCommitMs: 1000 }, plugins: [boomTrigger] });
      const agents = await Promise.all([1, 2, 3, 4].map((i) => enrolAgent(h!, `m-${i}`, `ws-${i}`)));
      let transactions = 0;
      const db = h.collector.db;
      const original = db.transaction.bind(db);
      db.transaction = ((fn: (...args: unknown[]) => unknown) => {
        const t = original(fn);
        return ((...args: unknown[]) => {
          if (!db.inTransaction) transactions++;
          return t(...args);
        }) as typeof t;
      }) as typeof db.transaction;

      const [a, b, c, d] = agents as [EnrolledAgent, EnrolledAgent, EnrolledAgent, EnrolledAgent];
      const answers = await Promise.all([
        sendBatch(h, a, [withEvent(a, 1), withEvent(a, 2)]),
        sendBatch(h, b, [withEvent(b, 1)]),
        sendBatch(h, c, [withEvent(c, 1, 'boom')]), // refused by the trigger inside the shared transaction
        sendBatch(h, d, [report(d, 1, T0, { snapshot: snapshot('m-4', 'ws-4', T0) })]),
        // The same agent twice in the same tick: the resend overlaps, nothing is stored twice.
        sendBatch(h, a, [withEvent(a, 1), withEvent(a, 2), withEvent(a, 3)]),
      ]);
      db.transaction = original as typeof db.transaction;
      expect(answers.map((r) => r.status)).toEqual([200, 200, 500, 200, 200]);
      expect(transactions).toBe(1);
      expect(answers[0]!.body).toMatchObject({ epoch: 1, ackedThrough: 2 });
      expect(answers[4]!.body).toMatchObject({ epoch: 1, ackedThrough: 3 });
      expect(answers[2]!.body.error.code).toBe('internal');
      const eventsOf = (id: string) => (h!.collector.db.prepare("SELECT COUNT(*) AS n FROM events WHERE machine_id = ? AND log = 'Application'").get(id) as { n: number }).n;
      expect([eventsOf('m-1'), eventsOf('m-2'), eventsOf('m-3')]).toEqual([3, 1, 0]);
      expect(h.collector.agents.get(c.agentId)?.seqs.get(1)).toBeUndefined();
      const before = storeCounts(h);
      await h.close();

      h = await startCollector({ dataDir, plugins: [boomTrigger] });
      expect(storeCounts(h)).toEqual(before);
      expect(h.collector.state.machine('m-4')?.snapshot?.hostname).toBe('ws-4');
      expect(h.collector.state.machine('m-1')?.lastReportAt).toBe(T0 + 3 * 60_000);
      expect(h.collector.agents.get(a.agentId)?.seqs.get(1)).toBe(3);
      // The failed request was not acknowledged: the agent sends it again (fixed) and it is stored.
      expect((await sendBatch(h, c, [withEvent(c, 1)])).body).toMatchObject({ ackedThrough: 1 });
      expect(eventsOf('m-3')).toBe(1);
    } finally {
      await h?.close();
      h = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
