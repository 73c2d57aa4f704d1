import { MS, OOT_GRACE_DAYS } from '../../shared/kms-rules.js';
import { LICENSE_STATUS, isGraceStatus } from '../../shared/license-status.js';
import type { ProductFacts } from './metrics-source.js';

/**
 * When a product reaches Notification if nothing renews or activates it: a grace state ends in Notification; a
 * Licensed KMS client whose 180 days run out first spends OOT_GRACE_DAYS in additional (OOT) grace. Null when it has
 * no end (MAK, retail, permanent) or is already in Notification.
 */
export function notificationAt(p: Pick<ProductFacts, 'licenseStatus' | 'channel' | 'graceExpiresAt'>): number | null {
  if (p.graceExpiresAt === null) return null;
  if (isGraceStatus(p.licenseStatus)) return p.graceExpiresAt;
  if (p.licenseStatus === LICENSE_STATUS.LICENSED && p.channel === 'kms-client') {
    return p.graceExpiresAt + OOT_GRACE_DAYS * MS.DAY;
  }
  return null;
}
