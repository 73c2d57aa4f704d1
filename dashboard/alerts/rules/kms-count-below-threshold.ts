/**
 * KmsCountBelowThreshold: a KMS host's current count is below 25 while client OS machines depend on it (warning), or
 * below 5 (critical). A host only servers use is judged against 5 alone. Volume Office has its own count on the same
 * host (its Office KMS host product) and its own threshold, 5: below it, a finding of its own (warning: Windows still
 * activates; Office clients do not).
 */
import { z } from 'zod';
import { applicationOf, KMS_CLIENT_THRESHOLD, KMS_SERVER_THRESHOLD, OFFICE_KMS_THRESHOLD } from '../../../shared/kms-rules.js';
import { decodeHresult } from '../knowledge/hresult-text.js';
import { agentNow } from '../agent-time.js';
import { canonicalHostName } from '../host-names.js';
import { dependentsOf } from '../kms-dependency.js';
import { clientOsDependsOn } from '../kms-host-policy.js';
import type { Finding, FleetView, KmsHostView } from '../model.js';
import type { ByGroup } from '../rule-definition.js';

export const KmsCountBelowThresholdConfig = z.strictObject({
  rule: z.literal('KmsCountBelowThreshold'),
  enabled: z.boolean().default(true),
  clientThreshold: z.number().int().positive().default(KMS_CLIENT_THRESHOLD),
  serverThreshold: z.number().int().positive().default(KMS_SERVER_THRESHOLD),
  officeThreshold: z.number().int().positive().default(OFFICE_KMS_THRESHOLD),
});
export type KmsCountBelowThresholdConfig = z.infer<typeof KmsCountBelowThresholdConfig>;

export function evaluate(state: FleetView, now: number, config: ByGroup<KmsCountBelowThresholdConfig>): Finding[] {
  const out: Finding[] = [];
  for (const h of state.kmsHosts) {
    const c = config.forGroup(h.group);
    if (h.retired || !c.enabled) continue;
    const office = officeFinding(state, h, c);
    if (office) out.push(office);
    const count = h.kmsService.currentCount;
    if (count === null) continue;
    const clientOs = clientOsDependsOn(state, h, agentNow(h, now));
    let severity: 'warning' | 'critical' | null = null;
    let threshold = c.serverThreshold;
    if (count < c.serverThreshold) severity = 'critical';
    else if (clientOs && count < c.clientThreshold) {
      severity = 'warning';
      threshold = c.clientThreshold;
    }
    if (!severity) continue;
    const dependents = dependentsOf(state, h);
    out.push({
      rule: 'KmsCountBelowThreshold',
      severity,
      key: `KmsCountBelowThreshold|kms-host:${h.hostId}`,
      subject: { kind: 'kms-host', id: h.hostId, name: h.hostname },
      group: h.group,
      kmsHost: canonicalHostName(h.hostname),
      machines: dependents.map((m) => ({ machineId: m.machineId, hostname: m.hostname, detail: `${m.osKind} OS` })),
      summary: `${h.hostname}: Windows KMS count ${count} is below ${threshold}${clientOs ? ' with client OS machines depending on it' : ''}`,
      knowledge: {
        meaning:
          severity === 'critical'
            ? `The host has seen fewer than ${c.serverThreshold} distinct clients in 30 days: it activates nothing, neither servers nor client OS.`
            : `The host has seen fewer than ${c.clientThreshold} distinct clients in 30 days: servers still activate, but client OS machines (Windows 10/11…) do not; they fail with 0xC004F038 and run down their grace.`,
        cause:
          'Too few machines use this host (a small site), machines were retired so the count decayed, clients use another host, or cloned machines share one CMID (un-generalised image) so many machines count as one.',
        action:
          'Point more machines at this host or consolidate small sites onto a central host; check for duplicate CMIDs; activate small sites with MAK or Active Directory-based activation instead.',
        hresult: decodeHresult(0xc004f038),
        commands: [
          'cscript //nologo %windir%\\system32\\slmgr.vbs /dlv   (on the host: "Current count")',
          "Get-WinEvent -FilterHashtable @{LogName='Key Management Service'; Id=12290} -MaxEvents 50",
          'nslookup -type=srv _vlmcs._tcp',
        ],
      },
    });
  }
  return out;
}

/** The Office count (its Office KMS host product's) below its threshold, or null. */
function officeFinding(state: FleetView, h: KmsHostView, c: KmsCountBelowThresholdConfig): Finding | null {
  const app = h.kmsService.applications?.find((a) => applicationOf(a.applicationId) === 'office');
  const count = app?.currentCount ?? null;
  if (count === null || count >= c.officeThreshold) return null;
  const dependents = dependentsOf(state, h, 'office-client');
  return {
    rule: 'KmsCountBelowThreshold',
    severity: 'warning',
    key: `KmsCountBelowThreshold|kms-host:${h.hostId}|office`,
    subject: { kind: 'kms-host', id: h.hostId, name: h.hostname },
    group: h.group,
    kmsHost: canonicalHostName(h.hostname),
    machines: dependents.map((m) => ({ machineId: m.machineId, hostname: m.hostname, detail: 'volume Office' })),
    summary: `${h.hostname}: Office KMS count ${count} is below ${c.officeThreshold}`,
    knowledge: {
      meaning: `The host's Office count (its own, apart from Windows') has seen fewer than ${c.officeThreshold} distinct Office clients in 30 days: volume Office (LTSC 2021 / 2024, 2019) does not activate against it and runs down its grace; Windows activation is not affected.`,
      cause:
        'Fewer than 5 machines with volume Office use this host, Office machines were retired so the count decayed, they use another host, or cloned machines share one CMID.',
      action:
        'Point more Office clients at this host (or consolidate onto a host that has them), check for duplicate CMIDs, or activate Office with MAK or Active Directory-based activation instead.',
      hresult: decodeHresult(0xc004f038),
      commands: [
        'cscript //nologo %windir%\\system32\\slmgr.vbs /dlv all   (on the host: the Office host product\'s "Current count")',
        'cscript "%ProgramFiles%\\Microsoft Office\\Office16\\OSPP.VBS" /dstatus   (on a client)',
        "Get-WinEvent -FilterHashtable @{LogName='Key Management Service'; Id=12290} -MaxEvents 50",
      ],
    },
  };
}
