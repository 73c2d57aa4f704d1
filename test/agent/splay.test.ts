/** Splay: each machine's schedules run at its own stable phase of each interval (agent/splay.ts). */
import { describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { MemoryOutbox } from '../../agent/outbox/memory-outbox.js';
import { cronIntervalMs, everyAtPhase, splayFraction, splayOffsetMs, splayedScheduler } from '../../agent/splay.js';
import { MemoryCredentialStore } from '../../agent/state/credentials.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { FakeLicensingSource } from '../support/agent-fake-source.js';

const T0 = Date.parse('2026-11-29T10:00:00Z');

describe('splay offsets', () => {
  it('gives two machine ids different offsets, the same on every call, within the interval', () => {
    const a = splayFraction('6f1c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b');
    const b = splayFraction('0b8e2f4c-1d3a-4c5b-9e7f-6a2d8c1e3b4f');
    expect(a).not.toBe(b);
    expect(splayFraction('6f1c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b')).toBe(a);
    for (const interval of [1_000, 60_000, 900_000, 300_000]) {
      for (const f of [a, b, 0, 0.999999999999]) {
        const o = splayOffsetMs(f, interval);
        expect(o).toBeGreaterThanOrEqual(0);
        expect(o).toBeLessThan(interval);
      }
      expect(splayOffsetMs(a, interval)).not.toBe(splayOffsetMs(b, interval));
    }
  });

  it('spreads a fleet evenly over the minute', () => {
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 5_000; i++) buckets[Math.floor(splayOffsetMs(splayFraction(`machine-${i}`), 60_000) / 6_000)]!++;
    for (const n of buckets) {
      expect(n).toBeGreaterThan(400);
      expect(n).toBeLessThan(600);
    }
  });

  it.each([
    ['* * * * *', 60_000],
    ['*/15 * * * *', 900_000],
    ['*/10 * * * * *', 10_000],
    ['0 9 * * 1-5', 86_400_000],
  ])('knows the interval of %s', (expr, ms) => {
    expect(cronIntervalMs(expr, T0)).toBe(ms);
  });

  it('runs a cron task its offset after each match, and a cancel stops the run still waiting', () => {
    const clock = new VirtualClock(T0);
    const s = splayedScheduler(clock, 0.5);
    const runs: number[] = [];
    const cancel = s.cron('* * * * *', () => runs.push(clock.now()));
    clock.advanceTo(T0 + 3 * 60_000);
    expect(runs.map((t) => (t - T0) / 1000)).toEqual([90, 150]);
    clock.advanceTo(T0 + 3 * 60_000 + 10_000); // the 3rd match fired; its run waits until second 30
    cancel();
    clock.advanceTo(T0 + 10 * 60_000);
    expect(runs).toHaveLength(2);
  });

  it('runs an interval at the same phase of the wall clock whenever it was started', () => {
    for (const start of [T0, T0 + 7_777, T0 + 59_999]) {
      const clock = new VirtualClock(start);
      const runs: number[] = [];
      everyAtPhase(clock, 60_000, 0.25, () => runs.push(clock.now()));
      clock.advanceTo(start + 5 * 60_000);
      expect(runs.length).toBeGreaterThanOrEqual(4);
      for (const t of runs) expect(t % 60_000).toBe(15_000);
    }
  });
});

describe('an agent polls at its machine phase', () => {
  class RecordingSource extends FakeLicensingSource {
    readonly productReads: number[] = [];
    readonly eventReads: number[] = [];
    constructor(readonly clock: VirtualClock) {
      super();
    }
    override async readProducts() {
      this.productReads.push(this.clock.now());
      return super.readProducts();
    }
    override async readEvents(log: string, after: number) {
      if (log === 'Application') this.eventReads.push(this.clock.now());
      return super.readEvents(log, after);
    }
  }

  it('two machines poll events and licensing at different, stable offsets within each interval', async () => {
    const clock = new VirtualClock(T0);
    const machines = ['machine-a', 'machine-b'].map((machineId) => {
      const source = new RecordingSource(clock);
      const agent = new Agent({
        source,
        scheduler: clock,
        timers: clock,
        outbox: new MemoryOutbox({ epoch: 1 }),
        credentials: new MemoryCredentialStore(),
        group: 'hq',
        machineId,
        deadLetter: async () => {},
        log: () => {},
      });
      return { machineId, source, agent };
    });
    for (const m of machines) m.agent.start({ heartbeat: false });
    await clock.advanceToAsync(T0 + 2 * 3_600_000);
    for (const m of machines) await m.agent.stop();
    const [a, b] = machines.map((m) => {
      const f = splayFraction(m.machineId);
      // The first poll runs at start; every later one at the machine's offset of its interval.
      const events = m.source.eventReads.slice(1);
      const products = m.source.productReads.slice(1);
      expect(events.length).toBeGreaterThanOrEqual(119);
      expect(products.length).toBeGreaterThanOrEqual(7);
      expect(new Set(events.map((t) => t % 60_000))).toEqual(new Set([splayOffsetMs(f, 60_000)]));
      expect(new Set(products.map((t) => t % 900_000))).toEqual(new Set([splayOffsetMs(f, 900_000)]));
      return { events: events[0]! % 60_000, products: products[0]! % 900_000 };
    });
    expect(a!.events).not.toBe(b!.events);
    expect(a!.products).not.toBe(b!.products);
  });

  it('without splay (splay: false) polls at second 0 as the cron expression says', async () => {
    const clock = new VirtualClock(T0);
    const source = new RecordingSource(clock);
    const agent = new Agent({ source, scheduler: clock, timers: clock, outbox: new MemoryOutbox({ epoch: 1 }), credentials: new MemoryCredentialStore(), group: 'hq', machineId: 'machine-a', splay: false, deadLetter: async () => {}, log: () => {} });
    agent.start({ heartbeat: false });
    await clock.advanceToAsync(T0 + 10 * 60_000);
    await agent.stop();
    for (const t of source.eventReads) expect(t % 60_000).toBe(0);
  });
});
