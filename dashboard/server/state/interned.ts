import type { KmsHostRef, MachineSnapshot, OsInfo, ProductState } from '../../../shared/protocol.js';

/**
 * One shared instance per distinct key, for values that repeat across the fleet and are never changed once made (a
 * product name, an OS, an alert index record): a million machines carry a few dozen distinct ones. Capped so that
 * hostile input cannot grow a table without bound: a full table starts over, and the instances already handed out
 * stay valid (values that come and go, like expiry days, keep being shared).
 */
export class SharedValues<T> {
  readonly #table = new Map<string, T>();

  constructor(readonly max = 50_000) {}

  /** The instance shared under `key`; `value` becomes it when there is none. */
  share(key: string, value: T): T {
    const hit = this.#table.get(key);
    if (hit !== undefined) return hit;
    if (this.#table.size >= this.max) this.#table.clear();
    this.#table.set(key, value);
    return value;
  }
}

/**
 * One field of a SharedValues key that may hold any text (a host name) or be absent: prefixed with its length, so no
 * two different field sequences make the same key whatever the text holds ('-' when absent).
 */
export function keyPart(value: string | null): string {
  return value === null ? '-' : `${value.length}:${value}`;
}

/**
 * Product names, descriptions, SKU ids, OS captions, group and KMS host names: parsing each snapshot makes a fresh
 * copy of every one, so the in-memory state shares one instance per distinct value instead. Per-machine values (ids,
 * host names, CMIDs, instants) are left alone.
 */
const strings = new SharedValues<string>();

export function intern(s: string): string;
export function intern(s: string | null): string | null;
export function intern(s: string | undefined): string | undefined;
export function intern(s: string | null | undefined): string | null | undefined {
  return typeof s === 'string' ? strings.share(s, s) : s;
}

/**
 * Small value objects that repeat just as their strings do (an OS, a KMS host reference), ~50 bytes a machine each
 * at a million machines. Never mutated: a snapshot is replaced whole, never edited. Keyed by the fields the wire
 * schema allows (zod strips any other).
 */
const objects = new SharedValues<object>();

function internObject<T extends object>(key: string, o: T): T {
  return objects.share(key, o) as T;
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
