import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { AlertBook, type AlertRecord } from '../../dashboard/alerts/alert-book.js';
import { ALERT_MIGRATIONS } from '../../dashboard/alerts/alert-migrations.js';
import { migrate } from '../../dashboard/server/store/database.js';
import type { AlertsEngine } from '../../dashboard/alerts/alerts-plugin.js';
import type { FleetView, KmsHostView, KmsRequestObservation } from '../../dashboard/alerts/model.js';
import { alertsEngineView } from '../../dashboard/metrics/alerts-engine-view.js';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const DAY = 86_400_000;

function alert(a: Partial<AlertRecord>): AlertRecord {
  return {
    id: '1', key: 'k', rule: 'GraceExpiring', severity: 'warning', state: 'new',
    subject: { kind: 'machine', id: 'm', name: 'm' }, groups: ['hq'], kmsHost: null, title: 't', machines: [],
    knowledge: { meaning: '', cause: '', action: '', commands: [] },
    raisedAt: NOW, updatedAt: NOW, resolvedAt: null, acknowledgedBy: null, acknowledgedAt: null,
    silencedUntil: null, silencedBy: null, silenceReason: null, previousId: null, occurrence: 1,
    ...a,
  } as AlertRecord;
}

function host(requests: KmsRequestObservation[]): KmsHostView {
  return {
    hostId: 'kms01.contoso.com', machineId: 'h1', hostname: 'KMS01.contoso.com', dnsDomain: 'contoso.com', group: 'dc', retired: false,
    kmsService: { currentCount: 26, requiredClientCount: 25, listeningPort: 1688, dnsPublishing: true, lowPriority: false,
      requests: { total: null, failed: null, unlicensed: null, licensed: null, oobGrace: null, ootGrace: null, nonGenuineGrace: null, notification: null } },
    observedSince: NOW - 90 * DAY, seedCount: 0, requests, dnsPublishing: [], lastReportAt: NOW,
  };
}

function engine(open: AlertRecord[], fleet: FleetView): AlertsEngine {
  return { book: () => ({ open: () => open }), fleet: () => fleet } as unknown as AlertsEngine;
}

/** A real alert book over an in-memory store holding these open alerts. */
function bookOf(open: AlertRecord[]): AlertBook {
  const db = new Database(':memory:');
  migrate(db, 'alerts', ALERT_MIGRATIONS);
  const insert = db.prepare(`INSERT INTO alerts (key, rule, severity, state, subject_kind, subject_id, subject_name, groups,
    kms_host, title, machines, knowledge, raised_at, updated_at, resolved_at, acknowledged_by, acknowledged_at, silenced_until,
    silenced_by, silence_reason, previous_id, occurrence) VALUES (?, ?, ?, ?, 'machine', 'm', 'm', '', NULL, 't', '[]', '{}', ?, ?,
    NULL, NULL, NULL, ?, NULL, NULL, NULL, 1)`);
  for (const a of open) insert.run(`k${a.id}`, a.rule, a.severity, a.state, NOW, NOW, a.silencedUntil);
  return new AlertBook(db);
}

describe('alert engine as the metrics see it', () => {
  it('counts open alerts by rule, severity and state, silenced while the silence lasts', () => {
    const book = bookOf([
      alert({ id: '1' }),
      alert({ id: '2' }),
      alert({ id: '3', state: 'acknowledged', severity: 'critical' }),
      alert({ id: '4', silencedUntil: NOW + 1 }),
      alert({ id: '5', silencedUntil: NOW }),
    ]);
    const e = { book: () => book, fleet: () => ({ machines: [], kmsHosts: [] }) } as unknown as AlertsEngine;
    const view = alertsEngineView(() => e, { now: () => NOW });
    const sorted = <T extends { readonly state: string; readonly severity: string }>(xs: Iterable<T>): T[] => [...xs].sort((a, b) => `${a.state}${a.severity}`.localeCompare(`${b.state}${b.severity}`));
    expect(sorted(view.alertTallies())).toEqual(
      sorted([
        { rule: 'GraceExpiring', severity: 'warning', state: 'new', count: 3 },
        { rule: 'GraceExpiring', severity: 'critical', state: 'acknowledged', count: 1 },
        { rule: 'GraceExpiring', severity: 'warning', state: 'silenced', count: 1 },
      ]),
    );
    expect(book.counts(NOW)).toEqual({ active: 4, critical: 1, warning: 3, acknowledged: 1 });
    // Once the silence ends, the alert counts as new again.
    expect(book.counts(NOW + 1)).toEqual({ active: 5, critical: 1, warning: 4, acknowledged: 1 });
  });

  it('gives the day a host falls below 25 when clients that stopped age out, keyed by lower-case FQDN', () => {
    // 24 clients renewing weekly, 2 that stopped 25 days ago: they leave the 30-day window in 5 days, 26 → 24.
    const requests: KmsRequestObservation[] = [];
    for (let i = 0; i < 24; i++) {
      for (let d = 0; d < 35; d += 7) requests.push({ time: NOW - d * DAY - i * 60_000, clientFqdn: `ws-${i}`, cmid: `c-${i}`, nPolicy: 25, hresult: 0, licenseStatus: 1 });
    }
    for (let i = 24; i < 26; i++) requests.push({ time: NOW - 25 * DAY, clientFqdn: `ws-${i}`, cmid: `c-${i}`, nPolicy: 25, hresult: 0, licenseStatus: 1 });
    const view = alertsEngineView(() => engine([], { machines: [], kmsHosts: [host(requests)] }), { now: () => NOW });
    expect(view.kmsForecast('kms01.contoso.com')).toBeUndefined();
    view.refresh!(NOW);
    const f = view.kmsForecast('kms01.contoso.com')!;
    expect(f.below25At).not.toBeNull();
    expect(Math.abs(f.below25At! - (NOW + 5 * DAY))).toBeLessThanOrEqual(DAY);
    expect(f.below5At).toBeNull();
  });

  it('reads nothing while the engine is not there', () => {
    const view = alertsEngineView(() => undefined, { now: () => NOW });
    view.refresh!(NOW);
    expect([...view.alertTallies()]).toEqual([]);
    expect(view.kmsForecast('kms01.contoso.com')).toBeUndefined();
  });
});
