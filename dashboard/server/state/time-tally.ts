/**
 * How many instants (ms) lie before a cut-off, for cut-offs that move with the clock ("reported more than 15 minutes
 * ago", "reaching Notification within 7 days"). Instants are counted per millisecond and per second; each cut-off keeps
 * a running count of the whole seconds before it, so an answer costs the seconds the cut-off moved since the previous
 * one (or the number of distinct seconds held, if that is fewer) plus at most 999 look-ups for its own second, never
 * the number of instants. A tally holds several independent cut-offs (`cuts`), e.g. one per horizon.
 */
export class TimeTally {
  readonly #exact = new Map<number, number>();
  readonly #seconds = new Map<number, number>();
  /** Per cut-off: the second it stands at, and how many instants lie in the seconds before it. */
  readonly #cuts: Array<{ sec: number; below: number }>;
  #size = 0;

  constructor(cuts = 1) {
    this.#cuts = Array.from({ length: cuts }, () => ({ sec: -Infinity, below: 0 }));
  }

  get size(): number {
    return this.#size;
  }

  add(t: number): void {
    this.#bump(t, 1);
  }

  remove(t: number): void {
    this.#bump(t, -1);
  }

  /** Instants strictly before `cut` (ms), judged by cut-off number `i`; cheapest when each cut-off only moves forward. */
  countBefore(cut: number, i = 0): number {
    const c = this.#cuts[i]!;
    const sec = Math.floor(cut / 1000);
    if (sec !== c.sec) {
      const gap = Math.abs(sec - c.sec);
      if (gap <= this.#seconds.size) {
        let moved = 0;
        const [from, to] = sec > c.sec ? [c.sec, sec] : [sec, c.sec];
        for (let s = from; s < to; s++) moved += this.#seconds.get(s) ?? 0;
        c.below += sec > c.sec ? moved : -moved;
      } else {
        let below = 0;
        for (const [s, n] of this.#seconds) if (s < sec) below += n;
        c.below = below;
      }
      c.sec = sec;
    }
    let partial = 0;
    if (this.#seconds.has(sec)) for (let t = sec * 1000; t < cut; t++) partial += this.#exact.get(t) ?? 0;
    return c.below + partial;
  }

  #bump(t: number, by: number): void {
    const sec = Math.floor(t / 1000);
    bump(this.#exact, t, by);
    bump(this.#seconds, sec, by);
    this.#size += by;
    for (const c of this.#cuts) if (sec < c.sec) c.below += by;
  }
}

function bump(m: Map<number, number>, k: number, by: number): void {
  const n = (m.get(k) ?? 0) + by;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}
