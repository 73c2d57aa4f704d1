/**
 * The alert as the notifiers see it: a narrow copy of what the alert engine keeps, so Alertmanager pushes and webhooks
 * do not depend on its storage. Instants are milliseconds since the Unix epoch.
 */
export interface NotifiableAlert {
  /** The engine's id of this occurrence (a condition that clears and returns gets a new one). */
  readonly id: string;
  readonly rule: string;
  readonly severity: 'warning' | 'critical';
  readonly state: 'new' | 'acknowledged' | 'resolved';
  readonly subject: { readonly kind: string; readonly id: string; readonly name: string };
  readonly group: string | null;
  /** The KMS host the affected clients depend on, or the host the alert is about (lower-case FQDN). */
  readonly kmsHost: string | null;
  /** One line naming the machine or host. */
  readonly title: string;
  readonly knowledge?: {
    readonly meaning: string;
    readonly cause: string;
    readonly action: string;
    readonly commands: readonly string[];
    readonly hresult?: { readonly code: string; readonly text: string };
  };
  /** How many machines the alert covers (an incident grouped under a KMS host covers many). */
  readonly machineCount?: number;
  readonly raisedAt: number;
  readonly resolvedAt: number | null;
}

/** What happened to an alert, as webhooks announce it. */
export type AlertEventKind = 'raised' | 'updated' | 'acknowledged' | 'resolved';

/** The labels that name an alert's subject, shared by the collector's pushes and the shipped Prometheus rules. */
export function subjectLabels(a: Pick<NotifiableAlert, 'subject' | 'group' | 'kmsHost'>): Record<string, string> {
  const labels: Record<string, string> = {};
  switch (a.subject.kind) {
    case 'machine':
      labels.machine = a.subject.name;
      labels.machine_id = a.subject.id;
      break;
    case 'kms-host':
      labels.kms_host = a.subject.id;
      break;
    case 'cmid':
      labels.cmid = a.subject.id;
      break;
    case 'group':
      labels.group = a.subject.id;
      break;
    default:
      labels.subject = a.subject.id;
  }
  if (a.group && !labels.group) labels.group = a.group;
  if (a.kmsHost && !labels.kms_host) labels.kms_host = a.kmsHost;
  return labels;
}

/**
 * The labels that identify the subject alone (no severity, no id), so a silence matches this alert in every severity and
 * the shipped Prometheus rules' alert for the same subject (they carry machine_id / kms_host too).
 */
export function subjectIdentityLabels(a: Pick<NotifiableAlert, 'subject'>): Record<string, string> {
  switch (a.subject.kind) {
    case 'machine':
      return { machine_id: a.subject.id };
    case 'kms-host':
      return { kms_host: a.subject.id };
    case 'cmid':
      return { cmid: a.subject.id };
    case 'group':
      return { group: a.subject.id };
    default:
      return { subject: a.subject.id };
  }
}

/** The dashboard page of an alert (hash route of the web UI). */
export function alertPageUrl(publicUrl: string, id: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/#/alerts/${encodeURIComponent(id)}`;
}
