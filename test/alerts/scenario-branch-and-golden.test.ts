import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MS } from '../../shared/kms-rules.js';
import { startSimRun, type SimRun } from '../support/alerts-sim-driver.js';

const START = Date.parse('2026-03-02T00:00:00Z');

describe('golden-image end to end (simulator → agents → collector → alerts)', () => {
  let run: SimRun;
  beforeAll(async () => {
    run = await startSimRun('golden-image', { startMs: START });
    await run.runTo(START + 2 * MS.DAY);
  });
  afterAll(async () => {
    await run?.close();
  });

  it('raises one DuplicateClientMachineId naming every clone', async () => {
    const dup = await run.api('/alerts?rule=DuplicateClientMachineId');
    expect(dup.total).toBe(1);
    const detail = await run.api(`/alerts/${dup.items[0].id}`);
    const clones = run.sim.machines.filter((m) => m.hostname.startsWith('clone-')).map((m) => m.hostname).sort();
    expect(clones).toHaveLength(40);
    expect(detail.machines.map((m: { hostname: string }) => m.hostname).sort()).toEqual(clones);
    expect(detail.severity).toBe('critical');
    expect(detail.subject.kind).toBe('cmid');
    expect(run.deadLetters).toEqual([]);
  });
});

describe('branch-below-threshold end to end', () => {
  let run: SimRun;
  beforeAll(async () => {
    run = await startSimRun('branch-below-threshold', { startMs: START });
    await run.runTo(START + 2 * MS.DAY);
  });
  afterAll(async () => {
    await run?.close();
  });

  it('raises KmsCountBelowThreshold for the branch host only, and groups the failing clients under it', async () => {
    const below = await run.api('/alerts?rule=KmsCountBelowThreshold');
    expect(below.items.map((a: { subject: { name: string }; severity: string }) => [a.subject.name, a.severity])).toEqual([
      ['kms-branch.branch.contoso.com', 'warning'],
    ]);
    // The clients fail with "count too low": one incident under the host, not twenty alerts.
    const failing = await run.api('/alerts?rule=ActivationFailing');
    expect(failing.total).toBe(1);
    expect(failing.items[0]).toMatchObject({ kmsHost: 'kms-branch.branch.contoso.com', machineCount: 20 });
    const detail = await run.api(`/alerts/${failing.items[0].id}`);
    expect(detail.knowledge.hresult.code).toBe('0xC004F038');
    expect(run.deadLetters).toEqual([]);
  });
});
