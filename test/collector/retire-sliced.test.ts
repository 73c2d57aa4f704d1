import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MS } from '../../shared/kms-rules.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { AgentRegistry } from '../../dashboard/server/identity/agent-registry.js';
import { newMachine } from '../../dashboard/server/ingest/apply-report.js';
import { pruneRetentionSliced, retireSilentMachines, retireSilentMachinesSliced, type FleetAdminDeps } from '../../dashboard/server/ingest/fleet-admin.js';
import { runUnit } from '../../dashboard/server/ingest/unit-of-work.js';
import { FleetState } from '../../dashboard/server/state/fleet-state.js';
import { CORE_MIGRATIONS } from '../../dashboard/server/store/core-migrations.js';
import { migrate } from '../../dashboard/server/store/database.js';
import { FleetStore } from '../../dashboard/server/store/fleet-store.js';
import { T0 } from '../support/collector-harness.js';

describe('retiring silent machines in slices', () => {
  const db = new Database(':memory:');
  afterAll(() => db.close());
  migrate(db, 'core', CORE_MIGRATIONS);

  it('yields between slices, retires the same machines as the one-pass check, and spares one that reported meanwhile', async () => {
    const state = new FleetState();
    const store = new FleetStore(db);
    const clock = new VirtualClock(T0);
    const deps: FleetAdminDeps = { state, store, agents: new AgentRegistry(db), clock };
    runUnit(state, store, (u) => {
      for (let i = 0; i < 5000; i++) {
        const at = i % 2 === 0 ? T0 - 40 * MS.DAY : T0 - MS.DAY; // even ones silent for 40 days
        u.putMachine({ ...newMachine({ agentId: `agt-${i}`, machineId: `m-${i}`, hostname: `ws-${i}` }, at), lastReportAt: at, lastReceivedAt: at });
      }
    });
    let turns = 0;
    const counting = setInterval(() => turns++, 0);
    // Slices of 0 ms: a yield after every 1,024 machines. The first slice runs before the call returns.
    const retiring = retireSilentMachinesSliced(deps, 30 * MS.DAY, 0);
    runUnit(state, store, (u) => u.putMachine({ ...u.machine('m-0')!, lastReportAt: T0, lastReceivedAt: T0 }));
    const retired = await retiring;
    clearInterval(counting);
    expect(retired).toBe(2499);
    expect(turns).toBeGreaterThan(0);
    expect(state.machine('m-0')?.retired).toBeNull();
    expect(state.machine('m-2')?.retired).toMatchObject({ reason: 'silent for more than 30 days' });
    expect(state.machine('m-1')?.retired).toBeNull();
    expect(state.activeMachineCount).toBe(2501);
    expect(retireSilentMachines(deps, 30 * MS.DAY)).toBe(0); // nothing left for the one-pass check
  });

  it('prunes old events, history and client-window entries in chunks, keeping what is inside the retention', async () => {
    const state = new FleetState();
    const store = new FleetStore(db);
    const clock = new VirtualClock(T0);
    const deps: FleetAdminDeps = { state, store, agents: new AgentRegistry(db), clock };
    const old = T0 - 100 * MS.DAY;
    const recent = T0 - MS.DAY;
    db.exec('DELETE FROM events; DELETE FROM state_history; DELETE FROM kms_clients');
    runUnit(state, store, (u) => {
      for (let i = 0; i < 12_000; i++) {
        const time = i < 11_000 ? old : recent;
        u.addEvent({ machineId: `m-${i % 10}`, log: 'Application', provider: 'p', eventId: 8198, recordId: i, time, receivedAt: time, payload: { kind: 'activation-failed', hresult: 1, commandLine: null } });
        if (i < 6000) store.addHistory(`m-${i % 10}`, i < 5500 ? old : recent, { activationId: 'a', name: 'W', primary: true, licenseStatus: 1, licenseStatusReason: 0, graceExpiresAt: null });
      }
      u.putKmsHost({ id: 'kms01', hostname: 'kms01', machineId: null, kmsService: null, serviceCollectedAt: null, lastRequestAt: recent, dnsFailure: null, lastDnsSuccessAt: null, firstSeenAt: old });
      for (let i = 0; i < 3000; i++) {
        const lastRequestAt = i < 2000 ? old : recent;
        u.putKmsClient('kms01', { cmid: `c-${i}`, clientFqdn: `ws-${i}`, lastRequestAt, licenseStatus: 1, hresult: 0, nPolicy: 25, isVm: false, activationId: 'a', minutesToExpiry: 1, requests: 1 });
      }
    });
    const pruned = await pruneRetentionSliced(deps, 90 * MS.DAY, 0);
    expect(pruned).toEqual({ events: 11_000, history: 5500, clients: 2000 });
    const count = (t: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    expect([count('events'), count('state_history'), count('kms_clients')]).toEqual([1000, 500, 1000]);
    expect(state.clientWindow('kms01').size).toBe(1000);
  });
});
