import { describe, expect, it } from 'vitest';
import { TimeTally } from '../../dashboard/server/state/time-tally.js';

/** A small deterministic generator, so a failure replays. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
}

describe('TimeTally: instants before a moving cut-off, without walking them', () => {
  it('counts exactly at millisecond boundaries', () => {
    const t = new TimeTally();
    for (const at of [999, 1000, 1000, 1001, 5_000, 5_999]) t.add(at);
    expect([999, 1000, 1001, 1002, 5_000, 5_999, 6_000].map((cut) => t.countBefore(cut))).toEqual([0, 1, 3, 4, 4, 5, 6]);
    t.remove(1000);
    expect(t.countBefore(1001)).toBe(2);
    expect(t.size).toBe(5);
  });

  it('agrees with a count of every instant while instants come and go and the cut-offs move both ways', () => {
    const rnd = lcg(7);
    const t = new TimeTally(2);
    const held: number[] = [];
    const base = Date.UTC(2026, 11, 1);
    let cut = [base, base + 3_600_000];
    for (let step = 0; step < 4000; step++) {
      const r = rnd();
      if (r < 0.45 || held.length === 0) {
        const at = base + Math.floor(rnd() * 7_200_000);
        held.push(at);
        t.add(at);
      } else if (r < 0.75) {
        const [at] = held.splice(Math.floor(rnd() * held.length), 1);
        t.remove(at!);
      } else {
        const i = rnd() < 0.5 ? 0 : 1;
        // Mostly forward by up to a minute, sometimes back, sometimes a long jump.
        const move = rnd() < 0.9 ? Math.floor(rnd() * 60_000) : Math.floor((rnd() - 0.5) * 7_200_000);
        cut = cut.map((c, j) => (j === i ? c + move : c));
        expect(t.countBefore(cut[i]!, i)).toBe(held.filter((at) => at < cut[i]!).length);
      }
    }
    expect(t.size).toBe(held.length);
  });
});

describe('TimeTally: what it holds', () => {
  it('ignores removing an instant it does not hold, and counts fractional and repeated instants exactly', () => {
    const t = new TimeTally();
    t.remove(1234); // never added: nothing changes, nothing goes negative
    for (const at of [2000.5, 2000.5, 2001, 2999.9]) t.add(at);
    t.remove(2000.25); // not held either
    expect(t.size).toBe(4);
    expect([2000, 2000.5, 2000.6, 2001, 2001.5, 2999.9, 3000].map((cut) => t.countBefore(cut))).toEqual([0, 0, 2, 2, 3, 3, 4]);
    t.remove(2000.5);
    t.remove(2000.5);
    t.remove(2000.5); // only two were held
    expect(t.size).toBe(2);
    expect(t.countBefore(3000)).toBe(2);
  });
});
