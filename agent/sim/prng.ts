/**
 * A small seeded pseudo-random generator (mulberry32), so a scenario with the same seed replays the same fleet, the
 * same machine ids and the same choices, run after run.
 */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A GUID-shaped string (version-4 layout) drawn from this generator. */
  guid(): string {
    const word = () => Math.floor(this.next() * 4294967296).toString(16).padStart(8, '0');
    const a = word();
    const b = word();
    const c = word();
    const d = word();
    const variant = (8 + (parseInt(c[0]!, 16) & 3)).toString(16);
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }

  /** Five characters from the product-key alphabet (what PartialProductKey shows). */
  keyTail(): string {
    const alphabet = 'BCDFGHJKMPQRTVWXY2346789';
    let s = '';
    for (let i = 0; i < 5; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
