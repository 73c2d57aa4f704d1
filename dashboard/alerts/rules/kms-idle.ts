/**
 * KmsIdle: a KMS host logged no activation request (12290) for longer than 3 × its usual gap between requests, and
 * at least 24 h. With weekly renewals a working host hears from its clients all the time, so silence means the host
 * or the network path to it is broken.
 */
import { z } from 'zod';
import { MS } from '../../../shared/kms-rules.js';
import { agentNow } from '../agent-time.js';
import { canonicalHostName } from '../host-names.js';
import { dependentsOf } from '../kms-dependency.js';
import type { Finding, FleetView } from '../model.js';
import type { ByGroup } from '../rule-definition.js';

export const KmsIdleConfig = z.strictObject({
  rule: z.literal('KmsIdle'),
  enabled: z.boolean().default(true),
  gapMultiple: z.number().positive().default(3),
  minIdleHours: z.number().positive().default(24),
  /** The usual gap is the median of the last this-many gaps. */
  sampleSize: z.number().int().min(2).default(200),
});
export type KmsIdleConfig = z.infer<typeof KmsIdleConfig>;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function evaluate(state: FleetView, now: number, config: ByGroup<KmsIdleConfig>): Finding[] {
  const out: Finding[] = [];
  for (const h of state.kmsHosts) {
    const c = config.forGroup(h.group);
    if (h.retired || !c.enabled) continue;
    const at = agentNow(h, now);
    const times = h.requests.map((r) => r.time).filter((t) => t <= at).sort((a, b) => a - b);
    // Fewer than two requests give no rhythm to judge silence against.
    if (times.length < 2) continue;
    const recent = times.slice(-(c.sampleSize + 1));
    const gaps = recent.slice(1).map((t, i) => t - recent[i]!);
    const usual = median(gaps);
    const last = times[times.length - 1]!;
    const limit = Math.max(c.gapMultiple * usual, c.minIdleHours * MS.HOUR);
    if (at - last <= limit) continue;
    out.push({
      rule: 'KmsIdle',
      severity: 'warning',
      key: `KmsIdle|kms-host:${h.hostId}`,
      subject: { kind: 'kms-host', id: h.hostId, name: h.hostname },
      group: h.group,
      kmsHost: canonicalHostName(h.hostname),
      machines: dependentsOf(state, h).map((m) => ({ machineId: m.machineId, hostname: m.hostname, detail: 'depends on this host' })),
      summary: `${h.hostname}: no activation request since ${new Date(last).toISOString()} (usually one every ${(usual / MS.HOUR).toFixed(1)} h)`,
      knowledge: {
        meaning: 'Clients renew every 7 days, so a working KMS host logs 12290 events steadily; this one has gone quiet.',
        cause:
          'The Software Protection service on the host stopped, TCP 1688 is blocked by a firewall, the _vlmcs._tcp SRV record is missing or points elsewhere, or the clients were moved to another host.',
        action: 'Check the service and the firewall on the host, the SRV record in DNS, and try an activation from a client.',
        commands: [
          'Get-Service sppsvc',
          'Test-NetConnection <kms-host> -Port 1688',
          'nslookup -type=srv _vlmcs._tcp',
          "Get-WinEvent -FilterHashtable @{LogName='Key Management Service'; Id=12290} -MaxEvents 5",
        ],
      },
    });
  }
  return out;
}
