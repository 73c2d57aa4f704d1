/**
 * GraceExpiring: LicenseStatus 2, 3, 4 or 6 and the grace ends within 14 days (warning), within 7 (critical).
 * A grace already past its end (the machine has not reported since) stays critical.
 */
import { z } from 'zod';
import { isGraceStatus, licenseStatusInfo, LICENSE_STATUS } from '../../../shared/license-status.js';
import { MS } from '../../../shared/kms-rules.js';
import { agentNow } from '../agent-time.js';
import { kmsHostOfProduct } from '../kms-dependency.js';
import type { Finding, FleetView, MachineView } from '../model.js';
import { firstAfter, type ByGroup } from '../rule-definition.js';

export const GraceExpiringConfig = z
  .strictObject({
    rule: z.literal('GraceExpiring'),
    enabled: z.boolean().default(true),
    /** Warn when the grace ends within this many days. */
    warningDays: z.number().positive().default(14),
    /** Critical within this many days. */
    criticalDays: z.number().positive().default(7),
  })
  .refine((c) => c.criticalDays <= c.warningDays, { error: 'must not exceed warningDays', path: ['criticalDays'] });
export type GraceExpiringConfig = z.infer<typeof GraceExpiringConfig>;

export function evaluate(state: FleetView, now: number, config: ByGroup<GraceExpiringConfig>): Finding[] {
  const out: Finding[] = [];
  for (const m of state.machines) {
    const c = config.forGroup(m.group);
    if (m.retired || !c.enabled) continue;
    for (const p of m.products) {
      if (!isGraceStatus(p.licenseStatus) || p.graceExpiresAt === null) continue;
      const endsAt = Date.parse(p.graceExpiresAt);
      const left = endsAt - agentNow(m, now);
      if (left > c.warningDays * MS.DAY) continue;
      const severity = left <= c.criticalDays * MS.DAY ? 'critical' : 'warning';
      const label = licenseStatusInfo(p.licenseStatus)?.label ?? `status ${p.licenseStatus}`;
      const kmsClient = p.channel === 'kms-client';
      out.push({
        rule: 'GraceExpiring',
        severity,
        key: `GraceExpiring|machine:${m.machineId}|${p.activationId}`,
        subject: { kind: 'machine', id: m.machineId, name: m.hostname },
        group: m.group,
        kmsHost: kmsHostOfProduct(p, m, state),
        machines: [
          { machineId: m.machineId, hostname: m.hostname, detail: `${p.name}: ${label} ends ${new Date(endsAt).toISOString()}` },
        ],
        summary: `${m.hostname}: ${label} of ${p.name} ends ${new Date(endsAt).toISOString()}`,
        knowledge: {
          meaning: `The product is in ${label}; when it ends, the machine goes to Notification (unlicensed, with nag screens).`,
          cause:
            p.licenseStatus === LICENSE_STATUS.OOT_GRACE && kmsClient
              ? 'The KMS activation lapsed (no successful renewal for 180 days), or the hardware changed beyond tolerance.'
              : p.licenseStatus === LICENSE_STATUS.OOB_GRACE
                ? kmsClient
                  ? 'The machine has never activated since installation: it found no KMS host, or the host count is below the threshold.'
                  : 'The machine has never been activated since installation.'
                : 'The machine has not been activated within its grace period.',
          action: kmsClient
            ? 'Check that the client can reach a KMS host (DNS SRV record, TCP 1688, count at or above the threshold, clock within 4 hours), then activate.'
            : 'Activate the product (MAK online or by phone), or install a key for the right channel.',
          commands: [
            'cscript //nologo %windir%\\system32\\slmgr.vbs /xpr',
            'cscript //nologo %windir%\\system32\\slmgr.vbs /dlv',
            ...(kmsClient ? ['nslookup -type=srv _vlmcs._tcp', 'Test-NetConnection <kms-host> -Port 1688'] : []),
            'cscript //nologo %windir%\\system32\\slmgr.vbs /ato',
          ],
        },
      });
    }
  }
  return out;
}

/** Warning from `warningDays` before the end, critical from `criticalDays` before it (on the agent's clock). */
export function dueAt(m: MachineView, now: number, config: ByGroup<GraceExpiringConfig>): number | null {
  const c = config.forGroup(m.group);
  if (m.retired || !c.enabled) return null;
  const offset = agentNow(m, now) - now;
  const instants: number[] = [];
  for (const p of m.products) {
    if (!isGraceStatus(p.licenseStatus) || p.graceExpiresAt === null) continue;
    const endsAt = Date.parse(p.graceExpiresAt) - offset;
    instants.push(endsAt - c.warningDays * MS.DAY, endsAt - c.criticalDays * MS.DAY);
  }
  return firstAfter(now, instants);
}
