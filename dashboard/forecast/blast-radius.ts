/**
 * Blast radius: if this KMS host stopped answering now, which of its clients would reach OOT grace and Notification,
 * and when. A client can fail over when it discovers hosts through DNS (not pinned with /skms) and another host
 * publishes `_vlmcs._tcp` in its domain with a count high enough to activate it; those are listed apart.
 */
import { MS, thresholdFor } from '../../shared/kms-rules.js';
import { licenseStatusInfo } from '../../shared/license-status.js';
import { canonicalHostName, domainOf, sameHost } from '../alerts/host-names.js';
import { candidatesOf, kmsClientProducts, kmsHostOfProduct } from '../alerts/kms-dependency.js';
import type { FleetView, KmsHostView, MachineView } from '../alerts/model.js';
import { expiryPathOf, startOfUtcDay, utcDate } from './notification-date.js';

export interface BlastRadiusMachine {
  machineId: string;
  hostname: string;
  group: string;
  product: string;
  licenseStatus: string;
  discovery: 'dns' | 'registry';
  ootGraceAt: number | null;
  notificationAt: number | null;
  alreadyInNotification: boolean;
  /** The host it would fail over to, when it can. */
  failoverHost: string | null;
}

export interface BlastRadius {
  hostId: string;
  hostname: string;
  at: number;
  /** Clients that would lose activation, earliest Notification first. */
  affected: BlastRadiusMachine[];
  /** Clients that would move to another published host instead. */
  coveredByFailover: BlastRadiusMachine[];
  /** Affected machines reaching OOT grace / Notification per UTC day (only days where something happens). */
  byDay: Array<{ date: string; ootGrace: number; notification: number }>;
  firstNotificationAt: number | null;
}

/** Domains where a host publishes its SRV record successfully (its own when publishing is on, plus 12294 domains). */
export function publishedDomainsOf(h: KmsHostView): string[] {
  const out = new Set<string>();
  if (h.kmsService.dnsPublishing) {
    const own = h.dnsDomain ?? domainOf(h.hostname);
    if (own) out.add(own);
    for (const d of h.dnsPublishing) {
      if (d.lastSucceededAt !== null) out.add(canonicalHostName(d.domain));
    }
    for (const d of h.dnsPublishing) {
      if (d.lastFailedAt !== null && (d.lastSucceededAt === null || d.lastFailedAt > d.lastSucceededAt)) out.delete(canonicalHostName(d.domain));
    }
  }
  return [...out];
}

function machineDomain(m: MachineView): string | null {
  return m.dnsDomain ?? domainOf(m.hostname);
}

/** `host` may be one no agent reports on (known only because clients name it): only its identity is needed. */
export function blastRadius(fleet: FleetView, host: Pick<KmsHostView, 'hostId' | 'hostname' | 'machineId'>, now: number): BlastRadius {
  const others = fleet.kmsHosts.filter(
    (h) => h.hostId !== host.hostId && !h.retired && now - h.lastReportAt <= 3 * heartbeatOf(fleet, h.machineId),
  );
  const affected: BlastRadiusMachine[] = [];
  const covered: BlastRadiusMachine[] = [];
  for (const m of candidatesOf(fleet, host.hostname)) {
    if (m.retired || m.machineId === host.machineId) continue;
    for (const p of kmsClientProducts(m)) {
      const uses = kmsHostOfProduct(p, m, fleet);
      if (!uses || !sameHost(uses, host.hostname)) continue;
      // Vista-class products do not say how they found their host; DNS discovery is the default unless /skms was set.
      const discovery = p.kmsHost?.source ?? 'dns';
      const path = expiryPathOf(p);
      if (path.notificationAt === null && !path.alreadyInNotification) continue;
      const domain = machineDomain(m);
      const needed = thresholdFor(m.osKind);
      const failover =
        discovery === 'dns' && domain
          ? others.find((h) => publishedDomainsOf(h).includes(domain) && (h.kmsService.currentCount ?? 0) >= needed)
          : undefined;
      const entry: BlastRadiusMachine = {
        machineId: m.machineId,
        hostname: m.hostname,
        group: m.group,
        product: p.name,
        licenseStatus: licenseStatusInfo(p.licenseStatus)?.label ?? String(p.licenseStatus),
        discovery,
        ootGraceAt: path.ootGraceAt,
        notificationAt: path.notificationAt,
        alreadyInNotification: path.alreadyInNotification,
        failoverHost: failover ? failover.hostname : null,
      };
      (failover ? covered : affected).push(entry);
    }
  }
  affected.sort((a, b) => (a.notificationAt ?? -Infinity) - (b.notificationAt ?? -Infinity) || a.hostname.localeCompare(b.hostname));
  const days = new Map<number, { ootGrace: number; notification: number }>();
  const bump = (t: number | null, k: 'ootGrace' | 'notification') => {
    if (t === null) return;
    const d = startOfUtcDay(Math.max(t, now));
    const e = days.get(d) ?? { ootGrace: 0, notification: 0 };
    e[k]++;
    days.set(d, e);
  };
  for (const a of affected) {
    bump(a.ootGraceAt, 'ootGrace');
    bump(a.notificationAt, 'notification');
  }
  const byDay = [...days.entries()].sort((a, b) => a[0] - b[0]).map(([d, e]) => ({ date: utcDate(d), ...e }));
  const first = affected.find((a) => a.notificationAt !== null)?.notificationAt ?? null;
  return { hostId: host.hostId, hostname: host.hostname, at: now, affected, coveredByFailover: covered, byDay, firstNotificationAt: first };
}

function heartbeatOf(fleet: FleetView, machineId: string | null): number {
  const m = fleet.index && machineId ? fleet.index.machine(machineId) : fleet.machines.find((x) => x.machineId === machineId);
  return m?.heartbeatIntervalMs ?? MS.HOUR;
}
