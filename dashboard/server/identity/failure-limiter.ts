import type { Clock } from '../../../shared/scheduling.js';

/**
 * Counts failures per key (user name, address) in a sliding window; once a key reaches the limit it is refused
 * until its oldest failure leaves the window. Memory is bounded: keys with no recent failure are dropped.
 */
export class FailureLimiter {
  #failures = new Map<string, number[]>();
  #limit: number;
  #windowMs: number;
  #clock: Clock;

  constructor(limit: number, windowMs: number, clock: Clock) {
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#clock = clock;
  }

  /** Milliseconds until `key` may try again, or 0 when it may now. */
  retryAfterMs(key: string): number {
    const times = this.#recent(key);
    if (times.length < this.#limit) return 0;
    return times[0]! + this.#windowMs - this.#clock.now();
  }

  fail(key: string): void {
    const times = this.#recent(key);
    times.push(this.#clock.now());
    this.#failures.set(key, times);
    if (this.#failures.size > 10_000) this.#sweep();
  }

  succeed(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string): number[] {
    const since = this.#clock.now() - this.#windowMs;
    return (this.#failures.get(key) ?? []).filter((t) => t > since);
  }

  #sweep(): void {
    for (const key of [...this.#failures.keys()]) {
      if (this.#recent(key).length === 0) this.#failures.delete(key);
    }
  }
}
