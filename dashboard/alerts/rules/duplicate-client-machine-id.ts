/**
 * DuplicateClientMachineId: two or more machines report the same CMID. They were cloned from an image that was not
 * generalised, so the KMS host counts them as one machine and its count cannot grow. Seen two ways: agents reporting
 * the same ClientMachineID, and a KMS host receiving the same CMID from different client names (12290).
 */
import { z } from 'zod';
import { KMS_CLIENT_WINDOW_DAYS, MS } from '../../../shared/kms-rules.js';
import { agentNow } from '../agent-time.js';
import { canonicalHostName, sameHost } from '../host-names.js';
import { kmsHostOfMachine } from '../kms-dependency.js';
import type { AffectedMachine, Finding, FleetView } from '../model.js';
import type { ByGroup } from '../rule-definition.js';

export const DuplicateClientMachineIdConfig = z.strictObject({
  rule: z.literal('DuplicateClientMachineId'),
  enabled: z.boolean().default(true),
});
export type DuplicateClientMachineIdConfig = z.infer<typeof DuplicateClientMachineIdConfig>;

export function evaluate(state: FleetView, now: number, config: ByGroup<DuplicateClientMachineIdConfig>): Finding[] {
  // cmid → names of machines using it (agent hostnames and client FQDNs seen by hosts), plus what we know of them.
  const byCmid = new Map<string, { names: Map<string, AffectedMachine>; seen: Set<string>; group: string | null; hosts: Set<string> }>();
  const entry = (cmid: string) => {
    let e = byCmid.get(cmid);
    if (!e) byCmid.set(cmid, (e = { names: new Map(), seen: new Set(), group: null, hosts: new Set() }));
    return e;
  };
  for (const m of state.machines) {
    if (m.retired || !m.cmid) continue;
    const e = entry(m.cmid.toLowerCase());
    e.names.set(canonicalHostName(m.hostname), { machineId: m.machineId, hostname: m.hostname, detail: `group ${m.group}` });
    e.group ??= m.group;
    const h = kmsHostOfMachine(m, state);
    if (h) e.hosts.add(h);
  }
  for (const h of state.kmsHosts) {
    if (h.retired) continue;
    const hostName = canonicalHostName(h.hostname);
    const at = agentNow(h, now);
    for (const r of h.requests) {
      if (at - r.time >= KMS_CLIENT_WINDOW_DAYS * MS.DAY || r.time > at) continue;
      const e = entry(r.cmid.toLowerCase());
      e.hosts.add(hostName);
      e.group ??= h.group;
      // A host logs a client every few hours: compare each client name once, not each request.
      if (e.seen.has(r.clientFqdn)) continue;
      e.seen.add(r.clientFqdn);
      const known = [...e.names.keys()].some((n) => sameHost(n, r.clientFqdn));
      if (!known) {
        e.names.set(canonicalHostName(r.clientFqdn), { machineId: r.clientFqdn, hostname: r.clientFqdn, detail: `seen by ${h.hostname}` });
      }
    }
  }
  const out: Finding[] = [];
  for (const [cmid, e] of byCmid) {
    if (e.names.size < 2) continue;
    const group = e.group ?? '';
    if (!config.forGroup(group).enabled) continue;
    const machines = [...e.names.values()].sort((a, b) => a.hostname.localeCompare(b.hostname));
    const hosts = [...e.hosts];
    out.push({
      rule: 'DuplicateClientMachineId',
      severity: 'critical',
      key: `DuplicateClientMachineId|cmid:${cmid}`,
      subject: { kind: 'cmid', id: cmid, name: cmid },
      group,
      kmsHost: hosts.length === 1 ? hosts[0]! : null,
      machines,
      summary: `${machines.length} machines share CMID ${cmid}: ${machines.slice(0, 5).map((x) => x.hostname).join(', ')}${machines.length > 5 ? '…' : ''}`,
      knowledge: {
        meaning:
          'These machines send the KMS host the same Client Machine ID, so the host counts them as one machine: its count cannot grow and they may never reach the activation threshold.',
        cause: 'They were cloned from an image that was not generalised with sysprep (or SkipRearm=1 kept the CMID).',
        action:
          'On each clone except one, reset the CMID: run sysprep /generalize (or slmgr /rearm, which uses a rearm), reboot, then activate. Fix the image so new machines get their own CMID.',
        commands: [
          'cscript //nologo %windir%\\system32\\slmgr.vbs /dlv   (compare "Client Machine ID (CMID)")',
          '(Get-CimInstance SoftwareLicensingService).ClientMachineID',
          'cscript //nologo %windir%\\system32\\slmgr.vbs /rearm',
          'cscript //nologo %windir%\\system32\\slmgr.vbs /ato',
        ],
      },
    });
  }
  return out;
}
