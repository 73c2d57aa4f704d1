import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CollectorFleetView } from '../../dashboard/alerts/collector-fleet-view.js';
import { newMachine } from '../../dashboard/server/ingest/apply-report.js';
import { runUnit } from '../../dashboard/server/ingest/unit-of-work.js';
import { FleetState } from '../../dashboard/server/state/fleet-state.js';
import { withSnapshot, type MachineState } from '../../dashboard/server/state/machine-state.js';
import { CORE_MIGRATIONS } from '../../dashboard/server/store/core-migrations.js';
import { migrate } from '../../dashboard/server/store/database.js';
import { FleetStore } from '../../dashboard/server/store/fleet-store.js';
import { MS } from '../../shared/kms-rules.js';
import type { MachineSnapshot } from '../../shared/protocol.js';
import { product, snapshot, T0 } from '../support/collector-harness.js';

const db = new Database(':memory:');
migrate(db, 'core', CORE_MIGRATIONS);
afterAll(() => db.close());

/** A fleet state, its store and the view following it, as the alerts plug-in wires them. */
function setup() {
  db.exec('DELETE FROM machines; DELETE FROM events');
  const state = new FleetState();
  const store = new FleetStore(db);
  const view = new CollectorFleetView(state, db, { heartbeatIntervalMs: MS.HOUR });
  view.load(T0);
  state.onChange((c) => view.apply(c));
  const put = (id: string, over: Partial<MachineSnapshot> = {}) => {
    const m = withSnapshot({ ...newMachine({ agentId: `agent-${id}`, machineId: id, hostname: `${id}.contoso.com` }, T0), lastReportAt: T0, lastReceivedAt: T0 }, snapshot(id, `${id}.contoso.com`, T0, over));
    runUnit(state, store, (u) => u.putMachine(m));
  };
  const retire = (id: string) => {
    const m: MachineState = { ...state.machine(id)!, retired: { at: T0, reason: 'gone', replacedBy: null } };
    runUnit(state, store, (u) => u.putMachine(m));
  };
  const candidates = (host: string) => [...view.dependentCandidates(host)].map((m) => m.machineId).sort();
  return { state, store, view, put, retire, candidates };
}

const on = (host: string) => ({ products: [product({ kmsHost: { name: host, port: 1688, source: 'dns' as const } })] });

describe('the collector fleet view', () => {
  it('files machines that look alike under their own hosts, and moves one without the others', () => {
    const { view, put, retire, candidates } = setup();
    for (const id of ['a', 'b', 'c']) put(id, on('kms01.contoso.com'));
    put('d', on('kms02.contoso.com'));
    expect(candidates('kms01')).toEqual(['a', 'b', 'c']);
    put('b', on('kms02.contoso.com'));
    retire('c');
    expect(candidates('kms01')).toEqual(['a']);
    expect(candidates('kms02.contoso.com')).toEqual(['b', 'd']);
    expect([view.dependencyOf('a'), view.dependencyOf('b'), view.dependencyOf('c')]).toEqual(['kms01.contoso.com', 'kms02.contoso.com', null]);
  });

  it('files every machine right past the records it shares (a host per machine)', () => {
    const { view, state, store, put, candidates } = setup();
    const n = 60_000;
    runUnit(state, store, (u) => {
      for (let i = 0; i < n; i++) {
        const id = `m${i}`;
        const m = withSnapshot({ ...newMachine({ agentId: `agent-${id}`, machineId: id, hostname: `${id}.contoso.com` }, T0), lastReportAt: T0, lastReceivedAt: T0 }, snapshot(id, `${id}.contoso.com`, T0, on(`kms${i}.contoso.com`)));
        u.putMachine(m);
      }
    });
    expect([candidates('kms0'), candidates('kms59999')]).toEqual([['m0'], ['m59999']]);
    put('m0', on('kms59999.contoso.com'));
    expect([candidates('kms0'), candidates('kms59999')]).toEqual([[], ['m0', 'm59999']]);
    expect(view.dependencyOf('m1')).toBe('kms1.contoso.com');
  });

  it('names the live machines that share a CMID, as the fleet state knows them', () => {
    const { view, put, retire } = setup();
    put('a', { cmid: 'CLONE' });
    put('b', { cmid: 'clone' });
    put('c');
    expect(view.duplicateCandidates([]).sort()).toEqual(['a', 'b']);
    retire('b');
    expect(view.duplicateCandidates([])).toEqual([]);
  });

  it('ties a machine naming no host to the host that last logged its CMID', () => {
    const { view, state, store, put } = setup();
    put('kms1', { os: { caption: 'Microsoft Windows Server 2022 Standard', version: '10.0.20348', kind: 'server' }, products: [] });
    put('v', { cmid: 'cmid-v', products: [product({ kmsHost: null })] });
    expect(view.dependencyOf('v')).toBeNull();
    runUnit(state, store, (u) =>
      u.addEvent({
        machineId: 'kms1',
        log: 'Key Management Service',
        provider: 'Microsoft-Windows-Security-SPP',
        eventId: 12290,
        recordId: 1,
        time: T0 + MS.MINUTE,
        receivedAt: T0 + MS.MINUTE,
        payload: { kind: 'kms-request', hresult: 0, nPolicy: 25, clientFqdn: 'v.contoso.com', cmid: 'CMID-V', clientTime: '', isVm: false, licenseStatus: 1, minutesToExpiry: 1, activationId: 'a' },
      }),
    );
    expect(view.dependencyOf('v')).toBe('kms1.contoso.com');
    expect([...view.dependentCandidates('kms1')].map((m) => m.machineId)).toEqual(['v']);
  });
});

describe('the collector fleet view, filed in slices at start', () => {
  it('ends as a view loaded at once would, with machines changed, enrolled and retired while the pass runs', async () => {
    const { state, store, view: fresh, put, retire } = setup();
    const n = 3_000;
    runUnit(state, store, (u) => {
      for (let i = 0; i < n; i++) {
        const id = `s${i}`;
        const host = `kms${i % 3}.contoso.com`;
        u.putMachine(withSnapshot({ ...newMachine({ agentId: `agent-${id}`, machineId: id, hostname: `${id}.contoso.com` }, T0), lastReportAt: T0, lastReceivedAt: T0 }, snapshot(id, `${id}.contoso.com`, T0, on(host))));
      }
    });
    // A second view over the same state, filed in slices (one every 256 machines at sliceMs 0), following changes.
    const sliced = new CollectorFleetView(state, db, { heartbeatIntervalMs: MS.HOUR });
    state.onChange((c) => sliced.apply(c));
    const done = sliced.loadInSlices(T0, { sliceMs: 0 });
    let slices = 0;
    for (; slices < 3; slices++) await new Promise((r) => setImmediate(r));
    // Meanwhile: one filed already moves, one not reached yet moves, one retires, one enrols.
    put('s1', on('kms9.contoso.com'));
    put(`s${n - 1}`, on('kms9.contoso.com'));
    retire('s2');
    put('late', on('kms9.contoso.com'));
    const filedSoFar = (v: CollectorFleetView) => [...v.machineIds()].filter((id) => v.dependencyOf(id) !== null).length;
    expect(filedSoFar(sliced)).toBeLessThan(n / 2);
    await done;
    const filed = (v: CollectorFleetView) => ({
      count: filedSoFar(v),
      dependents: ['kms0', 'kms1', 'kms2', 'kms9'].map((h) => [...v.dependentCandidates(h)].map((m) => m.machineId).sort()),
      dependencies: ['s1', 's2', `s${n - 1}`, 'late', 's4'].map((id) => v.dependencyOf(id)),
    });
    expect(filed(sliced)).toEqual(filed(fresh));
    expect(filed(sliced).dependents[3]).toEqual(['late', 's1', `s${n - 1}`]);
    expect(filed(sliced).count).toBe(n); // s2 retired, "late" enrolled
  });

  it('stops when told to', async () => {
    const { state, store } = setup();
    runUnit(state, store, (u) => {
      for (let i = 0; i < 2_000; i++) {
        const id = `t${i}`;
        u.putMachine(withSnapshot({ ...newMachine({ agentId: `agent-${id}`, machineId: id, hostname: `${id}.contoso.com` }, T0), lastReportAt: T0, lastReceivedAt: T0 }, snapshot(id, `${id}.contoso.com`, T0, on('kms0.contoso.com'))));
      }
    });
    const sliced = new CollectorFleetView(state, db, { heartbeatIntervalMs: MS.HOUR });
    let stop = false;
    const done = sliced.loadInSlices(T0, { sliceMs: 0, stopped: () => stop });
    stop = true;
    await done;
    expect([...sliced.machineIds()].filter((id) => sliced.dependencyOf(id) !== null)).toHaveLength(256);
  });
});
