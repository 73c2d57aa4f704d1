import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../agent/delivery/backoff.js';
import { parseRetryAfter } from '../../agent/delivery/collector-client.js';

const policy = { baseMs: 1_000, capMs: 60_000 };

describe('backoff', () => {
  it.each<[number, number, number | undefined, number]>([
    // attempt, random, Retry-After, delay: uniform in [ceiling/2, ceiling], ceiling = base × 2^(attempt−1) up to the cap
    [1, 0, undefined, 500],
    [1, 1, undefined, 1_000],
    [2, 0.5, undefined, 1_500],
    [6, 1, undefined, 32_000],
    [7, 1, undefined, 60_000],
    [40, 0, undefined, 30_000],
    [1, 0, 120_000, 120_000], // the collector asked for longer: never sooner
    [7, 1, 10_000, 60_000],
  ])('attempt %i with random %f and Retry-After %j waits %i ms', (attempt, random, retryAfter, want) => {
    expect(backoffDelay(attempt, policy, () => random, retryAfter)).toBe(want);
  });

  it.each<[string | null, number | undefined]>([
    ['120', 120_000],
    ['0', 0],
    ['Sun, 29 Nov 2026 10:01:00 GMT', 60_000],
    ['Sun, 29 Nov 2026 09:00:00 GMT', 0],
    ['soon', undefined],
    [null, undefined],
  ])('Retry-After %j → %j ms', (header, want) => {
    expect(parseRetryAfter(header, Date.parse('2026-11-29T10:00:00Z'))).toBe(want);
  });
});
