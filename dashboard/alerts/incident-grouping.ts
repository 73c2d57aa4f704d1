/**
 * Client alerts are grouped under the KMS host they depend on: when a host goes down, hundreds of clients fail to
 * renew, then run into grace, then into Notification; that is one incident per rule and host listing the machines,
 * not hundreds of alerts. Findings of other rules (and of clients without a KMS host) stay one alert each.
 */
import type { AffectedMachine, Finding, Knowledge, RuleName, Severity } from './model.js';

/** Rules whose client findings fold into one alert per KMS host. */
export const GROUPED_BY_KMS_HOST: ReadonlySet<RuleName> = new Set<RuleName>([
  'ClientInNotification',
  'GraceExpiring',
  'KmsRenewalOverdue',
  'ActivationFailing',
]);

/** What the lifecycle tracks: one alert's condition at one instant. */
export interface AlertCondition {
  key: string;
  rule: RuleName;
  severity: Severity;
  subject: Finding['subject'];
  /** The groups of the machines concerned (one for most alerts). */
  groups: string[];
  kmsHost: string | null;
  machines: AffectedMachine[];
  summary: string;
  knowledge: Knowledge;
}

const RANK: Record<Severity, number> = { warning: 1, critical: 2 };

/** The alert a finding belongs to: its rule's incident on its KMS host, or its own. */
export function alertKeyOf(f: Finding): string {
  return GROUPED_BY_KMS_HOST.has(f.rule) && f.kmsHost ? `${f.rule}|kms-host:${f.kmsHost}` : f.key;
}

export function groupFindings(findings: Iterable<Finding>): AlertCondition[] {
  const out = new Map<string, { findings: Finding[] }>();
  for (const f of findings) {
    const key = alertKeyOf(f);
    const e = out.get(key);
    if (e) e.findings.push(f);
    else out.set(key, { findings: [f] });
  }
  const conditions: AlertCondition[] = [];
  for (const [key, { findings: fs }] of out) {
    const worst = fs.reduce((a, b) => (RANK[b.severity] > RANK[a.severity] ? b : a));
    const machines = new Map<string, AffectedMachine>();
    for (const f of fs) for (const m of f.machines) if (!machines.has(m.machineId)) machines.set(m.machineId, m);
    const groups = [...new Set(fs.map((f) => f.group))].sort();
    const grouped = key !== worst.key;
    const list = [...machines.values()].sort((a, b) => a.hostname.localeCompare(b.hostname));
    conditions.push({
      key,
      rule: worst.rule,
      severity: worst.severity,
      subject: grouped ? { kind: 'kms-host', id: worst.kmsHost!, name: worst.kmsHost! } : worst.subject,
      groups,
      kmsHost: worst.kmsHost,
      machines: list,
      summary: grouped && list.length > 1 ? `${list.length} clients of ${worst.kmsHost}: ${ruleHeadline(worst.rule)}` : worst.summary,
      knowledge: worst.knowledge,
    });
  }
  return conditions.sort((a, b) => a.key.localeCompare(b.key));
}

function ruleHeadline(rule: RuleName): string {
  switch (rule) {
    case 'ClientInNotification':
      return 'in Notification';
    case 'GraceExpiring':
      return 'grace period ending';
    case 'KmsRenewalOverdue':
      return 'KMS renewal overdue';
    case 'ActivationFailing':
      return 'activation failing';
    default:
      return rule;
  }
}
