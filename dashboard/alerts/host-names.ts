/**
 * KMS host names arrive in several spellings: `KMS01`, `kms01.contoso.com`, `kms01.contoso.com.` (clients report the
 * FQDN they found in DNS, agents report the machine's own name). One canonical form and one comparison, used wherever
 * a client is tied to its host.
 */

export function canonicalHostName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** The host part of a name (`kms01` of `kms01.contoso.com`). */
export function firstLabel(name: string): string {
  return name.split('.')[0] ?? name;
}

/** True when two names denote the same machine: equal, or one is a bare name equal to the other's first label. */
export function sameHost(a: string, b: string): boolean {
  const x = canonicalHostName(a);
  const y = canonicalHostName(b);
  if (x === y) return true;
  if (!x.includes('.') || !y.includes('.')) return firstLabel(x) === firstLabel(y);
  return false;
}

/** The DNS domain of a fully qualified name (`kms01.contoso.com` → `contoso.com`), or null for a bare name. */
export function domainOf(name: string): string | null {
  const n = canonicalHostName(name);
  const i = n.indexOf('.');
  return i > 0 && i < n.length - 1 ? n.slice(i + 1) : null;
}

/**
 * A test for "is this name the same host as one of these" (`sameHost`), answered from two Sets instead of comparing
 * with every name: the canonical names, and the first labels (a bare name matches any name with that first label).
 */
export function sameHostAsAnyOf(names: Iterable<string>): (name: string) => boolean {
  const full = new Set<string>();
  const labels = new Set<string>();
  const bareLabels = new Set<string>();
  for (const n of names) {
    const c = canonicalHostName(n);
    full.add(c);
    labels.add(firstLabel(c));
    if (!c.includes('.')) bareLabels.add(c);
  }
  return (name) => {
    const c = canonicalHostName(name);
    if (full.has(c)) return true;
    const l = firstLabel(c);
    return c.includes('.') ? bareLabels.has(l) : labels.has(l);
  };
}
