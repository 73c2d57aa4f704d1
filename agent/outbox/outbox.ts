/**
 * The outbox: every report is appended here before any send and leaves only when a ReportAck covers its seq. It also
 * keeps the agent's progress (epoch, last seq, event bookmarks), because the bookmark a report's events reached must
 * become durable together with the report: see file-outbox.ts for the crash ordering.
 */
import type { Report } from '../../shared/protocol.js';

/** A report as queued: the agent id and the token are added when it is sent (they change on re-enrolment). */
export type QueuedReport = Omit<Report, 'agentId'>;

export interface OutboxEntry {
  epoch: number;
  seq: number;
  report: QueuedReport;
  /** Bytes on disk, for the bound. */
  size: number;
}

export interface OutboxProgress {
  epoch: number;
  /** The last seq handed out in this epoch (0 before the first). */
  seq: number;
  /** Per event log: the highest RecordId already queued. */
  bookmarks: Record<string, number>;
}

export interface OutboxStats {
  entries: number;
  bytes: number;
  /** Events dropped to stay within the bound since the agent started (also sent to the collector as lostEvents). */
  droppedEvents: number;
  /** Snapshots replaced by a later one while waiting. */
  compactedSnapshots: number;
}

export interface Outbox {
  progress(): OutboxProgress;
  /**
   * Queues a report durably and records the bookmarks its events reached; assigns and returns its seq. Build the
   * report with `next` (seq and epoch filled in).
   */
  append(build: (epoch: number, seq: number) => QueuedReport, bookmarks?: Record<string, number>): Promise<OutboxEntry>;
  /** The oldest entries of the oldest epoch, up to `max`, oldest first. */
  peek(max: number): OutboxEntry[];
  /** Removes every entry of `epoch` with seq ≤ `through`. */
  ack(epoch: number, through: number): Promise<number>;
  /** Resets one log's bookmark (the log was cleared on the machine). */
  resetBookmark(log: string, to: number): Promise<void>;
  stats(): OutboxStats;
  readonly size: number;
}
