/** ClientInNotification: a product's LicenseStatus is 5 (Notification). Critical. */
import { z } from 'zod';
import { LICENSE_STATUS } from '../../../shared/license-status.js';
import { decodeHresult } from '../knowledge/hresult-text.js';
import { kmsHostOfProduct } from '../kms-dependency.js';
import type { Finding, FleetView } from '../model.js';
import type { ByGroup } from '../rule-definition.js';

export const ClientInNotificationConfig = z.strictObject({
  rule: z.literal('ClientInNotification'),
  enabled: z.boolean().default(true),
});
export type ClientInNotificationConfig = z.infer<typeof ClientInNotificationConfig>;

export function evaluate(state: FleetView, _now: number, config: ByGroup<ClientInNotificationConfig>): Finding[] {
  const out: Finding[] = [];
  for (const m of state.machines) {
    if (m.retired || !config.forGroup(m.group).enabled) continue;
    for (const p of m.products) {
      if (p.licenseStatus !== LICENSE_STATUS.NOTIFICATION) continue;
      const kmsHost = kmsHostOfProduct(p, m, state);
      const reason = p.licenseStatusReason ? decodeHresult(p.licenseStatusReason) : undefined;
      out.push({
        rule: 'ClientInNotification',
        severity: 'critical',
        key: `ClientInNotification|machine:${m.machineId}|${p.activationId}`,
        subject: { kind: 'machine', id: m.machineId, name: m.hostname },
        group: m.group,
        kmsHost,
        machines: [{ machineId: m.machineId, hostname: m.hostname, detail: `${p.name}${reason ? ` (${reason.code})` : ''}` }],
        summary: `${m.hostname}: ${p.name} is in Notification`,
        knowledge: {
          meaning:
            'The product is in Notification: its grace ran out without activation. Windows nags the user and some features stop; the machine is not licensed.',
          cause:
            p.channel === 'kms-client'
              ? 'A KMS client whose 180-day activation lapsed went through the 30-day additional (OOT) grace without reaching a KMS host that could renew it: host down, port 1688 blocked, no _vlmcs._tcp record, count below threshold, or clock skew over 4 hours.'
              : 'The initial or additional grace ended without activation (MAK not activated, hardware change not re-activated, or non-genuine).',
          action:
            p.channel === 'kms-client'
              ? `Make the KMS host reachable${kmsHost ? ` (${kmsHost})` : ''}, then activate now; check the reason code and the client's 12288/12289 events.`
              : 'Activate the product (online or by phone for MAK), or install the right key.',
          ...(reason ? { hresult: reason } : {}),
          commands: [
            'cscript //nologo %windir%\\system32\\slmgr.vbs /dlv',
            'cscript //nologo %windir%\\system32\\slmgr.vbs /ato',
            "Get-CimInstance SoftwareLicensingProduct -Filter 'PartialProductKey IS NOT NULL' | Select-Object Name, LicenseStatus, LicenseStatusReason, GracePeriodRemaining",
          ],
        },
      });
    }
  }
  return out;
}
