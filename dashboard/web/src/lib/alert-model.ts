// The alert list as screens hold it: the `alerts` room's snapshot, then its deltas; grouping under the KMS host the
// affected clients depend on (one outage, one incident) and worst-first ordering. Pure: no DOM.
import type { AlertCounts, AlertListItem } from '../../../../shared/api.js';

export function sortAlertsWorstFirst(alerts: readonly AlertListItem[]): AlertListItem[] {
  const sev = (a: AlertListItem) => (a.severity === 'critical' ? 2 : 1);
  const state = (a: AlertListItem) => (a.state === 'new' ? 1 : 0);
  return [...alerts].sort((a, b) => state(b) - state(a) || sev(b) - sev(a) || Date.parse(b.raisedAt) - Date.parse(a.raisedAt));
}

/** Keeps the alerts room's list current from its snapshot and deltas; resolved alerts leave the list. */
export class AlertsModel {
  readonly byId = new Map<string, AlertListItem>();
  counts: AlertCounts = { active: 0, critical: 0, warning: 0, acknowledged: 0 };
  loaded = false;
  reset(alerts: readonly AlertListItem[], counts: AlertCounts): void {
    this.byId.clear();
    for (const a of alerts) if (a.state !== 'resolved') this.byId.set(a.id, a);
    this.counts = counts;
    this.loaded = true;
  }
  apply(a: AlertListItem): void {
    if (a.state === 'resolved') this.byId.delete(a.id);
    else this.byId.set(a.id, a);
  }
  active(): AlertListItem[] {
    return sortAlertsWorstFirst([...this.byId.values()]);
  }
}

export interface Incident {
  key: string;
  title: string;
  kmsHost: string | null;
  alerts: AlertListItem[];
  worst: 'critical' | 'warning';
}

/** Groups alerts under their KMS host (the host's own alerts too); the rest in one group. Worst incident first. */
export function groupIntoIncidents(alerts: readonly AlertListItem[]): Incident[] {
  const map = new Map<string, Incident>();
  for (const a of alerts) {
    const kmsHost = a.kmsHost ?? (a.subject.kind === 'kms-host' ? a.subject.id : null);
    const key = kmsHost ? `kms:${kmsHost}` : 'other';
    let inc = map.get(key);
    if (!inc) {
      inc = { key, title: kmsHost ? `KMS host ${kmsHost}` : 'Not tied to a KMS host', kmsHost, alerts: [], worst: 'warning' };
      map.set(key, inc);
    }
    inc.alerts.push(a);
    if (a.severity === 'critical') inc.worst = 'critical';
  }
  const rank = (i: Incident) => (i.worst === 'critical' ? 2 : 1) * 1e6 + i.alerts.length;
  const list = [...map.values()].sort((a, b) => Number(a.key === 'other') - Number(b.key === 'other') || rank(b) - rank(a));
  for (const i of list) i.alerts = sortAlertsWorstFirst(i.alerts);
  return list;
}
