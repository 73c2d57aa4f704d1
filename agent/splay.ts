/**
 * Splay: every machine runs its schedules at its own stable phase, derived from its machine id, so a fleet's polls and
 * reports spread over each interval instead of all landing at second 0 of the same minutes. The phase is a fraction
 * of the interval (hash of the id → [0, 1)); a schedule of interval I runs `fraction × I` after each of its matches.
 * The same id gives the same phase on every start, so a machine's reports stay evenly spaced across restarts.
 */
import { createHash } from 'node:crypto';
import { nextCronTime, parseCron, type Cancel, type Scheduler } from '../shared/scheduling.js';

/** A stable fraction in [0, 1) of a machine id (48 bits of its SHA-256). */
export function splayFraction(machineId: string): number {
  const h = createHash('sha256').update(machineId, 'utf8').digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}

/** This machine's delay within an interval: in [0, intervalMs). */
export function splayOffsetMs(fraction: number, intervalMs: number): number {
  return Math.min(intervalMs - 1, Math.max(0, Math.floor(fraction * intervalMs)));
}

/** The shortest gap between consecutive matches of a cron expression over its next runs (its interval). */
export function cronIntervalMs(expression: string, fromMs: number, samples = 24): number {
  const fields = parseCron(expression);
  let t = nextCronTime(fields, fromMs);
  let shortest = Infinity;
  for (let i = 0; i < samples; i++) {
    const next = nextCronTime(fields, t);
    shortest = Math.min(shortest, next - t);
    t = next;
  }
  return shortest;
}

/**
 * A scheduler whose cron tasks run this machine's offset after each match of their expression (offset within the
 * expression's interval, so a run never slides past the next match). `every` and `at` are the inner scheduler's.
 */
export function splayedScheduler(inner: Scheduler, fraction: number): Scheduler {
  return {
    now: () => inner.now(),
    every: (intervalMs, fn, firstDelayMs) => inner.every(intervalMs, fn, firstDelayMs),
    at: (timeMs, fn) => inner.at(timeMs, fn),
    cron(expression, fn): Cancel {
      const offset = splayOffsetMs(fraction, cronIntervalMs(expression, inner.now()));
      if (offset === 0) return inner.cron(expression, fn);
      const pending = new Set<Cancel>();
      const stopCron = inner.cron(expression, () => {
        const cancel = inner.at(inner.now() + offset, () => {
          pending.delete(cancel);
          return fn();
        });
        pending.add(cancel);
      });
      return () => {
        stopCron();
        for (const c of pending) c();
        pending.clear();
      };
    },
  };
}

/**
 * Runs `fn` every `intervalMs` at this machine's phase of the wall clock: at the instants t with
 * t ≡ fraction × interval (mod interval), counted from the Unix epoch, so agents started together still spread.
 */
export function everyAtPhase(timers: Scheduler, intervalMs: number, fraction: number, fn: () => unknown): Cancel {
  const offset = splayOffsetMs(fraction, intervalMs);
  const firstDelay = (((offset - timers.now()) % intervalMs) + intervalMs) % intervalMs;
  return timers.every(intervalMs, fn, firstDelay);
}
