/**
 * One simulated Windows event log: a bounded ring like the real thing (a full log overwrites its oldest records),
 * with a RecordId that keeps rising by one per record across the wrap. Records are kept in columns (numbers plus two
 * reference slots) rather than one object each: a year of a 10,000-machine fleet is millions of records, and the
 * garbage collector would otherwise spend more time on them than the model does.
 */
import type { RawEventRecord } from '../../shared/wmi-shapes.js';
import { type StoredEvent, toRawEventRecord } from './event-records.js';

/** Default sizes, in records: the Application log holds a few thousand, the KMS log many more. */
export const DEFAULT_LOG_CAPACITY = { application: 2_000, kms: 50_000 } as const;

const NUMS = 5; // timeMs, n1..n4
const REFS = 2; // a, b

export class EventLog {
  readonly name: string;
  readonly provider: string;
  readonly capacity: number;
  // Plain arrays grown by push: they stay on the V8 heap as packed numbers, where small typed arrays would each
  // need an off-heap buffer (and grow by copying).
  #ids: number[] = [];
  #nums: number[] = [];
  #refs: unknown[] = [];
  #size = 0;
  /** Slot of the oldest record once the ring is full. */
  #head = 0;
  #nextRecordId = 1;

  constructor(name: string, provider: string, capacity: number) {
    if (!(capacity >= 1)) throw new Error(`event log capacity must be at least 1, got ${capacity}`);
    this.name = name;
    this.provider = provider;
    this.capacity = Math.floor(capacity);
  }

  /** The RecordId of the newest record, 0 when nothing was ever written. */
  get lastRecordId(): number {
    return this.#nextRecordId - 1;
  }

  /** How many records the log holds now. */
  get size(): number {
    return this.#size;
  }

  write(id: number, timeMs: number, n1 = 0, n2 = 0, n3 = 0, n4 = 0, a: unknown = null, b: unknown = null): void {
    this.#nextRecordId++;
    if (this.#size < this.capacity) {
      this.#size++;
      this.#ids.push(id);
      this.#nums.push(timeMs, n1, n2, n3, n4);
      this.#refs.push(a, b);
      return;
    }
    const slot = this.#head;
    this.#head = (this.#head + 1) % this.capacity;
    this.#ids[slot] = id;
    const o = slot * NUMS;
    const nums = this.#nums;
    nums[o] = timeMs;
    nums[o + 1] = n1;
    nums[o + 2] = n2;
    nums[o + 3] = n3;
    nums[o + 4] = n4;
    this.#refs[slot * REFS] = a;
    this.#refs[slot * REFS + 1] = b;
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
    const o = slot * NUMS;
    const nums = this.#nums;
    return {
      id: this.#ids[slot]!,
      recordId,
      timeMs: nums[o]!,
      n1: nums[o + 1]!,
      n2: nums[o + 2]!,
      n3: nums[o + 3]!,
      n4: nums[o + 4]!,
      a: this.#refs[slot * REFS],
      b: this.#refs[slot * REFS + 1],
    };
  }
}
