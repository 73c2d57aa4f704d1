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
import { HR } from './event-records.js';

/** What a client sends: the fields a 12290 records. */
export interface KmsRequest {
  clientFqdn: string;
  cmid: string;
  /** The client's own clock when it sent the request. */
  clientTimeMs: number;
  vm: boolean;
  /** The client's LicenseStatus and the minutes until that state expires. */
  licenseStatus: number;
  minutesToExpiry: number;
  activationId: string;
  /** The client's N-policy: 25 for a client OS, 5 for a server OS. */
  nPolicy: number;
}

/** The host's answer: hresult 0 with the count, or a refusal. */
export interface KmsAnswer {
  hresult: number;
  /** The current count after counting the requester in; null on a refusal. */
  currentCount: number | null;
}

const WINDOW_MS = KMS_CLIENT_WINDOW_DAYS * MS.DAY;
const MAX_SKEW_MS = KMS_MAX_CLOCK_SKEW_HOURS * MS.HOUR;

export class KmsHostService {
  readonly listeningPort: number;
  dnsPublishing = true;
  lowPriority = false;
  // Unique CMIDs seen in the last 30 days: the latest sighting per CMID, plus the sightings in time order so ageing
  // out costs O(1) per request instead of a scan of the table.
  #lastSeen = new Map<string, number>();
  #sightings: Array<{ cmid: string; atMs: number }> = [];
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
   * from the host's clock is refused with 0xC004F06C and not counted.
   */
  process(req: KmsRequest, nowMs: number, hostClockMs = nowMs): KmsAnswer {
    this.#total++;
    if (req.licenseStatus >= 0 && req.licenseStatus < this.#byStatus.length) this.#byStatus[req.licenseStatus]!++;
    if (Math.abs(req.clientTimeMs - hostClockMs) > MAX_SKEW_MS) {
      this.#failed++;
      return { hresult: HR.TIMESTAMP_INVALID, currentCount: null };
    }
    this.#expire(nowMs);
    this.#lastSeen.set(req.cmid, nowMs);
    this.#sightings.push({ cmid: req.cmid, atMs: nowMs });
    if (req.nPolicy > this.#largestPolicy) this.#largestPolicy = req.nPolicy;
    return { hresult: HR.OK, currentCount: this.#capped() };
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
    const s = this.#sightings;
    while (this.#sightingsHead < s.length && s[this.#sightingsHead]!.atMs <= nowMs - WINDOW_MS) {
      const old = s[this.#sightingsHead++]!;
      if (this.#lastSeen.get(old.cmid) === old.atMs) this.#lastSeen.delete(old.cmid);
    }
    if (this.#sightingsHead > 1024 && this.#sightingsHead * 2 > s.length) {
      this.#sightings = s.slice(this.#sightingsHead);
      this.#sightingsHead = 0;
    }
  }
}
