/**
 * The licensing state of a product as a term that runs on its own: stored once when something happens (install,
 * activation, renewal, hardware change, rearm) and evaluated against the clock whenever it is read, so a machine needs
 * no timer for its grace periods to run out.
 */
import {
  KMS_ACTIVATION_VALIDITY_DAYS,
  MS,
  OOT_GRACE_DAYS,
} from '../../shared/kms-rules.js';
import { LICENSE_STATUS, type LicenseStatusValue } from '../../shared/license-status.js';
import { HR } from './event-records.js';

export type LicenceTerm =
  /** Initial grace since install or rearm; unactivated at its end → Notification, 0xC004F009. */
  | { phase: 'oob'; endsAtMs: number }
  /** KMS-activated until `validUntilMs` (180 days from the last renewal), then 30 days of OOT grace, then Notification. */
  | { phase: 'kms'; validUntilMs: number }
  /** Out of tolerance (hardware change) until `endsAtMs`, then Notification, 0xC004F00F. */
  | { phase: 'oot'; endsAtMs: number }
  /** Activated for good (MAK, the KMS host's own CSVLK): Licensed with GracePeriodRemaining 0. */
  | { phase: 'permanent' };

export interface LicenceReading {
  status: LicenseStatusValue;
  /** LicenseStatusReason. */
  reason: number;
  /** GracePeriodRemaining: whole minutes until the next state; 0 when permanent or in Notification. */
  remainingMinutes: number;
  /** When the current state ends, or null. */
  endsAtMs: number | null;
}

const OOT_MS = OOT_GRACE_DAYS * MS.DAY;

function until(endMs: number, nowMs: number): number {
  return Math.max(0, Math.floor((endMs - nowMs) / MS.MINUTE));
}

/** A state whose period is counting down to `endsAtMs`. */
function counting(status: LicenceReading['status'], reason: number, endsAtMs: number, nowMs: number): LicenceReading {
  return { status, reason, remainingMinutes: until(endsAtMs, nowMs), endsAtMs };
}

/** The product's state at `nowMs`. */
export function readTerm(term: LicenceTerm, nowMs: number): LicenceReading {
  switch (term.phase) {
    case 'permanent':
      return { status: LICENSE_STATUS.LICENSED, reason: HR.OK, remainingMinutes: 0, endsAtMs: null };
    case 'oob':
      if (nowMs < term.endsAtMs) {
        return counting(LICENSE_STATUS.OOB_GRACE, HR.IN_OOB_GRACE, term.endsAtMs, nowMs);
      }
      // Reference section 7: a grace period that runs out without activation ends in Notification.
      return { status: LICENSE_STATUS.NOTIFICATION, reason: HR.GRACE_EXPIRED, remainingMinutes: 0, endsAtMs: null };
    case 'kms': {
      if (nowMs < term.validUntilMs) {
        return counting(LICENSE_STATUS.LICENSED, HR.OK, term.validUntilMs, nowMs);
      }
      // Reference 1.3 / 7: a lapsed KMS activation enters the 30-day OOT grace, and Notification only after it.
      const ootEnd = term.validUntilMs + OOT_MS;
      if (nowMs < ootEnd) {
        return counting(LICENSE_STATUS.OOT_GRACE, HR.IN_OOT_GRACE, ootEnd, nowMs);
      }
      return { status: LICENSE_STATUS.NOTIFICATION, reason: HR.OUT_OF_TOLERANCE, remainingMinutes: 0, endsAtMs: null };
    }
    case 'oot':
      if (nowMs < term.endsAtMs) {
        return counting(LICENSE_STATUS.OOT_GRACE, HR.IN_OOT_GRACE, term.endsAtMs, nowMs);
      }
      return { status: LICENSE_STATUS.NOTIFICATION, reason: HR.OUT_OF_TOLERANCE, remainingMinutes: 0, endsAtMs: null };
  }
}

/** Just the LicenseStatus at `nowMs` (the same answer as readTerm, without building a reading: summaries call it a lot). */
export function statusAt(term: LicenceTerm, nowMs: number): LicenseStatusValue {
  switch (term.phase) {
    case 'permanent':
      return LICENSE_STATUS.LICENSED;
    case 'oob':
      return nowMs < term.endsAtMs ? LICENSE_STATUS.OOB_GRACE : LICENSE_STATUS.NOTIFICATION;
    case 'kms':
      return nowMs < term.validUntilMs
        ? LICENSE_STATUS.LICENSED
        : nowMs < term.validUntilMs + OOT_MS
          ? LICENSE_STATUS.OOT_GRACE
          : LICENSE_STATUS.NOTIFICATION;
    case 'oot':
      return nowMs < term.endsAtMs ? LICENSE_STATUS.OOT_GRACE : LICENSE_STATUS.NOTIFICATION;
  }
}

/** Just GracePeriodRemaining at `nowMs` (as readTerm, without building a reading). */
export function remainingMinutesAt(term: LicenceTerm, nowMs: number): number {
  switch (term.phase) {
    case 'permanent':
      return 0;
    case 'kms':
      if (nowMs < term.validUntilMs) return until(term.validUntilMs, nowMs);
      return until(term.validUntilMs + OOT_MS, nowMs);
    case 'oob':
    case 'oot':
      return until(term.endsAtMs, nowMs);
  }
}

/** The term a successful KMS activation or renewal at `nowMs` starts: 180 days of validity. */
export function kmsTermFrom(nowMs: number): LicenceTerm {
  return { phase: 'kms', validUntilMs: kmsValidUntil(nowMs) };
}

/** The end of the validity a KMS activation or renewal at `nowMs` gives: 180 days later. */
export function kmsValidUntil(nowMs: number): number {
  return nowMs + KMS_ACTIVATION_VALIDITY_DAYS * MS.DAY;
}

/** The term a hardware change at `nowMs` starts: 30 days out of tolerance. */
export function ootTermFrom(nowMs: number): LicenceTerm {
  return { phase: 'oot', endsAtMs: nowMs + OOT_MS };
}
