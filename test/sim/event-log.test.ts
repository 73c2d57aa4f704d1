/** Simulated event logs behave like real ones: bounded, RecordId rising across the wrap, newest first. */
import { describe, expect, it } from 'vitest';
import { MS } from '../../shared/kms-rules.js';
import { LOG_APPLICATION, LOG_KMS } from '../../shared/wmi-shapes.js';
import { Simulation } from '../../agent/sim/index.js';
import { EventLog, RefTable } from '../../agent/sim/event-log.js';

describe('event log ring', () => {
  it.each([
    { capacity: 5, written: 3, after: 0, ids: [3, 2, 1] },
    { capacity: 5, written: 5, after: 2, ids: [5, 4, 3] },
    { capacity: 5, written: 12, after: 0, ids: [12, 11, 10, 9, 8] },
    { capacity: 5, written: 12, after: 9, ids: [12, 11, 10] },
    { capacity: 5, written: 12, after: 12, ids: [] },
    { capacity: 1, written: 4, after: 0, ids: [4] },
    { capacity: 150, written: 400, after: 380, ids: Array.from({ length: 20 }, (_, i) => 400 - i) },
    { capacity: 150, written: 400, after: 0, ids: Array.from({ length: 150 }, (_, i) => 400 - i) },
    { capacity: 130, written: 129, after: 0, ids: Array.from({ length: 129 }, (_, i) => 129 - i) },
  ])('capacity $capacity, $written written, read after $after → $ids', ({ capacity, written, after, ids }) => {
    const refs = new RefTable();
    const log = new EventLog(LOG_APPLICATION, 'Microsoft-Windows-Security-SPP', capacity, refs);
    for (let i = 1; i <= written; i++) log.write(12294, Date.UTC(2026, 0, 1) + i * MS.MINUTE, 0, 0, 0, 0, refs.add(`d${i}`));
    const read = log.read(after);
    expect(read.map((r) => r.RecordId)).toEqual(ids);
    // the record in each slot is the one with that RecordId, not an older one left behind by the wrap
    expect(read.map((r) => r.Properties[0]!.Value)).toEqual(ids.map((i) => `d${i}`));
    expect(read.map((r) => r.TimeCreated)).toEqual(ids.map((i) => new Date(Date.UTC(2026, 0, 1) + i * MS.MINUTE).toISOString()));
    expect(log.lastRecordId).toBe(written);
    expect(log.size).toBe(Math.min(capacity, written));
  });

  it('reads at most `limit` records, the newest', () => {
    const log = new EventLog(LOG_APPLICATION, 'p', 10, new RefTable());
    for (let i = 0; i < 7; i++) log.write(8198, i, 0xc004f074);
    expect(log.read(0, 2).map((r) => r.RecordId)).toEqual([7, 6]);
  });

  it('a machine’s Application log keeps its configured size and its RecordId keeps rising', () => {
    const sim = new Simulation({ logCapacity: { application: 30 } });
    const m = sim.addClient(); // no host: an 8198 every 2 h
    sim.runDays(10);
    const all = m.readEvents(LOG_APPLICATION, 0);
    expect(all).toHaveLength(30);
    expect(m.lastRecordId(LOG_APPLICATION)).toBe(120);
    expect(all[0]!.RecordId).toBe(120);
    expect(all.at(-1)!.RecordId).toBe(91);
    // a reader holding bookmark 100 gets exactly the 20 newer records
    expect(m.readEvents(LOG_APPLICATION, 100).map((r) => r.RecordId)).toEqual(Array.from({ length: 20 }, (_, i) => 120 - i));
  });

  it('the Key Management Service log exists only on KMS hosts', () => {
    const sim = new Simulation();
    const host = sim.addKmsHost();
    const client = sim.addClient();
    expect([host.hasLog(LOG_KMS), host.hasLog(LOG_APPLICATION)]).toEqual([true, true]);
    expect([client.hasLog(LOG_KMS), client.hasLog(LOG_APPLICATION)]).toEqual([false, true]);
    expect(client.hasLog('System')).toBe(false);
    expect(client.readEvents(LOG_KMS, 0)).toEqual([]);
  });

  it('a machine stamps its records with its own clock, skew included', () => {
    const sim = new Simulation();
    const m = sim.addClient({ firstAttemptDelayMs: MS.MINUTE });
    sim.setClockSkew(m.machineId, 3 * MS.HOUR);
    sim.runUntil(sim.startMs + MS.MINUTE);
    const [rec] = m.readEvents(LOG_APPLICATION, 0);
    expect(rec!.TimeCreated).toBe(new Date(sim.startMs + MS.MINUTE + 3 * MS.HOUR).toISOString());
  });
});
