/**
 * Each machine's next instant that matters to a time-based rule (a grace threshold, the stale deadline, a renewal
 * falling overdue, an unanswered request timing out), so the minute tick looks only at the machines whose instant has
 * come instead of sweeping the fleet. Instants are kept in buckets (one minute by default) with a min-heap of the
 * bucket numbers: scheduling, moving and dropping a machine are O(1) (plus O(log buckets) for a new bucket), and
 * popping costs O(machines due).
 *
 * Instants are kept as whole seconds since EPOCH_MS, rounded down: small integers (until 2088), which V8 keeps in the
 * map itself, where milliseconds since 1970 are each a 16-byte boxed number. Rounding down pops a machine less than a
 * second early at worst: its rules find nothing new yet (nothing changes before its instant) and it is due again at
 * the next pop.
 */
const EPOCH_MS = Date.UTC(2020, 0, 1);

export class DeadlineIndex {
  readonly #bucketMs: number;
  /** Each machine's instant, in seconds since EPOCH_MS. */
  #due = new Map<string, number>();
  #buckets = new Map<number, Set<string>>();
  /** The bucket numbers, smallest first; each is in the heap exactly once, as long as its (maybe empty) set exists. */
  #heap: number[] = [];

  constructor(bucketMs = 60_000) {
    this.#bucketMs = bucketMs;
  }

  get size(): number {
    return this.#due.size;
  }

  /** Schedules (or moves) a machine; null drops it. */
  schedule(id: string, atMs: number | null): void {
    const at = atMs === null ? null : secondOf(atMs);
    const old = this.#due.get(id);
    if (old === at) return;
    if (at === null) {
      if (old === undefined) return;
      // An emptied bucket stays (empty) until its time comes, so its number is in the heap once only.
      this.#buckets.get(this.#bucketOf(old))?.delete(id);
      this.#due.delete(id);
      return;
    }
    // Overwritten in place, not deleted and added: a million-entry Map that keeps losing and gaining entries is
    // rehashed whole every so often (hundreds of ms at a million machines, on the event loop).
    this.#due.set(id, at);
    const b = this.#bucketOf(at);
    if (old !== undefined) {
      if (this.#bucketOf(old) === b) return;
      this.#buckets.get(this.#bucketOf(old))?.delete(id);
    }
    let set = this.#buckets.get(b);
    if (!set) {
      this.#buckets.set(b, (set = new Set()));
      heapPush(this.#heap, b);
    }
    set.add(id);
  }

  /** Takes out every machine due at or before `now` (they are no longer scheduled; the caller schedules them anew). */
  popDue(nowMs: number): string[] {
    const out: string[] = [];
    const now = secondOf(nowMs);
    const last = this.#bucketOf(now);
    while (this.#heap.length > 0 && this.#heap[0]! <= last) {
      const b = this.#heap[0]!;
      const set = this.#buckets.get(b)!;
      if (b < last) {
        heapPop(this.#heap);
        this.#buckets.delete(b);
        for (const id of set) {
          this.#due.delete(id);
          out.push(id);
        }
        continue;
      }
      // The bucket of `now`: take what is due, leave the rest for the next pop.
      for (const id of set) {
        if (this.#due.get(id)! > now) continue;
        set.delete(id);
        this.#due.delete(id);
        out.push(id);
      }
      if (set.size === 0) {
        this.#buckets.delete(b);
        heapPop(this.#heap);
      }
      break;
    }
    return out;
  }

  #bucketOf(second: number): number {
    return Math.floor((second * 1000) / this.#bucketMs);
  }
}

function secondOf(ms: number): number {
  return Math.floor((ms - EPOCH_MS) / 1000);
}

function heapPush(h: number[], v: number): void {
  h.push(v);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]! <= v) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = v;
}

function heapPop(h: number[]): void {
  const last = h.pop()!;
  if (h.length === 0) return;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= h.length) break;
    const r = l + 1;
    const c = r < h.length && h[r]! < h[l]! ? r : l;
    if (h[c]! >= last) break;
    h[i] = h[c]!;
    i = c;
  }
  h[i] = last;
}
