// Hash routes (`#/machines/ws-0042?status=5`), so every deep link works whatever path the collector serves us from.

export interface Route {
  /** Path segments, decoded: `['machines', 'ws-0042']`. */
  path: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [p = '', q = ''] = raw.split('?', 2);
  const path = p
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { path: path.length ? path : ['overview'], query: new URLSearchParams(q) };
}

export function href(path: readonly string[], query?: Record<string, string | undefined> | URLSearchParams): string {
  const p = path.map((s) => encodeURIComponent(s)).join('/');
  let qs = '';
  if (query instanceof URLSearchParams) qs = query.toString();
  else if (query) {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') u.set(k, v);
    qs = u.toString();
  }
  return `#/${p}${qs ? `?${qs}` : ''}`;
}
