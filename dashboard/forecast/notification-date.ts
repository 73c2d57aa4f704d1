/**
 * When a product reaches OOT grace and Notification if nothing renews or activates it from now on: a Licensed KMS
 * client keeps its activation until its 180 days end (graceExpiresAt), then spends the 30-day additional (OOT) grace;
 * a product already in a grace period reaches Notification when that grace ends.
 */
import { isGraceStatus, LICENSE_STATUS } from '../../shared/license-status.js';
import { MS, OOT_GRACE_DAYS } from '../../shared/kms-rules.js';
import type { ProductState } from '../../shared/protocol.js';

export interface ExpiryPath {
  /** When the product enters OOT grace, or null when it will not (already in grace, or not a KMS client). */
  ootGraceAt: number | null;
  /** When it reaches Notification; null when it never will without a change (permanent activation, MAK…). */
  notificationAt: number | null;
  alreadyInNotification: boolean;
}

export function expiryPathOf(p: ProductState): ExpiryPath {
  if (p.licenseStatus === LICENSE_STATUS.NOTIFICATION) return { ootGraceAt: null, notificationAt: null, alreadyInNotification: true };
  if (p.graceExpiresAt === null) return { ootGraceAt: null, notificationAt: null, alreadyInNotification: false };
  const end = Date.parse(p.graceExpiresAt);
  if (p.licenseStatus === LICENSE_STATUS.LICENSED) {
    // A Licensed product with an end date is a KMS (or time-based) activation: OOT grace follows it.
    // AD-based activation lasts 180 days and renews like KMS too.
    if (p.channel !== 'kms-client' && p.channel !== 'ad-based') return { ootGraceAt: null, notificationAt: null, alreadyInNotification: false };
    return { ootGraceAt: end, notificationAt: end + OOT_GRACE_DAYS * MS.DAY, alreadyInNotification: false };
  }
  if (isGraceStatus(p.licenseStatus)) return { ootGraceAt: null, notificationAt: end, alreadyInNotification: false };
  return { ootGraceAt: null, notificationAt: null, alreadyInNotification: false };
}

/** Midnight UTC of the day holding `t`. */
export function startOfUtcDay(t: number): number {
  return Math.floor(t / MS.DAY) * MS.DAY;
}

/** `2026-11-29`. */
export function utcDate(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}
