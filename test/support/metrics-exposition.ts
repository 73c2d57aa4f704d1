/** Reads Prometheus text exposition back into samples, so tests assert on what a scraper would see. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function unescape(v: string): string {
  return v.replace(/\\(n|\\|")/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (const l of (m[2] ?? '').matchAll(re)) labels[l[1]!] = unescape(l[2]!);
    const raw = m[3]!;
    out.push({ name: m[1]!, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) });
  }
  return out;
}

/** Samples of a metric whose labels include `match`. */
export function samples(all: Sample[], name: string, match: Record<string, string> = {}): Sample[] {
  return all.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The one sample of a metric with these labels; throws when there is none or more than one. */
export function value(all: Sample[], name: string, match: Record<string, string> = {}): number {
  const found = samples(all, name, match);
  if (found.length !== 1) throw new Error(`${name}${JSON.stringify(match)}: expected one sample, found ${found.length}`);
  return found[0]!.value;
}
