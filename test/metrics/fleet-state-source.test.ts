import { describe, expect, it } from 'vitest';
import { FleetStateSource } from '../../dashboard/metrics/fleet-state-source.js';
import { notificationOf } from '../../dashboard/metrics/fleet-time-aggregates.js';
import { syntheticFleet } from '../support/read-model-fleet.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');

describe('the fleet state as the metrics read it', () => {
  it('counts each live machine at start under what its facts say (the recount reads the cheaper form)', () => {
    const state = syntheticFleet(300, NOW);
    const first = state.machine('m-0000000')!;
    state.commit([{ kind: 'machine', id: first.machineId, before: first, after: { ...first, retired: { at: NOW, reason: 'gone', replacedBy: null } } }]);
    const source = new FleetStateSource(state, { staleAfterMs: 15 * 60_000 });
    const counted = [...source.countedAs()];
    const facts = [...source.machines()];
    expect(counted).toHaveLength(299);
    expect(counted.map((c) => [c.group, c.status, c.channel, c.lastReportAt, notificationOf(c)])).toEqual(
      facts.map((f) => [f.group, f.status, f.channel, f.lastReportAt, notificationOf(f)]),
    );
    // Some machines are in grace, some in Notification: the instants differ and are compared, not all null.
    expect(new Set(counted.map((c) => notificationOf(c))).size).toBeGreaterThan(2);
  });
});
