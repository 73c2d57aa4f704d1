/**
 * One simulated Windows event log: a bounded ring like the real thing (a full log overwrites its oldest records),
 * with a RecordId that keeps rising by one per record across the wrap.
 *
 * A year of a 10,000-machine fleet is millions of records, so they are not objects: each is eight numbers in a
 * fixed-size Float64Array chunk (strings and objects it refers to are numbered once in a shared RefTable). Chunks
 * live outside the JavaScript heap and are never copied, so the garbage collector has nothing to scan or move.
 */
import type { RawEventRecord } from '../../shared/wmi-shapes.js';
import { type StoredEvent, toRawEventRecord } from './event-records.js';

/** Default sizes, in records: the Application log holds a few thousand, the KMS log many more. */
export const DEFAULT_LOG_CAPACITY = { application: 2_000, kms: 50_000 } as const;

/** Numbers the values an event refers to (host names, client identities, domains), so records hold only numbers. */
export class RefTable {
  #values: unknown[] = [null];

  /** A new number for `value` (callers keep it: the table does not look values up). 0 stands for null. */
  add(value: unknown): number {
    if (value === null || value === undefined) return 0;
    this.#values.push(value);
    return this.#values.length - 1;
  }

  get(ref: number): unknown {
    return this.#values[ref] ?? null;
  }
}

const STRIDE = 8; // id, timeMs, n1, n2, n3, n4, a, b
const CHUNK_RECORDS = 64;

export class EventLog {
  readonly name: string;
  readonly provider: string;
  readonly capacity: number;
  readonly #refs: RefTable;
  #chunks: Float64Array[] = [];
  #size = 0;
  /** Slot of the oldest record once the ring is full. */
  #head = 0;
  #nextRecordId = 1;

  constructor(name: string, provider: string, capacity: number, refs: RefTable) {
    if (!(capacity >= 1)) throw new Error(`event log capacity must be at least 1, got ${capacity}`);
    this.name = name;
    this.provider = provider;
    this.capacity = Math.floor(capacity);
    this.#refs = refs;
  }

  /** The RecordId of the newest record, 0 when nothing was ever written. */
  get lastRecordId(): number {
    return this.#nextRecordId - 1;
  }

  /** How many records the log holds now. */
  get size(): number {
    return this.#size;
  }

  /** Appends a record; `a` and `b` are RefTable numbers (0 = none). */
  write(id: number, timeMs: number, n1 = 0, n2 = 0, n3 = 0, n4 = 0, a = 0, b = 0): void {
    let slot: number;
    if (this.#size < this.capacity) {
      slot = this.#size++;
      if (slot % CHUNK_RECORDS === 0 && this.#chunks.length * CHUNK_RECORDS <= slot) {
        this.#chunks.push(new Float64Array(Math.min(CHUNK_RECORDS, this.capacity - slot) * STRIDE));
      }
    } else {
      slot = this.#head;
      this.#head = this.#head + 1 === this.capacity ? 0 : this.#head + 1;
    }
    this.#nextRecordId++;
    const chunk = this.#chunks[(slot / CHUNK_RECORDS) | 0]!;
    const o = (slot % CHUNK_RECORDS) * STRIDE;
    chunk[o] = id;
    chunk[o + 1] = timeMs;
    chunk[o + 2] = n1;
    chunk[o + 3] = n2;
    chunk[o + 4] = n3;
    chunk[o + 5] = n4;
    chunk[o + 6] = a;
    chunk[o + 7] = b;
  }

  /** Records with a RecordId above `afterRecordId`, newest first (as Get-WinEvent lists them); at most `limit`. */
  read(afterRecordId: number, limit = Infinity): RawEventRecord[] {
    const out: RawEventRecord[] = [];
    const n = this.#size;
    const oldestRecordId = this.#nextRecordId - n;
    // The i-th oldest record (i = 0 … n-1) has RecordId oldestRecordId + i and sits in slot (head + i) % n.
    for (let i = n - 1; i >= 0 && out.length < limit; i--) {
      const recordId = oldestRecordId + i;
      if (recordId <= afterRecordId) break;
      out.push(toRawEventRecord(this.#at((this.#head + i) % n, recordId), this.name, this.provider));
    }
    return out;
  }

  #at(slot: number, recordId: number): StoredEvent {
    const c = this.#chunks[(slot / CHUNK_RECORDS) | 0]!;
    const o = (slot % CHUNK_RECORDS) * STRIDE;
    return {
      id: c[o]!,
      recordId,
      timeMs: c[o + 1]!,
      n1: c[o + 2]!,
      n2: c[o + 3]!,
      n3: c[o + 4]!,
      n4: c[o + 5]!,
      a: this.#refs.get(c[o + 6]!),
      b: this.#refs.get(c[o + 7]!),
    };
  }
}
