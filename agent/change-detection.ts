/**
 * What counts as a change worth a report. A ticking grace counter is not (the agent reports an expiry instant, which
 * stays put); a status, reason, channel, key, KMS host, count or rearm change is, and so is the expiry instant moving
 * by more than a tolerance (a renewal moves it by days; collection jitter by seconds).
 */
import type { KmsServiceState, MachineSnapshot, ProductState } from '../shared/protocol.js';

/** How far the expiry instant may drift before it counts as a change (default 1 h). */
export const DEFAULT_EXPIRY_TOLERANCE_MS = 60 * 60_000;

function expiryMoved(a: string | null, b: string | null, toleranceMs: number): boolean {
  if (a === null || b === null) return a !== b;
  return Math.abs(Date.parse(a) - Date.parse(b)) > toleranceMs;
}

function productChanges(prev: ProductState, next: ProductState, toleranceMs: number): string[] {
  const out: string[] = [];
  const name = next.name || next.activationId;
  if (prev.licenseStatus !== next.licenseStatus) out.push(`${name}: status ${prev.licenseStatus} → ${next.licenseStatus}`);
  if (prev.licenseStatusReason !== next.licenseStatusReason) out.push(`${name}: reason`);
  if (prev.channel !== next.channel) out.push(`${name}: channel`);
  if (prev.partialProductKey !== next.partialProductKey) out.push(`${name}: key`);
  if (prev.primary !== next.primary) out.push(`${name}: primary`);
  const ph = prev.kmsHost;
  const nh = next.kmsHost;
  if ((ph?.name ?? null) !== (nh?.name ?? null) || (ph?.port ?? null) !== (nh?.port ?? null) || (ph?.source ?? null) !== (nh?.source ?? null)) {
    out.push(`${name}: KMS host`);
  }
  if (prev.rearmsRemaining !== next.rearmsRemaining) out.push(`${name}: rearms`);
  if ((prev.vlActivationType ?? null) !== (next.vlActivationType ?? null)) out.push(`${name}: activation type`);
  const pa = prev.adActivation ?? null;
  const na = next.adActivation ?? null;
  if ((pa?.objectName ?? null) !== (na?.objectName ?? null) || (pa?.objectDn ?? null) !== (na?.objectDn ?? null)) {
    out.push(`${name}: AD activation object`);
  }
  if (expiryMoved(prev.graceExpiresAt, next.graceExpiresAt, toleranceMs)) out.push(`${name}: expiry`);
  if (prev.renewalIntervalMinutes !== next.renewalIntervalMinutes || prev.activationIntervalMinutes !== next.activationIntervalMinutes) {
    out.push(`${name}: intervals`);
  }
  return out;
}

function kmsChanges(prev: KmsServiceState | undefined, next: KmsServiceState | undefined): string[] {
  if (!prev || !next) return prev === next ? [] : ['KMS service appeared or went'];
  const out: string[] = [];
  if (prev.currentCount !== next.currentCount) out.push(`KMS count ${prev.currentCount} → ${next.currentCount}`);
  if (prev.requiredClientCount !== next.requiredClientCount) out.push('KMS required count');
  if (prev.listeningPort !== next.listeningPort) out.push('KMS port');
  if (prev.dnsPublishing !== next.dnsPublishing || prev.lowPriority !== next.lowPriority) out.push('KMS settings');
  if (prev.listening !== next.listening || prev.serviceRunning !== next.serviceRunning) out.push('KMS service health');
  const apps = (s: KmsServiceState) => (s.applications ?? []).map((a) => `${a.applicationId}=${a.currentCount}/${a.requiredClientCount}`).join(',');
  if (apps(prev) !== apps(next)) out.push('KMS count per application');
  // Request counters move with every client request; 12290 events carry those, so counters alone are not a change.
  return out;
}

/**
 * The meaningful differences between two snapshots of the same machine, in words for the log; empty when none.
 * `prev` undefined (nothing sent yet) is always a change.
 */
export function meaningfulChanges(
  prev: MachineSnapshot | undefined,
  next: MachineSnapshot,
  toleranceMs = DEFAULT_EXPIRY_TOLERANCE_MS,
): string[] {
  if (!prev) return ['first snapshot'];
  const out: string[] = [];
  if (prev.hostname !== next.hostname || prev.group !== next.group) out.push('hostname or group');
  if (prev.os.caption !== next.os.caption || prev.os.version !== next.os.version || prev.os.kind !== next.os.kind) out.push('OS');
  if (prev.cmid !== next.cmid) out.push('CMID');
  const before = new Map(prev.products.map((p) => [p.activationId.toLowerCase(), p]));
  const after = new Map(next.products.map((p) => [p.activationId.toLowerCase(), p]));
  for (const [id, p] of after) {
    const q = before.get(id);
    if (!q) out.push(`${p.name || id}: installed`);
    else out.push(...productChanges(q, p, toleranceMs));
  }
  for (const [id, q] of before) if (!after.has(id)) out.push(`${q.name || id}: removed`);
  out.push(...kmsChanges(prev.kmsService, next.kmsService));
  return out;
}
