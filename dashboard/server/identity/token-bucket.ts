import type { Clock } from '../../../shared/scheduling.js';

/** Per-key request buckets (agents): `burst` requests, refilled at `perSecond`. Refusals say when to come back. */
export class TokenBuckets {
  #buckets = new Map<string, { tokens: number; at: number }>();
  #burst: number;
  #perSecond: number;
  #clock: Clock;

  constructor(burst: number, perSecond: number, clock: Clock) {
    this.#burst = burst;
    this.#perSecond = perSecond;
    this.#clock = clock;
  }

  /** Takes one token; returns 0 when allowed, else the seconds until one is available (for Retry-After). */
  take(key: string): number {
    const now = this.#clock.now();
    const b = this.#buckets.get(key) ?? { tokens: this.#burst, at: now };
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#perSecond);
    b.at = now;
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#perSecond));
  }
}
