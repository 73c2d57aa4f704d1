import { describe, expect, it } from 'vitest';
import { HealthTally } from '../../dashboard/alerts/health-tally.js';
import type { Finding } from '../../dashboard/alerts/model.js';
import { machine } from '../support/alerts-fleet.js';

function finding(machineId: string, severity: Finding['severity']): Finding {
  return {
    rule: 'GraceExpiring',
    severity,
    key: `GraceExpiring|machine:${machineId}`,
    subject: { kind: 'machine', id: machineId, name: machineId },
    group: 'hq',
    kmsHost: null,
    machines: [],
    summary: '',
    knowledge: { meaning: '', cause: '', action: '', commands: [] },
  };
}

describe('the health tally', () => {
  it('moves one machine without moving the others counted alike', () => {
    const t = new HealthTally();
    const ms = ['a', 'b', 'c'].map((id) => machine({ machineId: id, group: 'hq' }));
    for (const m of ms) t.update(m.machineId, m, 'kms01.corp.example');
    expect(t.counts()).toEqual({ unknown: 0, healthy: 3, warning: 0, critical: 0 });

    const raised = finding('b', 'critical');
    for (const id of t.finding(undefined, raised)) t.update(id, ms[1], 'kms01.corp.example');
    expect(t.counts()).toEqual({ unknown: 0, healthy: 2, warning: 0, critical: 1 });
    expect([t.machine('a'), t.machine('b'), t.machine('c')]).toEqual(['healthy', 'critical', 'healthy']);
    expect(t.dependents('kms01')).toBe('critical');
    expect(t.group('hq', [])).toBe('critical');

    const moved = machine({ machineId: 'c', group: 'branch' });
    t.update('c', moved, 'kms02.corp.example');
    for (const id of t.finding(raised, undefined)) t.update(id, ms[1], 'kms01.corp.example');
    expect(t.counts()).toEqual({ unknown: 0, healthy: 3, warning: 0, critical: 0 });
    expect(t.dependents('kms01.corp.example')).toBe('healthy');
    expect([...t.groups()].sort()).toEqual(['branch', 'hq']);

    t.update('a', { ...ms[0]!, retired: true }, 'kms01.corp.example');
    t.update('b', undefined, null);
    expect(t.counts()).toEqual({ unknown: 0, healthy: 1, warning: 0, critical: 0 });
    expect([...t.groups()]).toEqual(['branch']);
    expect(t.dependents('kms01')).toBe('unknown');
  });

  it('counts right past the values it shares (a group per machine)', () => {
    const t = new HealthTally();
    const n = 60_000;
    const ms = Array.from({ length: n }, (_, i) => machine({ machineId: `m${i}`, group: `g${i}`, ...(i % 2 ? { products: [] } : {}) }));
    for (const m of ms) t.update(m.machineId, m, `kms${m.machineId}`);
    expect(t.counts()).toEqual({ unknown: n / 2, healthy: n / 2, warning: 0, critical: 0 });
    expect(t.group(`g${n - 2}`, [])).toBe('healthy');
    expect(t.dependents(`kms${ms[n - 1]!.machineId}`)).toBe('unknown');
    for (const m of ms) t.update(m.machineId, undefined, null);
    expect(t.counts()).toEqual({ unknown: 0, healthy: 0, warning: 0, critical: 0 });
    expect([...t.groups()]).toEqual([]);
  });
});
