import type {
  RawEventRecord,
  RawOperatingSystem,
  RawSoftwareLicensingProduct,
  RawSoftwareLicensingService,
} from '../../shared/wmi-shapes.js';

/** What a source found in one event log after a bookmark. */
export interface EventLogRead {
  /** False when the log does not exist on this machine (the KMS log on a machine that is not a KMS host). */
  logExists: boolean;
  /** Records with a RecordId above the bookmark, in any order (Get-WinEvent lists newest first). */
  records: RawEventRecord[];
  /**
   * The newest RecordId the log holds, when the source knows it; used to notice a cleared log (newest below the
   * bookmark). Null when the log is empty, undefined when the source cannot tell.
   */
  newestRecordId?: number | null;
}

/**
 * Where the agent reads licensing state from, in the raw shapes PowerShell prints. `cim` (a real Windows machine),
 * `replay` (files saved from those commands) and `sim` (a simulated machine) implement it; everything after the source
 * is the same code for all three.
 */
export interface LicensingSource {
  readonly kind: 'cim' | 'replay' | 'sim';
  /** SoftwareLicensingProduct instances with a key installed. */
  readProducts(): Promise<RawSoftwareLicensingProduct[]>;
  readService(): Promise<RawSoftwareLicensingService>;
  readOs(): Promise<RawOperatingSystem>;
  readEvents(log: string, afterRecordId: number): Promise<EventLogRead>;
  /** An id for this machine that survives reboots and re-imaging of the agent's state (not the CMID). */
  stableMachineId(): Promise<string>;
  /** Ends what the source keeps running (the cim source's PowerShell process). */
  close?(): Promise<void>;
  /** Where the source says what it did on its own (the cim source: PowerShell replaced, and why); the agent's log. */
  useLog?(log: (line: string) => void): void;
}
