/** ClientUnlicensed: LicenseStatus 0 on the primary Windows product with a key installed. Critical. */
import { z } from 'zod';
import { LICENSE_STATUS } from '../../../shared/license-status.js';
import { decodeHresult } from '../knowledge/hresult-text.js';
import { kmsHostOfProduct } from '../kms-dependency.js';
import type { Finding, FleetView } from '../model.js';
import type { ByGroup } from '../rule-definition.js';

export const ClientUnlicensedConfig = z.strictObject({
  rule: z.literal('ClientUnlicensed'),
  enabled: z.boolean().default(true),
});
export type ClientUnlicensedConfig = z.infer<typeof ClientUnlicensedConfig>;

export function evaluate(state: FleetView, _now: number, config: ByGroup<ClientUnlicensedConfig>): Finding[] {
  const out: Finding[] = [];
  for (const m of state.machines) {
    if (m.retired || !config.forGroup(m.group).enabled) continue;
    for (const p of m.products) {
      if (!p.primary || p.partialProductKey === null || p.licenseStatus !== LICENSE_STATUS.UNLICENSED) continue;
      const reason = p.licenseStatusReason ? decodeHresult(p.licenseStatusReason) : undefined;
      out.push({
        rule: 'ClientUnlicensed',
        severity: 'critical',
        key: `ClientUnlicensed|machine:${m.machineId}|${p.activationId}`,
        subject: { kind: 'machine', id: m.machineId, name: m.hostname },
        group: m.group,
        kmsHost: kmsHostOfProduct(p, m, state),
        machines: [{ machineId: m.machineId, hostname: m.hostname, detail: `${p.name} (key …${p.partialProductKey})` }],
        summary: `${m.hostname}: Windows is Unlicensed with key …${p.partialProductKey} installed`,
        knowledge: {
          meaning: 'Windows has a key installed but is Unlicensed: not activated and not in any grace period.',
          cause:
            'An evaluation edition past its end date, a key that does not match the edition, a blocked or invalid key (0xC004F050 / 0xC004C003), or tampering with the licensing store.',
          action: 'Read the reason code, install a key valid for this edition (GVLK for KMS, or a MAK) and activate.',
          ...(reason ? { hresult: reason } : {}),
          commands: [
            'cscript //nologo %windir%\\system32\\slmgr.vbs /dlv',
            'cscript //nologo %windir%\\system32\\slmgr.vbs /ipk <product key>',
            'cscript //nologo %windir%\\system32\\slmgr.vbs /ato',
          ],
        },
      });
    }
  }
  return out;
}
