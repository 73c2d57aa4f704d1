/**
 * Which threshold a KMS host must meet: 25 while client OS machines depend on it, 5 when only servers use it (a
 * host only servers have asked caps its count at 10, so 25 could never be reached).
 */
import { KMS_CLIENT_THRESHOLD, KMS_CLIENT_WINDOW_DAYS, MS } from '../../shared/kms-rules.js';
import { someDependent } from './kms-dependency.js';
import type { FleetView, KmsHostView } from './model.js';

export function clientOsDependsOn(fleet: FleetView, host: KmsHostView, now: number): boolean {
  if (someDependent(fleet, host, 'client-os')) return true;
  return host.requests.some((r) => r.nPolicy >= KMS_CLIENT_THRESHOLD && now - r.time < KMS_CLIENT_WINDOW_DAYS * MS.DAY);
}
