/**
 * How many instants (ms) lie before a cut-off, for cut-offs that move with the clock ("reported more than 15 minutes
 * ago", "reaching Notification within 7 days"). Instants are kept per whole second; each cut-off keeps a running count
 * of the instants in the seconds before it, so an answer costs the seconds the cut-off moved since the previous one (or
 * the number of distinct seconds held, if that is fewer) plus the instants of its own second, never the number of
 * instants. A tally holds several independent cut-offs (`cuts`), e.g. one per horizon.
 */
export class TimeTally {
  /**
   * Per whole second, the millisecond offsets (0–999) of its instants: one instant as the bare offset, several as an
   * array. Seconds are small integers (until 2038) and so are offsets, so a million instants cost no boxed numbers
   * and one Map entry per second that holds any.
   */
  readonly #bySecond = new Map<number, number | number[]>();
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
    const sec = Math.floor(t / 1000);
    const offset = t - sec * 1000;
    const cur = this.#bySecond.get(sec);
    if (cur === undefined) this.#bySecond.set(sec, offset);
    else if (typeof cur === 'number') this.#bySecond.set(sec, [cur, offset]);
    else cur.push(offset);
    this.#counted(sec, 1);
  }

  /** Removes one instant equal to `t`; an instant that was never added is ignored. */
  remove(t: number): void {
    const sec = Math.floor(t / 1000);
    const offset = t - sec * 1000;
    const cur = this.#bySecond.get(sec);
    if (cur === undefined) return;
    if (typeof cur === 'number') {
      if (cur !== offset) return;
      this.#bySecond.delete(sec);
    } else {
      const i = cur.indexOf(offset);
      if (i < 0) return;
      cur[i] = cur[cur.length - 1]!;
      cur.pop();
      if (cur.length === 1) this.#bySecond.set(sec, cur[0]!);
    }
    this.#counted(sec, -1);
  }

  /** Instants strictly before `cut` (ms), judged by cut-off number `i`; cheapest when each cut-off only moves forward. */
  countBefore(cut: number, i = 0): number {
    const c = this.#cuts[i]!;
    const sec = Math.floor(cut / 1000);
    if (sec !== c.sec) {
      const gap = Math.abs(sec - c.sec);
      if (gap <= this.#bySecond.size) {
        let moved = 0;
        const [from, to] = sec > c.sec ? [c.sec, sec] : [sec, c.sec];
        for (let s = from; s < to; s++) moved += countOf(this.#bySecond.get(s));
        c.below += sec > c.sec ? moved : -moved;
      } else {
        let below = 0;
        for (const [s, v] of this.#bySecond) if (s < sec) below += countOf(v);
        c.below = below;
      }
      c.sec = sec;
    }
    const within = cut - sec * 1000;
    const cur = this.#bySecond.get(sec);
    let partial = 0;
    if (typeof cur === 'number') partial = cur < within ? 1 : 0;
    else if (cur !== undefined) for (const o of cur) if (o < within) partial++;
    return c.below + partial;
  }

  #counted(sec: number, by: number): void {
    this.#size += by;
    for (const c of this.#cuts) if (sec < c.sec) c.below += by;
  }
}

function countOf(v: number | number[] | undefined): number {
  return v === undefined ? 0 : typeof v === 'number' ? 1 : v.length;
}
