/**
 * Builds the rules' view of a KMS host from what its agent reported: the 12290 requests, the 12293 / 12294 DNS
 * publishing results, and the count it had when its agent started.
 */
import type { EventRecord } from '../../shared/protocol.js';
import { canonicalHostName, domainOf } from './host-names.js';
import type { FleetView, KmsHostView, KmsRequestObservation, MachineView } from './model.js';

export interface KmsHostHistory {
  observedSince: number;
  seedCount: number | null;
  /** The host's events, when they reach further back than `recentEvents`; defaults to `recentEvents`. */
  events?: readonly EventRecord[];
}

export function kmsRequestsOf(events: readonly EventRecord[]): KmsRequestObservation[] {
  const out: KmsRequestObservation[] = [];
  for (const e of events) {
    const p = e.payload;
    if (p.kind !== 'kms-request') continue;
    out.push({
      time: Date.parse(e.time),
      clientFqdn: p.clientFqdn,
      cmid: p.cmid,
      nPolicy: p.nPolicy,
      hresult: p.hresult,
      licenseStatus: p.licenseStatus,
    });
  }
  return out.sort((a, b) => a.time - b.time);
}

export function dnsPublishingOf(events: readonly EventRecord[]): KmsHostView['dnsPublishing'] {
  const byDomain = new Map<string, KmsHostView['dnsPublishing'][number]>();
  const sorted = [...events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.recordId - b.recordId);
  for (const e of sorted) {
    const p = e.payload;
    if (p.kind !== 'dns-publish-failed' && p.kind !== 'dns-publish-succeeded') continue;
    const domain = canonicalHostName(p.domain);
    const d = byDomain.get(domain) ?? { domain, lastFailedAt: null, lastFailedHresult: null, lastSucceededAt: null };
    if (p.kind === 'dns-publish-failed') {
      d.lastFailedAt = Date.parse(e.time);
      d.lastFailedHresult = p.hresult;
    } else d.lastSucceededAt = Date.parse(e.time);
    byDomain.set(domain, d);
  }
  return [...byDomain.values()];
}

/** The host view of a machine running the KMS service; undefined when it does not. */
export function kmsHostViewOf(m: MachineView, history: KmsHostHistory): KmsHostView | undefined {
  if (!m.kmsService) return undefined;
  const events = history.events ?? m.recentEvents;
  return {
    hostId: canonicalHostName(m.hostname),
    machineId: m.machineId,
    hostname: m.hostname,
    dnsDomain: m.dnsDomain ?? domainOf(m.hostname),
    group: m.group,
    retired: m.retired,
    kmsService: m.kmsService,
    observedSince: history.observedSince,
    seedCount: history.seedCount,
    requests: kmsRequestsOf(events),
    dnsPublishing: dnsPublishingOf(events),
    lastReportAt: m.lastReportAt,
  };
}

/** A fleet view from machines alone; `historyOf` supplies each KMS host's history. */
export function fleetViewOf(machines: MachineView[], historyOf: (m: MachineView) => KmsHostHistory): FleetView {
  const kmsHosts: KmsHostView[] = [];
  for (const m of machines) {
    const h = kmsHostViewOf(m, historyOf(m));
    if (h) kmsHosts.push(h);
  }
  return { machines, kmsHosts };
}
