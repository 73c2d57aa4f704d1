/**
 * KmsRenewalOverdue: a KMS client is Licensed but its time left is below 180 d minus (its renewal interval plus a
 * slack): it should have renewed by now and has not. The early sign of a KMS outage, months before any grace ends.
 */
import { z } from 'zod';
import { LICENSE_STATUS } from '../../../shared/license-status.js';
import { KMS_ACTIVATION_VALIDITY_DAYS, KMS_RENEWAL_INTERVAL_MINUTES, MS } from '../../../shared/kms-rules.js';
import { agentNow } from '../agent-time.js';
import { kmsHostOfProduct } from '../kms-dependency.js';
import type { Finding, FleetView, MachineView } from '../model.js';
import { firstAfter, type ByGroup } from '../rule-definition.js';

export const KmsRenewalOverdueConfig = z.strictObject({
  rule: z.literal('KmsRenewalOverdue'),
  enabled: z.boolean().default(true),
  /** Days allowed beyond the renewal interval (machines switched off over a weekend, retries). */
  slackDays: z.number().nonnegative().default(7),
});
export type KmsRenewalOverdueConfig = z.infer<typeof KmsRenewalOverdueConfig>;

export function evaluate(state: FleetView, now: number, config: ByGroup<KmsRenewalOverdueConfig>): Finding[] {
  const out: Finding[] = [];
  for (const m of state.machines) {
    const c = config.forGroup(m.group);
    if (m.retired || !c.enabled) continue;
    for (const p of m.products) {
      if (!renewsLikeKms(p.channel) || p.licenseStatus !== LICENSE_STATUS.LICENSED || p.graceExpiresAt === null) continue;
      const renewalMs = (p.renewalIntervalMinutes ?? KMS_RENEWAL_INTERVAL_MINUTES) * MS.MINUTE;
      const left = Date.parse(p.graceExpiresAt) - agentNow(m, now);
      const limit = KMS_ACTIVATION_VALIDITY_DAYS * MS.DAY - renewalMs - c.slackDays * MS.DAY;
      if (left >= limit) continue;
      const lastRenewal = Date.parse(p.graceExpiresAt) - KMS_ACTIVATION_VALIDITY_DAYS * MS.DAY;
      const kmsHost = kmsHostOfProduct(p, m, state);
      out.push({
        rule: 'KmsRenewalOverdue',
        severity: 'warning',
        key: `KmsRenewalOverdue|machine:${m.machineId}|${p.activationId}`,
        subject: { kind: 'machine', id: m.machineId, name: m.hostname },
        group: m.group,
        kmsHost,
        machines: [
          {
            machineId: m.machineId,
            hostname: m.hostname,
            detail: `last renewed ${new Date(lastRenewal).toISOString()}; activation expires ${new Date(Date.parse(p.graceExpiresAt)).toISOString()}`,
          },
        ],
        summary: `${m.hostname}: no ${p.channel === 'ad-based' ? 'AD-based' : 'KMS'} renewal since ${new Date(lastRenewal).toISOString()}${kmsHost ? ` (host ${kmsHost})` : ''}`,
        knowledge: {
          meaning:
            'The client is still Licensed, but it renews every 7 days and has not done so for longer than expected. If nothing changes it goes to additional (OOT) grace when its 180 days end, then to Notification 30 days later.',
          cause:
            p.channel === 'ad-based'
              ? 'The machine was activated by an Active Directory activation object and has not reached a domain controller since (off the network, VPN down), or the activation object was deleted from the forest.'
              : 'The KMS host it uses is down or unreachable (TCP 1688, firewall, stale SRV record), the machine has been switched off or off the network, or its clock is more than 4 hours off.',
          action:
            p.channel === 'ad-based'
              ? "Check that the machine reaches a domain controller and that the activation object still exists (Volume Activation Tools, or the forest's Activation Objects container); try a renewal by hand."
              : `Check the KMS host${kmsHost ? ` ${kmsHost}` : ''} and the client's 12288/12289 events; try a renewal by hand.`,
          commands: [
            'cscript //nologo %windir%\\system32\\slmgr.vbs /dlv',
            'cscript //nologo %windir%\\system32\\slmgr.vbs /ato',
            "Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='Microsoft-Windows-Security-SPP'; Id=12288,12289} -MaxEvents 10",
          ],
        },
      });
    }
  }
  return out;
}

/** Overdue from the first millisecond its time left drops below the limit (on the agent's clock). */
export function dueAt(m: MachineView, now: number, config: ByGroup<KmsRenewalOverdueConfig>): number | null {
  const c = config.forGroup(m.group);
  if (m.retired || !c.enabled) return null;
  const offset = agentNow(m, now) - now;
  const instants: number[] = [];
  for (const p of m.products) {
    if (!renewsLikeKms(p.channel) || p.licenseStatus !== LICENSE_STATUS.LICENSED || p.graceExpiresAt === null) continue;
    const renewalMs = (p.renewalIntervalMinutes ?? KMS_RENEWAL_INTERVAL_MINUTES) * MS.MINUTE;
    const limit = KMS_ACTIVATION_VALIDITY_DAYS * MS.DAY - renewalMs - c.slackDays * MS.DAY;
    instants.push(Date.parse(p.graceExpiresAt) - limit - offset + 1);
  }
  return firstAfter(now, instants);
}

/** KMS clients and AD-based activations both hold a 180-day activation that renews every 7 days. */
function renewsLikeKms(channel: string): boolean {
  return channel === 'kms-client' || channel === 'ad-based';
}
