import type { AlertCounts, Health } from '../../../shared/api.js';
import { KMS_CLIENT_THRESHOLD, KMS_SERVER_THRESHOLD, MS } from '../../../shared/kms-rules.js';
import type { Clock } from '../../../shared/scheduling.js';
import type { HealthProvider } from '../plugin.js';
import type { FleetState } from '../state/fleet-state.js';
import type { MachineState } from '../state/machine-state.js';

const RANK: Record<Health, number> = { unknown: 0, healthy: 1, warning: 2, critical: 3 };

/** The worse of two health states (unknown loses to everything known). */
export function worst(a: Health, b: Health): Health {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * Health until the alert engine supplies its own: from licence status alone. Notification and Unlicensed are
 * critical; a grace period is a warning (critical in its last 7 days); a KMS host below the threshold its clients
 * need is critical below 5 and a warning below 25.
 */
export function defaultHealth(state: FleetState, clock: Clock): HealthProvider {
  const machine = (m: MachineState): Health => {
    if (m.retired || !m.primary) return 'unknown';
    const s = m.primary.licenseStatus;
    if (s === 1) return 'healthy';
    if (s === 0 || s === 5) return 'critical';
    const end = m.primary.graceExpiresAt ? Date.parse(m.primary.graceExpiresAt) : null;
    return end !== null && end - clock.now() < 7 * MS.DAY ? 'critical' : 'warning';
  };
  const kmsHost = (id: string): Health => {
    const h = state.kmsHost(id);
    const count = h?.kmsService?.currentCount;
    if (count === null || count === undefined) return 'unknown';
    if (count < KMS_SERVER_THRESHOLD) return 'critical';
    if (count < KMS_CLIENT_THRESHOLD && state.clientOsUsingKmsHost(id) > 0) return 'warning';
    if (h?.dnsFailure) return 'warning';
    return 'healthy';
  };
  const fromCounts = (counts: ReadonlyMap<string, number>): Health => {
    let h: Health = 'unknown';
    for (const [status, n] of counts) {
      if (n <= 0) continue;
      if (status === '0' || status === '5') h = worst(h, 'critical');
      else if (status === '1') h = worst(h, 'healthy');
      else if (status !== 'none') h = worst(h, 'warning');
    }
    return h;
  };
  const group = (g: string): Health => fromCounts(state.groupStatusCounts().get(g) ?? new Map());
  const fleet = (): Health => {
    let h = fromCounts(state.statusCounts());
    for (const k of state.kmsHosts()) h = worst(h, kmsHost(k.id));
    return h;
  };
  const alertCounts = (): AlertCounts => ({ active: 0, critical: 0, warning: 0, acknowledged: 0 });
  return { machine, kmsHost, group, fleet, alertCounts };
}
