/** Alerts and forecasts as the REST API and the socket carry them: instants as ISO strings. */
import type { AlertListItem } from '../../shared/api.js';
import type { BlastRadius } from '../forecast/blast-radius.js';
import type { ExpiryWave } from '../forecast/expiry-wave.js';
import type { KmsCountForecast } from '../forecast/kms-count-forecast.js';
import type { AlertHistoryEntry, AlertRecord } from './alert-book.js';

const iso = (t: number) => new Date(t).toISOString();
const isoOrNull = (t: number | null) => (t === null ? null : iso(t));

export function alertListItem(a: AlertRecord): AlertListItem {
  return {
    id: a.id,
    rule: a.rule,
    severity: a.severity,
    state: a.state,
    subject: a.subject,
    group: a.groups[0] ?? null,
    groups: a.groups,
    kmsHost: a.kmsHost,
    title: a.title,
    machineCount: a.machines.length,
    raisedAt: iso(a.raisedAt),
    updatedAt: iso(a.updatedAt),
    resolvedAt: isoOrNull(a.resolvedAt),
    acknowledgedBy: a.acknowledgedBy,
    acknowledgedAt: isoOrNull(a.acknowledgedAt),
    silencedUntil: isoOrNull(a.silencedUntil),
    silencedBy: a.silencedBy,
    silenceReason: a.silenceReason,
    previousId: a.previousId,
    occurrence: a.occurrence,
  };
}

export function alertDetail(a: AlertRecord, history: AlertHistoryEntry[], previous: AlertRecord[]) {
  return {
    ...alertListItem(a),
    machines: a.machines,
    knowledge: a.knowledge,
    history: history.map((h) => ({ ...h, at: iso(h.at) })),
    previousOccurrences: previous.map((p) => ({ id: p.id, raisedAt: iso(p.raisedAt), resolvedAt: isoOrNull(p.resolvedAt), severity: p.severity })),
  };
}

export function forecastView(f: KmsCountForecast) {
  return {
    kmsHost: f.hostId,
    hostname: f.hostname,
    application: f.application,
    /** `clients`: no agent runs on the host; the window is what its clients showed, a lower bound. */
    basis: f.basis,
    at: iso(f.at),
    modelledCount: f.modelledCount,
    reportedCount: f.reportedCount,
    cap: f.cap,
    days: f.days.map((d) => ({ day: d.day, at: iso(d.at), count: d.count })),
    crossings: f.crossings.map((c) => ({
      threshold: c.threshold,
      alreadyBelow: c.alreadyBelow,
      at: isoOrNull(c.at),
      unnamedCausing: c.unnamedCausing,
      causedBy: c.causedBy.map((x) => ({ cmid: x.cmid, clientFqdn: x.clientFqdn, lastSeenAt: iso(x.lastSeenAt), agesOutAt: iso(x.agesOutAt) })),
    })),
    clients: f.clients.map((c) => ({
      cmid: c.cmid,
      clientFqdn: c.clientFqdn,
      firstSeenAt: iso(c.firstSeenAt),
      lastSeenAt: iso(c.lastSeenAt),
      requests: c.requests,
      nPolicy: c.nPolicy,
      status: c.status,
      agesOutAt: isoOrNull(c.agesOutAt),
    })),
    unnamedClients: { count: f.unnamedClients.count, agesOutBy: isoOrNull(f.unnamedClients.agesOutBy) },
  };
}

export function blastRadiusView(b: BlastRadius) {
  const machine = (m: BlastRadius['affected'][number]) => ({
    ...m,
    ootGraceAt: isoOrNull(m.ootGraceAt),
    notificationAt: isoOrNull(m.notificationAt),
  });
  return {
    kmsHost: b.hostId,
    hostname: b.hostname,
    at: iso(b.at),
    affectedCount: b.affected.length,
    affected: b.affected.map(machine),
    coveredByFailover: b.coveredByFailover.map(machine),
    byDay: b.byDay,
    firstNotificationAt: isoOrNull(b.firstNotificationAt),
  };
}

export function expiryWaveView(w: ExpiryWave) {
  return {
    at: iso(w.at),
    alreadyInNotification: w.alreadyInNotification,
    days: w.days.map((d) => ({
      date: d.date,
      count: d.count,
      machines: d.machines.map((m) => ({ ...m, notificationAt: iso(m.notificationAt) })),
    })),
  };
}
