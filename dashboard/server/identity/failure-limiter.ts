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

/** Addresses remembered per user name as ones it signed in from (the NOC's, an admin's desk). */
const KNOWN_ADDRESSES_PER_NAME = 32;

/**
 * Failed sign-ins, counted so that an attacker's failures lock out the attacker and not the people they target:
 * - per (user name, address): `perNameAndAddress` failures lock that name out from that address only;
 * - per address: `perAddress` failures (any names) lock that address out (password spraying);
 * - per user name across all addresses: `perName` failures (distributed guessing) lock the name out, but only for
 *   addresses it has not signed in from successfully; the NOC and the admin's usual desk keep signing in.
 * Memory is bounded: the limiters drop keys without recent failures; known addresses are kept only for names that
 * signed in (real users), at most KNOWN_ADDRESSES_PER_NAME each.
 */
export class SignInThrottle {
  #pair: FailureLimiter;
  #address: FailureLimiter;
  #name: FailureLimiter;
  #known = new Map<string, Set<string>>();

  constructor(limits: { perNameAndAddress: number; perAddress: number; perName: number; windowMs: number }, clock: Clock) {
    this.#pair = new FailureLimiter(limits.perNameAndAddress, limits.windowMs, clock);
    this.#address = new FailureLimiter(limits.perAddress, limits.windowMs, clock);
    this.#name = new FailureLimiter(limits.perName, limits.windowMs, clock);
  }

  /** Milliseconds until `name` may try again from `address` (0: now). Names are compared case-insensitively. */
  retryAfterMs(name: string, address: string): number {
    const n = name.toLowerCase();
    const byName = this.#known.get(n)?.has(address) ? 0 : this.#name.retryAfterMs(n);
    return Math.max(this.#pair.retryAfterMs(pairKey(n, address)), this.#address.retryAfterMs(address), byName);
  }

  fail(name: string, address: string): void {
    const n = name.toLowerCase();
    this.#pair.fail(pairKey(n, address));
    this.#address.fail(address);
    this.#name.fail(n);
  }

  succeed(name: string, address: string): void {
    const n = name.toLowerCase();
    this.#pair.succeed(pairKey(n, address));
    const known = this.#known.get(n) ?? new Set<string>();
    known.delete(address); // re-inserted last: the oldest address is the first dropped
    known.add(address);
    if (known.size > KNOWN_ADDRESSES_PER_NAME) known.delete(known.values().next().value!);
    this.#known.set(n, known);
  }
}

function pairKey(name: string, address: string): string {
  return `${name}\u0000${address}`;
}
