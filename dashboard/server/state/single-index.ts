/**
 * Indexes from a key to the ids that have it. `SingleIndex` is for keys that almost always have one (a CMID, a host
 * name): the id itself is stored, and a Set only for the rare keys that several ids share; at a million machines that
 * is a million Sets fewer per index. `addTo` / `removeFrom` are for keys many ids share (a group, a KMS host).
 */
export type SingleIndex = Map<string, string | Set<string>>;

/** Adds an id under a key; returns how many ids the key has now. */
export function addOne(index: SingleIndex, key: string, id: string): number {
  const cur = index.get(key);
  if (cur === undefined || cur === id) {
    index.set(key, id);
    return 1;
  }
  const set = typeof cur === 'string' ? new Set([cur]) : cur;
  set.add(id);
  index.set(key, set);
  return set.size;
}

/** Removes an id from under a key; returns how many ids the key has left. */
export function removeOne(index: SingleIndex, key: string, id: string): number {
  const cur = index.get(key);
  if (cur === undefined) return 0;
  if (typeof cur === 'string') {
    if (cur !== id) return 1;
    index.delete(key);
    return 0;
  }
  cur.delete(id);
  if (cur.size === 1) index.set(key, cur.values().next().value!);
  else if (cur.size === 0) index.delete(key);
  return cur.size;
}

/** The ids under a key. */
export function idsOf(entry: string | Set<string> | undefined): string[] {
  return entry === undefined ? [] : typeof entry === 'string' ? [entry] : [...entry];
}

/** Adds an id to the Set under a key (for keys many ids share: a group, a KMS host). */
export function addTo<K>(index: Map<K, Set<string>>, key: K, id: string): void {
  let s = index.get(key);
  if (!s) index.set(key, (s = new Set()));
  s.add(id);
}

/** Removes an id from the Set under a key, and the key once its Set is empty. */
export function removeFrom<K>(index: Map<K, Set<string>>, key: K, id: string): void {
  const s = index.get(key);
  if (!s) return;
  s.delete(id);
  if (s.size === 0) index.delete(key);
}
