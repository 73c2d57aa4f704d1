/**
 * One simulated Windows event log: a bounded ring like the real thing (a full log overwrites its oldest records),
 * with a RecordId that keeps rising by one per record across the wrap.
 */
import type { RawEventRecord } from '../../shared/wmi-shapes.js';
import { type LoggedEvent, toRawEventRecord } from './event-records.js';

/** Default sizes, in records: the Application log holds a few thousand, the KMS log many more. */
export const DEFAULT_LOG_CAPACITY = { application: 2_000, kms: 50_000 } as const;

export class EventLog {
  readonly name: string;
  readonly capacity: number;
  // Grows until it is full, then works as a ring whose oldest record sits at #head.
  #buf: LoggedEvent[] = [];
  #head = 0;
  #nextRecordId = 1;

  constructor(name: string, capacity: number) {
    if (!(capacity >= 1)) throw new Error(`event log capacity must be at least 1, got ${capacity}`);
    this.name = name;
    this.capacity = Math.floor(capacity);
  }

  /** The RecordId of the newest record, 0 when nothing was ever written. */
  get lastRecordId(): number {
    return this.#nextRecordId - 1;
  }

  /** How many records the log holds now. */
  get size(): number {
    return this.#buf.length;
  }

  write(id: number, provider: string, timeMs: number, data: readonly (string | number)[]): void {
    const e: LoggedEvent = { id, recordId: this.#nextRecordId++, timeMs, provider, logName: this.name, data };
    if (this.#buf.length < this.capacity) {
      this.#buf.push(e);
    } else {
      this.#buf[this.#head] = e;
      this.#head = (this.#head + 1) % this.capacity;
    }
  }

  /** Records with a RecordId above `afterRecordId`, newest first (as Get-WinEvent lists them); at most `limit`. */
  read(afterRecordId: number, limit = Infinity): RawEventRecord[] {
    const out: RawEventRecord[] = [];
    const n = this.#buf.length;
    for (let i = n - 1; i >= 0 && out.length < limit; i--) {
      const e = this.#buf[(this.#head + i) % n]!;
      if (e.recordId <= afterRecordId) break;
      out.push(toRawEventRecord(e));
    }
    return out;
  }
}
