/**
 * The Key Management Service on a KMS host: the client-id window behind the count, the cap, and the cumulative request
 * counters (reference sections 1.1, 5 and 7).
 */
import {
  KMS_CLIENT_WINDOW_DAYS,
  KMS_DEFAULT_PORT,
  KMS_MAX_CLOCK_SKEW_HOURS,
  MS,
} from '../../shared/kms-rules.js';
import { type ClientIdentity, HR } from './event-records.js';

/** The largest count a host can answer with; anything above is a failure HRESULT (those are all ≥ 0x80000000). */
export const MAX_COUNT = 0xffff;

const WINDOW_MS = KMS_CLIENT_WINDOW_DAYS * MS.DAY;
const MAX_SKEW_MS = KMS_MAX_CLOCK_SKEW_HOURS * MS.HOUR;

export class KmsHostService {
  readonly listeningPort: number;
  dnsPublishing = true;
  lowPriority = false;
  // Unique CMIDs seen in the last 30 days: the latest sighting per CMID, plus the sightings in time order so ageing
  // out costs O(1) per request instead of a scan of the table.
  #lastSeen = new Map<string, number>();
  #sightingCmids: string[] = [];
  #sightingTimes: number[] = [];
  #sightingsHead = 0;
  #largestPolicy = 0;
  #total = 0;
  #failed = 0;
  /** Requests by the client's reported LicenseStatus 0..5 (Unlicensed … Notification). */
  #byStatus = [0, 0, 0, 0, 0, 0];

  constructor(listeningPort = KMS_DEFAULT_PORT) {
    this.listeningPort = listeningPort;
  }

  /**
   * Handles one request at simulation time `nowMs`, the host's own clock reading `hostClockMs`. The host counts the
   * requester in before it answers, so the 25th client receives 25 (reference 7); a request stamped more than 4 h away
   * from the host's clock is refused with 0xC004F06C and not counted. Returns the count, or that HRESULT.
   */
  process(client: ClientIdentity, clientTimeMs: number, licenseStatus: number, nowMs: number, hostClockMs = nowMs): number {
    this.#total++;
    if (licenseStatus >= 0 && licenseStatus < this.#byStatus.length) this.#byStatus[licenseStatus]!++;
    if (Math.abs(clientTimeMs - hostClockMs) > MAX_SKEW_MS) {
      this.#failed++;
      return HR.TIMESTAMP_INVALID;
    }
    this.#expire(nowMs);
    const { cmid, nPolicy } = client;
    this.#lastSeen.set(cmid, nowMs);
    this.#sightingCmids.push(cmid);
    this.#sightingTimes.push(nowMs);
    if (nPolicy > this.#largestPolicy) this.#largestPolicy = nPolicy;
    return this.#capped();
  }

  /**
   * The count now: unique CMIDs of the last 30 days, capped at twice the largest N-policy seen (50 once a client OS
   * asked, 10 while only servers have). Null before the first request (Windows reports the -1 sentinel then).
   */
  currentCount(nowMs: number): number | null {
    if (this.#largestPolicy === 0) return null;
    this.#expire(nowMs);
    return this.#capped();
  }

  /** Every CMID in the window with its last sighting, for tests and forecasts. */
  windowEntries(nowMs: number): Array<{ cmid: string; lastSeenMs: number }> {
    this.#expire(nowMs);
    return [...this.#lastSeen].map(([cmid, lastSeenMs]) => ({ cmid, lastSeenMs }));
  }

  /** The N-policy the host reports as RequiredClientCount: the largest seen, else the client-OS threshold. */
  get largestPolicy(): number {
    return this.#largestPolicy;
  }

  get counters(): { total: number; failed: number; byStatus: readonly number[] } {
    return { total: this.#total, failed: this.#failed, byStatus: this.#byStatus };
  }

  #capped(): number {
    return Math.min(this.#lastSeen.size, 2 * this.#largestPolicy);
  }

  #expire(nowMs: number): void {
    const cmids = this.#sightingCmids;
    const times = this.#sightingTimes;
    const oldest = nowMs - WINDOW_MS;
    let h = this.#sightingsHead;
    while (h < times.length && times[h]! <= oldest) {
      const cmid = cmids[h]!;
      if (this.#lastSeen.get(cmid) === times[h]) this.#lastSeen.delete(cmid);
      h++;
    }
    this.#sightingsHead = h;
    if (h > 1024 && h * 2 > times.length) {
      this.#sightingCmids = cmids.slice(h);
      this.#sightingTimes = times.slice(h);
      this.#sightingsHead = 0;
    }
  }
}
