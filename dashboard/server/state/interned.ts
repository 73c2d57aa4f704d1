import type { KmsHostRef, MachineSnapshot, OsInfo, ProductState } from '../../../shared/protocol.js';

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
 * Small value objects that repeat across the fleet just as their strings do (an OS, a KMS host reference): one shared
 * instance per distinct value (~50 bytes a machine each at a million machines). Shared instances are never mutated:
 * a snapshot is replaced whole, never edited. Keyed by the fields the wire schema allows (zod strips any other), and
 * capped like the string table.
 */
const objects = new Map<string, object>();

function internObject<T extends object>(key: string, o: T): T {
  const hit = objects.get(key);
  if (hit !== undefined) return hit as T;
  if (objects.size < MAX_ENTRIES) objects.set(key, o);
  return o;
}

function internOs(os: OsInfo): OsInfo {
  return internObject(`os\u0000${os.kind}\u0000${os.version}\u0000${os.caption}`, { caption: intern(os.caption), version: intern(os.version), kind: os.kind });
}

function internKmsHostRef(r: KmsHostRef): KmsHostRef {
  return internObject(`kms\u0000${r.source}\u0000${r.port}\u0000${r.name}`, { name: intern(r.name), port: r.port, source: r.source });
}

/**
 * Shares the snapshot's fleet-wide repeated strings and small objects, in place (values are unchanged; only which
 * instance the snapshot points at). Meant for a snapshot just parsed (from the store or a report) that nothing else
 * holds.
 */
export function internSnapshot(s: MachineSnapshot): MachineSnapshot {
  s.group = intern(s.group);
  s.os = internOs(s.os);
  for (const p of s.products) internProduct(p);
  return s;
}

function internProduct(p: ProductState): void {
  p.activationId = intern(p.activationId);
  p.name = intern(p.name);
  p.partialProductKey = intern(p.partialProductKey);
  if (p.applicationId !== undefined) p.applicationId = intern(p.applicationId);
  if (p.description !== undefined) p.description = intern(p.description);
  if (p.kmsHost) p.kmsHost = internKmsHostRef(p.kmsHost);
}
