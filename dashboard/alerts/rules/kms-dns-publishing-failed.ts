/** KmsDnsPublishingFailed: 12293 on a KMS host with no later 12294 for that domain. Warning. */
import { z } from 'zod';
import { decodeHresult } from '../knowledge/hresult-text.js';
import { canonicalHostName } from '../host-names.js';
import type { Finding, FleetView } from '../model.js';
import type { ByGroup } from '../rule-definition.js';

export const KmsDnsPublishingFailedConfig = z.strictObject({
  rule: z.literal('KmsDnsPublishingFailed'),
  enabled: z.boolean().default(true),
});
export type KmsDnsPublishingFailedConfig = z.infer<typeof KmsDnsPublishingFailedConfig>;

export function evaluate(state: FleetView, _now: number, config: ByGroup<KmsDnsPublishingFailedConfig>): Finding[] {
  const out: Finding[] = [];
  for (const h of state.kmsHosts) {
    if (h.retired || !config.forGroup(h.group).enabled) continue;
    const failing = h.dnsPublishing.filter(
      (d) => d.lastFailedAt !== null && (d.lastSucceededAt === null || d.lastSucceededAt < d.lastFailedAt),
    );
    if (failing.length === 0) continue;
    const hr = failing.find((d) => d.lastFailedHresult !== null)?.lastFailedHresult ?? null;
    const decoded = hr !== null ? decodeHresult(hr) : undefined;
    out.push({
      rule: 'KmsDnsPublishingFailed',
      severity: 'warning',
      key: `KmsDnsPublishingFailed|kms-host:${h.hostId}`,
      subject: { kind: 'kms-host', id: h.hostId, name: h.hostname },
      group: h.group,
      kmsHost: canonicalHostName(h.hostname),
      machines: [],
      summary: `${h.hostname}: publishing _vlmcs._tcp failed in ${failing.map((d) => d.domain).join(', ')}${decoded ? ` (${decoded.code})` : ''}`,
      knowledge: {
        meaning:
          'The host could not register its _vlmcs._tcp SRV record. Clients that find KMS through DNS will not find this host once the old record ages out (it re-registers every 24 h).',
        cause:
          'The host has no right to update the existing _VLMCS record (0x80072338, typical after the host was rebuilt), the DNS zone refuses dynamic updates, or the DNS server is unreachable.',
        action:
          'Give the host\'s computer account rights on the _VLMCS record (or delete the stale record), or publish the record by hand; then restart sppsvc and look for 12294.',
        ...(decoded ? { hresult: decoded } : {}),
        commands: [
          'nslookup -type=srv _vlmcs._tcp.<domain>',
          "Get-WinEvent -FilterHashtable @{LogName='Application'; Id=12293,12294} -MaxEvents 5",
          'Restart-Service sppsvc',
        ],
      },
    });
  }
  return out;
}
