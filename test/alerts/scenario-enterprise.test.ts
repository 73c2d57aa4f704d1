import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MS } from '../../shared/kms-rules.js';
import { startSimRun, type SimRun } from '../support/alerts-sim-driver.js';

const START = Date.parse('2026-03-02T00:00:00Z');

describe('enterprise end to end: quiet apart from what the scenario plants', () => {
  let run: SimRun;
  let alerts: any[];
  beforeAll(async () => {
    run = await startSimRun('enterprise', { startMs: START });
    await run.runTo(START + 2 * MS.DAY);
    const list = await run.api('/alerts?state=active&limit=1000');
    alerts = await Promise.all(list.items.map((a: { id: string }) => run.api(`/alerts/${a.id}`)));
  }, 300_000);
  afterAll(async () => {
    await run?.close();
  });

  it('every alert concerns a planted machine, and each planted problem shows', () => {
    const planted = new Map(run.sim.plantedProblems().map((p) => [p.machineId, p.kind]));
    const rows = alerts.map((a) => [a.rule, a.machines.map((m: { machineId: string }) => m.machineId)] as const);
    for (const [rule, machines] of rows) {
      for (const id of machines) expect(planted.has(id), `${rule} names ${id}, which the scenario did not plant`).toBe(true);
    }
    const rulesFor = (kind: string) => {
      const id = [...planted].find(([, k]) => k === kind)![0];
      return rows.filter(([, ms]) => ms.includes(id)).map(([r]) => r).sort();
    };
    // Day 2: the /skms host is gone, the skewed clock is refused, the lab machine finds no SRV record and has no rearms.
    expect(rulesFor('no-host-reachable')).toContain('ActivationFailing');
    expect(rulesFor('clock-skew')).toContain('ActivationFailing');
    expect(rulesFor('no-rearms-left')).toEqual(expect.arrayContaining(['ActivationFailing', 'RearmExhausted']));
    const codes = alerts.filter((a) => a.rule === 'ActivationFailing').map((a) => a.knowledge.hresult.code).sort();
    expect(codes).toEqual(expect.arrayContaining(['0xC004F06C', '0xC004F074']));
    expect(run.deadLetters).toEqual([]);
  });
});
