/** RearmExhausted: a machine in grace has no rearms left, so its grace cannot be extended. Warning. */
import { z } from 'zod';
import { isGraceStatus, licenseStatusInfo } from '../../../shared/license-status.js';
import { kmsHostOfProduct } from '../kms-dependency.js';
import type { Finding, FleetView } from '../model.js';
import type { ByGroup } from '../rule-definition.js';

export const RearmExhaustedConfig = z.strictObject({
  rule: z.literal('RearmExhausted'),
  enabled: z.boolean().default(true),
});
export type RearmExhaustedConfig = z.infer<typeof RearmExhaustedConfig>;

export function evaluate(state: FleetView, _now: number, config: ByGroup<RearmExhaustedConfig>): Finding[] {
  const out: Finding[] = [];
  for (const m of state.machines) {
    if (m.retired || !config.forGroup(m.group).enabled) continue;
    const p = m.products.find((x) => x.primary && isGraceStatus(x.licenseStatus) && x.rearmsRemaining === 0);
    if (!p) continue;
    const label = licenseStatusInfo(p.licenseStatus)?.label ?? `status ${p.licenseStatus}`;
    out.push({
      rule: 'RearmExhausted',
      severity: 'warning',
      key: `RearmExhausted|machine:${m.machineId}`,
      subject: { kind: 'machine', id: m.machineId, name: m.hostname },
      group: m.group,
      kmsHost: kmsHostOfProduct(p, m, state),
      machines: [{ machineId: m.machineId, hostname: m.hostname, detail: `${p.name}: ${label}, 0 rearms left` }],
      summary: `${m.hostname}: in ${label} with no rearms left`,
      knowledge: {
        meaning: 'The machine is in a grace period and cannot be rearmed again: activation is the only way out before Notification.',
        cause: 'Grace extended by rearming (slmgr /rearm or sysprep /generalize) until the count ran out, instead of activating.',
        action: 'Activate the machine (KMS or MAK). A KMS activation restores the rearm count to 1.',
        commands: [
          'cscript //nologo %windir%\\system32\\slmgr.vbs /dlv',
          'cscript //nologo %windir%\\system32\\slmgr.vbs /ato',
        ],
      },
    });
  }
  return out;
}
