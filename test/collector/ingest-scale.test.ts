import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { AgentRegistry, SeqMarks, type AgentRecord } from '../../dashboard/server/identity/agent-registry.js';
import { sha256 } from '../../dashboard/server/identity/secrets.js';
import { withSnapshot } from '../../dashboard/server/state/machine-state.js';
import { GroupCommit } from '../../dashboard/server/ingest/group-commit.js';
import { newMachine } from '../../dashboard/server/ingest/apply-report.js';
import { ingestBatch, type IngestDeps } from '../../dashboard/server/ingest/report-ingest.js';
import { FleetState } from '../../dashboard/server/state/fleet-state.js';
import type { StateChange } from '../../dashboard/server/state/state-change.js';
import { CORE_MIGRATIONS } from '../../dashboard/server/store/core-migrations.js';
import { migrate } from '../../dashboard/server/store/database.js';
import { FleetStore } from '../../dashboard/server/store/fleet-store.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { product, report, snapshot, T0 } from '../support/collector-harness.js';

const N = 100_000;

/**
 * The ingest path (checks, group commit, apply, state commit) on a 100,000-machine state: one report must not walk
 * the fleet. Counts calls to everything that iterates the state or the agents, not time.
 */
describe(`ingest on a ${N.toLocaleString('en')}-machine state`, () => {
  const db = new Database(':memory:');
  afterAll(() => db.close());
  migrate(db, 'core', CORE_MIGRATIONS);
  const state = new FleetState();
  const store = new FleetStore(db);
  const clock = new VirtualClock(T0);
  const shared = snapshot('m-0', 'ws-0', T0);
  const initial: StateChange[] = [];
  for (let i = 0; i < N; i++) {
    const m = newMachine({ agentId: `agt-${i}`, machineId: `m-${i}`, hostname: `ws-${i}` }, T0);
    initial.push({ kind: 'machine', id: m.machineId, before: null, after: withSnapshot(m, { ...shared, machineId: m.machineId, hostname: m.hostname, cmid: `cmid-${i}` }) });
  }
  state.commit(initial, { notify: false });
  const agents = new AgentRegistry(db);
  const record: AgentRecord = { agentId: 'agt-7', machineId: 'm-7', hostname: 'ws-7', tokenHash: sha256('t'), enrolledAt: T0, revokedAt: null, lastReportAt: null, seqs: new SeqMarks() };
  agents.writeAgent(record);
  agents.applyAgent(record);
  db.prepare('INSERT INTO machines (machine_id, agent_id, hostname, enrolled_at) VALUES (?, ?, ?, ?)').run('m-7', 'agt-7', 'ws-7', T0);
  const commit = new GroupCommit(state, store, { tickMs: 0, maxQueue: 256 });
  const deps: IngestDeps = { state, store, agents, clock, commit, heartbeatSeconds: 300 };
  const me = { agentId: 'agt-7', machineId: 'm-7', token: 't' };

  it('a heartbeat, an unchanged snapshot and a changed one each touch one machine and never iterate the fleet', async () => {
    const walks = [
      vi.spyOn(state, 'machines'),
      vi.spyOn(state, 'kmsHosts'),
      vi.spyOn(state, 'duplicateCmids'),
      vi.spyOn(agents, 'page'),
    ];
    const changes: StateChange[] = [];
    state.onChange((c) => changes.push(c));
    const agent = agents.byToken('t')!;
    const snap = { ...shared, machineId: 'm-7', hostname: 'ws-7', cmid: 'cmid-7' };
    await ingestBatch(deps, agent, { protocol: 1, reports: [report(me, 1, T0 + 1000, { heartbeat: true })] });
    await ingestBatch(deps, agent, { protocol: 1, reports: [report(me, 2, T0 + 2000, { snapshot: { ...snap, collectedAt: new Date(T0 + 2000).toISOString() } })] });
    await ingestBatch(deps, agent, {
      protocol: 1,
      reports: [report(me, 3, T0 + 3000, { snapshot: { ...snap, products: [product({ licenseStatus: 5 })], collectedAt: new Date(T0 + 3000).toISOString() } })],
    });
    for (const w of walks) expect(w).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(changes.map((c) => [c.kind, c.id])).toEqual([
      ['machine', 'm-7'],
      ['machine', 'm-7'],
      ['machine', 'm-7'],
      ['kms-host', 'kms01.contoso.com'], // first seen: the state above was built without hosts
    ]);
    expect(state.machine('m-7')?.primary?.licenseStatus).toBe(5);
    expect(state.machineCount).toBe(N);
    expect(commit.commits).toBe(3);
  });
});
