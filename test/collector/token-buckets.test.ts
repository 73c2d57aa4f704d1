/** The agents' request buckets: the limit itself, and that idle agents' buckets are let go. */
import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../dashboard/server/identity/token-bucket.js';

function clockAt(start: number) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('token buckets', () => {
  it('allows a burst, then one request per refill, and says when to come back', () => {
    const clock = clockAt(0);
    const b = new TokenBuckets(3, 1, clock);
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([0, 0, 0]);
    expect(b.take('a')).toBe(1);
    expect(b.take('b')).toBe(0); // another key has its own bucket
    clock.t += 1000;
    expect(b.take('a')).toBe(0);
    expect(b.take('a')).toBe(1);
  });

  it('keeps a bucket emptied just before the maps turn over: it is not full yet', () => {
    // Burst 10 at 1/s: a refill takes 10 s, one generation.
    const clock = clockAt(0);
    const b = new TokenBuckets(10, 1, clock);
    clock.t = 9_900;
    for (let i = 0; i < 10; i++) expect(b.take('a')).toBe(0);
    clock.t = 10_000; // the generation turns over with this request; 'a' emptied 0.1 s ago
    expect(b.take('a')).toBe(1);
    clock.t = 10_950; // 1.05 s after emptying: one token
    expect(b.take('a')).toBe(0);
    expect(b.take('a')).toBe(1);
  });

  it('lets go of buckets nobody used for a whole refill, and they come back full', () => {
    const clock = clockAt(0);
    const b = new TokenBuckets(120, 10, clock); // the collector's defaults: a refill is 12 s
    for (let i = 0; i < 1000; i++) b.take(`agent-${i}`);
    expect(b.size).toBe(1000);
    b.take('agent-0');
    b.take('agent-0');
    clock.t += 12_000; // one generation: the 1000 are kept (a refill may not be over for all)
    b.take('agent-1');
    expect(b.size).toBeGreaterThanOrEqual(1000);
    clock.t += 12_000; // two: every bucket untouched since is full, and gone
    b.take('agent-1');
    expect(b.size).toBe(2); // agent-1 in the current map and in the one before
    clock.t += 30_000;
    b.take('agent-2');
    expect(b.size).toBe(1);
    // A bucket let go is what a new key gets: the full burst.
    for (let i = 0; i < 120; i++) expect(b.take('agent-0')).toBe(0);
    expect(b.take('agent-0')).toBeGreaterThan(0);
  });
});
