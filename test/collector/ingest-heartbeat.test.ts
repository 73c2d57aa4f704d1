import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MachineState } from '../../dashboard/server/state/machine-state.js';
import type { StateChange } from '../../dashboard/server/state/state-change.js';
import { enrolAgent, product, report, sendBatch, snapshot, startCollector, storeCounts, T0, type Harness } from '../support/collector-harness.js';

const MIN = 60_000;

/** The fields of a machine that are not its report times. */
function withoutTimes(m: MachineState | null): Omit<MachineState, 'lastReportAt' | 'lastReceivedAt'> | null {
  if (!m) return null;
  const { lastReportAt: _r, lastReceivedAt: _c, ...rest } = m;
  return rest;
}

describe('heartbeat fast path', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a heartbeat or an unchanged snapshot updates only the report times: no history, no event, no snapshot rewrite; they survive a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vawatch-heartbeat-'));
    try {
      h = await startCollector({ dataDir });
      const a = await enrolAgent(h, 'm-1', 'ws-1.contoso.com');
      const first = snapshot('m-1', 'ws-1.contoso.com', T0);
      expect((await sendBatch(h, a, [report(a, 1, T0, { snapshot: first })])).status).toBe(200);
      const row = () =>
        h!.collector.db.prepare('SELECT snapshot, last_report_at, last_received_at FROM machines WHERE machine_id = ?').get('m-1') as {
          snapshot: string;
          last_report_at: number;
          last_received_at: number;
        };
      const counts = storeCounts(h);
      const storedSnapshot = row().snapshot;

      // Counts statements that write the snapshot column (an upsert of the whole row does, even with the same value).
      h.collector.db.exec(`CREATE TEMP TABLE snapshot_writes (machine_id TEXT);
        CREATE TEMP TRIGGER count_snapshot_writes AFTER UPDATE OF snapshot ON main.machines
        BEGIN INSERT INTO snapshot_writes VALUES (NEW.machine_id); END`);
      const snapshotWrites = () => (h!.collector.db.prepare('SELECT COUNT(*) AS n FROM snapshot_writes').get() as { n: number }).n;
      const changes: StateChange[] = [];
      h.collector.state.onChange((c) => changes.push(c));

      h.clock.advanceTo(T0 + 5 * MIN);
      expect((await sendBatch(h, a, [report(a, 2, T0 + 5 * MIN, { heartbeat: true })])).body).toEqual({ epoch: 1, ackedThrough: 2, heartbeatSeconds: 300 });
      // The same snapshot collected again: a new collectedAt and grace instants a few minutes apart (the agent's
      // minute counter) are no change.
      h.clock.advanceTo(T0 + 10 * MIN);
      const again = snapshot('m-1', 'ws-1.contoso.com', T0 + 10 * MIN, {
        products: [product({ graceExpiresAt: new Date(T0 + 180 * 86_400_000 + 3 * MIN).toISOString() })],
      });
      expect((await sendBatch(h, a, [report(a, 3, T0 + 10 * MIN, { snapshot: again })])).body).toMatchObject({ ackedThrough: 3 });

      expect(storeCounts(h)).toEqual(counts);
      expect(snapshotWrites()).toBe(0);
      expect(row()).toEqual({ snapshot: storedSnapshot, last_report_at: T0 + 10 * MIN, last_received_at: T0 + 10 * MIN });
      // Each heartbeat is one machine change that differs only in its times: no event, no KMS host, no client.
      expect(changes.map((c) => c.kind)).toEqual(['machine', 'machine']);
      for (const c of changes) {
        if (c.kind !== 'machine') continue;
        expect(withoutTimes(c.after)).toEqual(withoutTimes(c.before));
        expect(c.after.snapshot).toBe(c.before!.snapshot); // the same object: nothing re-derived
      }
      const m = h.collector.state.machine('m-1')!;
      expect([m.lastReportAt, m.lastReceivedAt]).toEqual([T0 + 10 * MIN, T0 + 10 * MIN]);
      expect(h.collector.agents.get(a.agentId)).toMatchObject({ lastReportAt: T0 + 10 * MIN });
      expect(h.collector.agents.get(a.agentId)?.seqs.get(1)).toBe(3);

      // A real change takes the full path: a history row.
      h.clock.advanceTo(T0 + 15 * MIN);
      const changed = snapshot('m-1', 'ws-1.contoso.com', T0 + 15 * MIN, { products: [product({ licenseStatus: 5 })] });
      await sendBatch(h, a, [report(a, 4, T0 + 15 * MIN, { snapshot: changed })]);
      expect(storeCounts(h).state_history).toBe(counts.state_history + 1);
      expect(snapshotWrites()).toBe(1);
      expect(h.collector.state.machine('m-1')?.primary?.licenseStatus).toBe(5);

      h.clock.advanceTo(T0 + 20 * MIN);
      await sendBatch(h, a, [report(a, 5, T0 + 20 * MIN, { heartbeat: true })]);
      const after = storeCounts(h);
      await h.close();

      h = await startCollector({ dataDir });
      expect(storeCounts(h)).toEqual(after);
      const back = h.collector.state.machine('m-1')!;
      expect([back.lastReportAt, back.lastReceivedAt, back.primary?.licenseStatus]).toEqual([T0 + 20 * MIN, T0 + 20 * MIN, 5]);
      expect(h.collector.agents.get(a.agentId)).toMatchObject({ lastReportAt: T0 + 20 * MIN });
    } finally {
      await h?.close();
      h = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a heartbeat from a retired machine reactivates it (full path, with its event)', async () => {
    h = await startCollector({ keepData: true });
    const a = await enrolAgent(h, 'm-2', 'ws-2.contoso.com');
    await sendBatch(h, a, [report(a, 1, T0, { snapshot: snapshot('m-2', 'ws-2.contoso.com', T0) })]);
    h.collector.db.prepare('UPDATE machines SET retired_at = ?, retired_reason = ? WHERE machine_id = ?').run(T0, 'test', 'm-2');
    await h.close();
    const dataDir = h.dataDir;
    h = await startCollector({ dataDir });
    expect(h.collector.state.machine('m-2')?.retired).not.toBeNull();
    await sendBatch(h, a, [report(a, 2, T0 + MIN, { heartbeat: true })]);
    expect(h.collector.state.machine('m-2')?.retired).toBeNull();
    const codes = (h.collector.db.prepare("SELECT payload FROM events WHERE machine_id = 'm-2'").all() as Array<{ payload: string }>).map(
      (r) => (JSON.parse(r.payload) as { code: string }).code,
    );
    expect(codes).toContain('machine-reactivated');
    await h.close();
    h = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });
});
