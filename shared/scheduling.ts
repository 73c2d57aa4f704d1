/**
 * Time and scheduling behind one interface, so the same agent, simulator and collector code runs on node-cron and the
 * wall clock in production, and on a virtual clock that tests and demos step through months in milliseconds.
 */

/** A source of the current time, in milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
}

/** Stops a scheduled task. Calling it twice is harmless. */
export type Cancel = () => void;

export interface Scheduler extends Clock {
  /** Runs `fn` at every minute (or second, with 6 fields) matching a cron expression, in UTC. */
  cron(expression: string, fn: () => unknown): Cancel;
  /** Runs `fn` every `intervalMs`; the first run comes after `firstDelayMs` (default: one interval). */
  every(intervalMs: number, fn: () => unknown, firstDelayMs?: number): Cancel;
  /** Runs `fn` once at `timeMs`; a time already past runs at the next step. */
  at(timeMs: number, fn: () => unknown): Cancel;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

// ---- cron expressions (5 fields: minute hour day-of-month month day-of-week; or 6 with seconds first) ----

interface CronFields {
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  domStar: boolean;
  dowStar: boolean;
}

function parseField(field: string, lo: number, hi: number, name: string): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`cron ${name} field "${field}" is not understood`);
    const step = m[2] ? Number(m[2]) : 1;
    if (step < 1) throw new Error(`cron ${name} step must be at least 1`);
    let a = lo;
    let b = hi;
    if (m[1] !== '*') {
      const [x, y] = m[1]!.split('-').map(Number);
      a = x!;
      b = y ?? (m[2] ? hi : x!);
    }
    if (a < lo || b > hi || a > b) throw new Error(`cron ${name} field "${field}" is outside ${lo}-${hi}`);
    for (let v = a; v <= b; v += step) out.add(name === 'weekday' && v === 7 ? 0 : v);
  }
  return out;
}

/** Parses a cron expression; throws with a reason naming the field when it is not valid. */
export function parseCron(expression: string): CronFields {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new Error(`cron expression "${expression}" needs 5 or 6 fields, has ${parts.length}`);
  }
  const f = parts.length === 6 ? parts : ['0', ...parts];
  return {
    seconds: parseField(f[0]!, 0, 59, 'second'),
    minutes: parseField(f[1]!, 0, 59, 'minute'),
    hours: parseField(f[2]!, 0, 23, 'hour'),
    days: parseField(f[3]!, 1, 31, 'day'),
    months: parseField(f[4]!, 1, 12, 'month'),
    weekdays: parseField(f[5]!, 0, 7, 'weekday'),
    domStar: f[3] === '*',
    dowStar: f[5] === '*',
  };
}

/** The first instant strictly after `afterMs` that matches the expression (UTC), within about 5 years. */
export function nextCronTime(fields: CronFields, afterMs: number): number {
  let t = Math.floor(afterMs / 1000) * 1000 + 1000;
  const limit = afterMs + 5 * 366 * 86_400_000;
  while (t <= limit) {
    const d = new Date(t);
    if (!fields.months.has(d.getUTCMonth() + 1)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      continue;
    }
    const domOk = fields.days.has(d.getUTCDate());
    const dowOk = fields.weekdays.has(d.getUTCDay());
    // Vixie cron: when both day fields are restricted, either may match.
    const dayOk = fields.domStar || fields.dowStar ? domOk && dowOk : domOk || dowOk;
    if (!dayOk) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!fields.hours.has(d.getUTCHours())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (!fields.minutes.has(d.getUTCMinutes())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes() + 1);
      continue;
    }
    if (!fields.seconds.has(d.getUTCSeconds())) {
      t += 1000;
      continue;
    }
    return t;
  }
  throw new Error('cron expression never matches');
}

// ---- the virtual clock ----

interface Task {
  time: number;
  order: number;
  fn: () => unknown;
  cancelled: boolean;
  /** Reschedules a repeating task after it ran; returns the next time or undefined. */
  next?: (ranAt: number) => number | undefined;
}

/**
 * A clock that moves only when told to. Tasks run in time order (ties in the order they were scheduled), each with
 * `now()` set to its own instant. Cheap enough to drive a year of 10,000 simulated machines.
 */
export class VirtualClock implements Scheduler {
  #now: number;
  #heap: Task[] = [];
  #order = 0;

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** How many tasks are waiting. */
  get pending(): number {
    return this.#heap.reduce((n, t) => n + (t.cancelled ? 0 : 1), 0);
  }

  /** When the next task is due, or undefined. */
  nextDue(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.time;
  }

  at(timeMs: number, fn: () => unknown): Cancel {
    return this.#push({ time: Math.max(timeMs, this.#now), order: this.#order++, fn, cancelled: false });
  }

  every(intervalMs: number, fn: () => unknown, firstDelayMs = intervalMs): Cancel {
    if (!(intervalMs > 0)) throw new Error(`interval must be positive, got ${intervalMs}`);
    return this.#push({
      time: this.#now + Math.max(0, firstDelayMs),
      order: this.#order++,
      fn,
      cancelled: false,
      next: (ranAt) => ranAt + intervalMs,
    });
  }

  cron(expression: string, fn: () => unknown): Cancel {
    const fields = parseCron(expression);
    return this.#push({
      time: nextCronTime(fields, this.#now),
      order: this.#order++,
      fn,
      cancelled: false,
      next: (ranAt) => nextCronTime(fields, ranAt),
    });
  }

  /** Runs every task due up to `timeMs` (inclusive), then sets the clock to `timeMs`. Promises are not awaited. */
  advanceTo(timeMs: number): number {
    let ran = 0;
    for (;;) {
      const task = this.#popDue(timeMs);
      if (!task) break;
      this.#run(task);
      ran++;
    }
    if (timeMs > this.#now) this.#now = timeMs;
    return ran;
  }

  advanceBy(ms: number): number {
    return this.advanceTo(this.#now + ms);
  }

  /** Like advanceTo, but awaits each task's promise before running the next. */
  async advanceToAsync(timeMs: number): Promise<number> {
    let ran = 0;
    for (;;) {
      const task = this.#popDue(timeMs);
      if (!task) break;
      await this.#run(task);
      ran++;
    }
    if (timeMs > this.#now) this.#now = timeMs;
    return ran;
  }

  async advanceByAsync(ms: number): Promise<number> {
    return this.advanceToAsync(this.#now + ms);
  }

  #run(task: Task): unknown {
    this.#now = Math.max(this.#now, task.time);
    if (task.next) {
      const nextTime = task.next(task.time);
      if (nextTime !== undefined) {
        this.#push({ ...task, time: nextTime, order: this.#order++ }, task);
      }
    }
    return task.fn();
  }

  #popDue(limit: number): Task | undefined {
    this.#dropCancelled();
    const top = this.#heap[0];
    if (!top || top.time > limit) return undefined;
    return this.#pop();
  }

  #dropCancelled(): void {
    while (this.#heap[0]?.cancelled) this.#pop();
  }

  /** Pushes a task; a repeating task keeps one cancel handle across its runs through `handleOf`. */
  #push(task: Task, handleOf?: Task): Cancel {
    const handle = (handleOf as Task & { handle?: { current: Task } } | undefined)?.handle ?? { current: task };
    handle.current = task;
    (task as Task & { handle?: { current: Task } }).handle = handle;
    const h = this.#heap;
    h.push(task);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(h[p]!, h[i]!)) break;
      const tmp = h[p]!;
      h[p] = h[i]!;
      h[i] = tmp;
      i = p;
    }
    return () => {
      handle.current.cancelled = true;
    };
  }

  #pop(): Task | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        const tmp = h[m]!;
        h[m] = h[i]!;
        h[i] = tmp;
        i = m;
      }
    }
    return top;
  }
}

function before(a: Task, b: Task): boolean {
  return a.time < b.time || (a.time === b.time && a.order < b.order);
}
