import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { FleetState } from '../../dashboard/server/state/fleet-state.js';
import { withSnapshot, type MachineState } from '../../dashboard/server/state/machine-state.js';
import type { KmsClientEntry } from '../../dashboard/server/state/kms-host-state.js';
import type { StateChange } from '../../dashboard/server/state/state-change.js';
import { syntheticMachine } from '../support/read-model-fleet.js';

const NOW = Date.parse('2026-11-02T12:00:00Z');

/** A new state of `m` whose snapshot differs in the given ways (the status always, so it is re-indexed). */
function changed(m: MachineState, to: { status?: number; cmid?: string; hostname?: string; kms?: string }): MachineState {
  const s = m.snapshot!;
  const p = s.products[0]!;
  return withSnapshot(m, {
    ...s,
    cmid: to.cmid ?? s.cmid,
    hostname: to.hostname ?? s.hostname,
    products: [{ ...p, licenseStatus: to.status ?? (p.licenseStatus === 1 ? 5 : 1), kmsHost: to.kms ? { name: to.kms, port: 1688, source: 'dns' } : p.kmsHost }],
  });
}

describe('fleet state: the id indexes follow a machine through changes that keep or move its keys', () => {
  it('keeps, moves and drops a machine under its CMID, host name and KMS host', () => {
    const state = new FleetState();
    const put = (before: MachineState | null, after: MachineState) => state.commit([{ kind: 'machine', id: after.machineId, before, after }]);
    const a = syntheticMachine(1, NOW);
    const b = syntheticMachine(2, NOW);
    put(null, a);
    put(null, b);
    const kmsOf = (m: MachineState) => m.kmsHostId!;
    const where = (m: MachineState) => ({
      cmid: [...state.machinesWithCmid(m.snapshot!.cmid!)],
      host: [...state.machinesWithHostname(m.hostname)],
      kms: state.machineCountUsingKmsHost(kmsOf(m)),
    });
    const usingA = state.machineCountUsingKmsHost(kmsOf(a));
    expect(usingA).toBe(kmsOf(a) === kmsOf(b) ? 2 : 1);

    // Status only: the keys stay, and so do the entries.
    const a1 = changed(a, {});
    put(a, a1);
    expect(state.statusCounts().get('5')).toBe(1);
    expect(where(a1)).toEqual({ cmid: [a.machineId], host: [a.machineId], kms: usingA });

    // A CMID shared with b (a cloned image), a new host name and another KMS host.
    const a2 = changed(a1, { cmid: b.snapshot!.cmid!.toUpperCase(), hostname: 'renamed.contoso.com', kms: 'kms09.contoso.com' });
    put(a1, a2);
    expect([...state.machinesWithCmid(a.snapshot!.cmid!)]).toEqual([]);
    expect(new Set(state.machinesWithCmid(b.snapshot!.cmid!))).toEqual(new Set([a.machineId, b.machineId]));
    expect([...state.duplicateCmids()].map(([c]) => c)).toEqual([b.snapshot!.cmid!.toLowerCase()]);
    expect([...state.machinesWithHostname(a.hostname)]).toEqual([]);
    expect([...state.machinesWithHostname('RENAMED.contoso.com')]).toEqual([a.machineId]);
    expect(state.machineCountUsingKmsHost(kmsOf(a))).toBe(usingA - 1);
    expect(state.machineCountUsingKmsHost('kms09.contoso.com')).toBe(1);

    // Status again on the shared CMID: still a duplicate, counted once.
    const a3 = changed(a2, {});
    put(a2, a3);
    expect([...state.duplicateCmids()]).toHaveLength(1);
    expect(state.activeMachineCount).toBe(2);

    // Retired: out of every id index; back again: in every one.
    const retired = { ...a3, retired: { at: NOW, reason: 'test', replacedBy: null } };
    put(a3, retired);
    expect([...state.duplicateCmids()]).toEqual([]);
    expect([...state.machinesWithHostname('renamed.contoso.com')]).toEqual([]);
    expect(state.machineCountUsingKmsHost('kms09.contoso.com')).toBe(0);
    put(retired, a3);
    expect(where(a3)).toEqual({ cmid: expect.arrayContaining([a.machineId, b.machineId]), host: [a.machineId], kms: 1 });
    expect(state.machineCountUsingKmsHost(kmsOf(a))).toBe(usingA - 1);
    expect(state.activeMachineCount).toBe(2);
  });
});

describe('fleet state: loading what the store held at start', () => {
  it('files machines and window entries as committing them would, and refuses once ready', () => {
    const machines = Array.from({ length: 40 }, (_, i) => syntheticMachine(i, NOW));
    const entry = (m: MachineState, i: number): KmsClientEntry => ({
      cmid: m.snapshot!.cmid!,
      clientFqdn: m.hostname,
      lastRequestAt: NOW - i * 60_000,
      licenseStatus: 1,
      nPolicy: i % 3 === 0 ? 5 : 25,
      hresult: 0,
      isVm: false,
      activationId: m.primary!.activationId,
      minutesToExpiry: 10_000,
      requests: 1,
    });
    const changes: StateChange[] = [
      ...machines.map((m) => ({ kind: 'machine' as const, id: m.machineId, before: null, after: m })),
      ...machines.map((m, i) => ({ kind: 'kms-client' as const, id: 'kms01.contoso.com', before: null, after: entry(m, i) })),
    ];
    const loaded = new FleetState();
    loaded.load(changes);
    const committed = new FleetState();
    committed.commit(changes, { notify: false });
    const figures = (s: FleetState) => ({
      active: s.activeMachineCount,
      status: [...s.statusCounts()],
      groups: [...s.groupStatusCounts()].map(([g, c]) => [g, [...c]]),
      kms: [...new Set(machines.map((m) => m.kmsHostId!))].map((h) => s.machineCountUsingKmsHost(h)),
      window: s.windowCountsAfter('kms01.contoso.com', NOW - 20 * 60_000),
      clients: s.clientWindow('kms01.contoso.com').size,
      cmids: machines.map((m) => [...s.machinesWithCmid(m.snapshot!.cmid!)]),
    });
    expect(figures(loaded)).toEqual(figures(committed));
    expect(figures(loaded).clients).toBe(40);
    loaded.markReady();
    expect(() => loaded.load(changes)).toThrow(/loaded already/);
  });
});

describe('fleet state: the window entries loaded at start share their strings later, in slices', () => {
  /** A full collection, then the heap in use (the flag can be set at run time; the function comes from a new context). */
  function heapAfterGc(): number {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  }

  it('points each entry at its client machine’s CMID and host name, freeing the copies', async () => {
    const n = 80_000;
    const machines = Array.from({ length: n }, (_, i) => syntheticMachine(i, NOW));
    // Fresh copies of the strings, as rows read from the store are.
    const copy = (s: string) => JSON.parse(JSON.stringify(s)) as string;
    const state = new FleetState();
    state.load(machines.map((m) => ({ kind: 'machine', id: m.machineId, before: null, after: m })));
    state.load(
      machines.map((m, i) => ({
        kind: 'kms-client',
        id: 'kms01.contoso.com',
        before: null,
        after: { cmid: copy(m.snapshot!.cmid!), clientFqdn: copy(m.hostname), lastRequestAt: NOW - i, licenseStatus: 1, hresult: 0, nPolicy: 25, isVm: false, activationId: copy(m.primary!.activationId), minutesToExpiry: 1, requests: 1 },
      })),
    );
    state.markReady();
    const before = heapAfterGc();
    let turns = 0;
    const counting = setInterval(() => turns++, 0);
    await state.shareLoadedStrings({ sliceMs: 1 });
    clearInterval(counting);
    const freed = before - heapAfterGc();
    // Measured: ~166 bytes an entry freed (copies of the CMID, host name and activation ID), ~60 with the sharing
    // left out (the rest of the heap moves too). The line sits between.
    expect(freed).toBeGreaterThan(110 * n);
    expect(turns).toBeGreaterThan(0); // it handed the loop back
    const w = state.clientWindow('kms01.contoso.com');
    expect(w.size).toBe(n);
    expect(w.get(machines[7]!.snapshot!.cmid!)!.clientFqdn).toBe(machines[7]!.hostname);
  });
});
