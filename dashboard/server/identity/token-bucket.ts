import type { Clock } from '../../../shared/scheduling.js';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Per-key request buckets (agents): `burst` requests, refilled at `perSecond`. Refusals say when to come back.
 *
 * Only recently used buckets are held. A bucket nobody touched for a whole refill time is full again, which is what a
 * key without a bucket gets, so it can go. The buckets live in two maps by generation: the current one and the one
 * before; every refill time the older map is dropped whole and the current one becomes the older (a touched bucket
 * moves to the current map). So at a million agents reporting every five minutes the collector holds the buckets of
 * the last one or two refill times (tens of thousands), not one per agent forever, and no map is ever walked.
 */
export class TokenBuckets {
  #current = new Map<string, Bucket>();
  #previous = new Map<string, Bucket>();
  #rotatedAt: number;
  /** A full refill, in ms: a bucket untouched for this long is full. */
  #generationMs: number;
  #burst: number;
  #perSecond: number;
  #clock: Clock;

  constructor(burst: number, perSecond: number, clock: Clock) {
    this.#burst = burst;
    this.#perSecond = perSecond;
    this.#clock = clock;
    this.#generationMs = Math.max(1000, Math.ceil((burst / perSecond) * 1000));
    this.#rotatedAt = clock.now();
  }

  /** Takes one token; returns 0 when allowed, else the seconds until one is available (for Retry-After). */
  take(key: string): number {
    const now = this.#clock.now();
    this.#rotate(now);
    let b = this.#current.get(key);
    if (!b) {
      b = this.#previous.get(key) ?? { tokens: this.#burst, at: now };
      this.#current.set(key, b);
    }
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#perSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#perSecond));
  }

  /** Buckets held now (both generations; a key in both counts twice). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  // Every bucket in the older map was last touched before the current generation began, so more than a refill time
  // ago once that generation is a refill time old: full, and dropped with the map. Two or more generations without a
  // request drop both maps.
  #rotate(now: number): void {
    const age = now - this.#rotatedAt;
    if (age < this.#generationMs) return;
    this.#previous = age < 2 * this.#generationMs ? this.#current : new Map();
    this.#current = new Map();
    this.#rotatedAt = now;
  }
}
