/**
 * Health rolls up as in SCOM: machine → the KMS host it depends on → group → fleet, and the worst state wins. A host
 * is as unhealthy as its worst client (a host outage shows on the host even when only clients report it).
 */
import { canonicalHostName, sameHost } from './host-names.js';
import { kmsHostOfMachine } from './kms-dependency.js';
import type { Health } from '../../shared/api.js';
import type { Finding, FleetView } from './model.js';

export type { Health };
// As the collector's default health: unknown loses to everything known.
const RANK: Record<Health, number> = { unknown: 0, healthy: 1, warning: 2, critical: 3 };

export function worst(a: Health, b: Health): Health {
  return RANK[b] > RANK[a] ? b : a;
}

export interface HealthRollup {
  fleet: Health;
  groups: Record<string, Health>;
  /** By the host's machine id. */
  kmsHosts: Record<string, Health>;
  machines: Record<string, Health>;
  /** Live machines per health. */
  counts: Record<Health, number>;
}

export function healthRollup(fleet: FleetView, findings: readonly Finding[]): HealthRollup {
  const machines: Record<string, Health> = {};
  const live = fleet.machines.filter((m) => !m.retired);
  for (const m of live) machines[m.machineId] = m.products.length === 0 && !m.kmsService ? 'unknown' : 'healthy';
  const hostFindings = new Map<string, Health>();
  for (const f of findings) {
    if (f.subject.kind === 'machine' && f.subject.id in machines) machines[f.subject.id] = worst(machines[f.subject.id]!, f.severity);
    for (const a of f.machines) if (a.machineId in machines) machines[a.machineId] = worst(machines[a.machineId]!, f.severity);
    if (f.subject.kind === 'kms-host') hostFindings.set(f.subject.id, worst(hostFindings.get(f.subject.id) ?? 'healthy', f.severity));
  }
  // The worst client health per KMS host name, in one pass over the machines.
  const byDependency = new Map<string, Health>();
  for (const m of live) {
    const dep = kmsHostOfMachine(m, fleet);
    if (dep) byDependency.set(dep, worst(byDependency.get(dep) ?? 'unknown', machines[m.machineId]!));
  }
  const kmsHosts: Record<string, Health> = {};
  for (const h of fleet.kmsHosts) {
    if (h.retired) continue;
    let health = worst(h.kmsService.currentCount === null ? 'unknown' : 'healthy', hostFindings.get(h.hostId) ?? 'unknown');
    if (h.machineId) health = worst(health, machines[h.machineId] ?? 'unknown');
    for (const [dep, d] of byDependency) if (sameHost(dep, canonicalHostName(h.hostname))) health = worst(health, d);
    kmsHosts[h.hostId] = health;
  }
  const groups: Record<string, Health> = {};
  for (const m of live) groups[m.group] = worst(groups[m.group] ?? 'unknown', machines[m.machineId]!);
  for (const h of fleet.kmsHosts) if (!h.retired) groups[h.group] = worst(groups[h.group] ?? 'unknown', kmsHosts[h.hostId]!);
  const fleetHealth = Object.values(groups).reduce<Health>((a, b) => worst(a, b), 'unknown');
  const counts: Record<Health, number> = { healthy: 0, unknown: 0, warning: 0, critical: 0 };
  for (const h of Object.values(machines)) counts[h]++;
  return { fleet: fleetHealth, groups, kmsHosts, machines, counts };
}
