import type { MachineSnapshot, ProductState } from '../../../shared/protocol.js';

/**
 * Product names, descriptions, SKU ids, OS captions, group and KMS host names repeat across the whole fleet: a
 * million machines carry a few dozen distinct values. Parsing each snapshot makes a fresh copy of every one of them,
 * so the in-memory state shares one instance per distinct value instead. Per-machine values (ids, host names, CMIDs,
 * instants) are left alone. The table is capped so that hostile input cannot grow it without bound; past the cap,
 * new values are simply not shared.
 */
const MAX_ENTRIES = 50_000;
const table = new Map<string, string>();

export function intern(s: string): string;
export function intern(s: string | null): string | null;
export function intern(s: string | undefined): string | undefined;
export function intern(s: string | null | undefined): string | null | undefined {
  if (typeof s !== 'string') return s;
  const hit = table.get(s);
  if (hit !== undefined) return hit;
  if (table.size < MAX_ENTRIES) table.set(s, s);
  return s;
}

/**
 * Shares the snapshot's fleet-wide repeated strings, in place (values are unchanged; only which instance of each
 * string the objects point at). Meant for a snapshot just parsed (from the store or a report) that nothing else holds.
 */
export function internSnapshot(s: MachineSnapshot): MachineSnapshot {
  s.group = intern(s.group);
  s.os.caption = intern(s.os.caption);
  s.os.version = intern(s.os.version);
  for (const p of s.products) internProduct(p);
  return s;
}

function internProduct(p: ProductState): void {
  p.activationId = intern(p.activationId);
  p.name = intern(p.name);
  p.partialProductKey = intern(p.partialProductKey);
  if (p.applicationId !== undefined) p.applicationId = intern(p.applicationId);
  if (p.description !== undefined) p.description = intern(p.description);
  if (p.kmsHost) p.kmsHost.name = intern(p.kmsHost.name);
}
