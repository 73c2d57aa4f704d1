/** AgentStale: no report from an agent within 3 heartbeat intervals. Warning. */
import { z } from 'zod';
import type { Finding, FleetView, MachineView } from '../model.js';
import type { ByGroup } from '../rule-definition.js';

export const AgentStaleConfig = z.strictObject({
  rule: z.literal('AgentStale'),
  enabled: z.boolean().default(true),
  /** Missed heartbeats before an agent counts as stale. */
  heartbeatMultiple: z.number().min(1).default(3),
});
export type AgentStaleConfig = z.infer<typeof AgentStaleConfig>;

export function evaluate(state: FleetView, now: number, config: ByGroup<AgentStaleConfig>): Finding[] {
  const out: Finding[] = [];
  for (const m of state.machines) {
    const c = config.forGroup(m.group);
    if (m.retired || !c.enabled) continue;
    const silentFor = now - m.lastReportAt;
    if (silentFor <= c.heartbeatMultiple * m.heartbeatIntervalMs) continue;
    out.push({
      rule: 'AgentStale',
      severity: 'warning',
      key: `AgentStale|machine:${m.machineId}`,
      subject: { kind: 'machine', id: m.machineId, name: m.hostname },
      group: m.group,
      // Not grouped under a KMS host: a silent agent says nothing about the host.
      kmsHost: null,
      machines: [{ machineId: m.machineId, hostname: m.hostname, detail: `last report ${new Date(m.lastReportAt).toISOString()}` }],
      summary: `${m.hostname}: no report since ${new Date(m.lastReportAt).toISOString()}`,
      knowledge: {
        meaning: "vawatch has not heard from this machine's agent; its licensing state shown here may be out of date.",
        cause:
          'The machine is off or off the network, the agent service stopped, its token was revoked, or it cannot reach the collector (proxy, firewall, TLS).',
        action:
          'Check the machine is up and the agent service runs; look at the agent log and its outbox. Retire the machine in vawatch if it is gone for good.',
        commands: ['Get-Service vawatch-agent', 'Test-NetConnection <collector> -Port 8080'],
      },
    });
  }
  return out;
}

/** Stale from the first millisecond past the allowed silence; only a report moves that instant. */
export function dueAt(m: MachineView, now: number, config: ByGroup<AgentStaleConfig>): number | null {
  const c = config.forGroup(m.group);
  if (m.retired || !c.enabled) return null;
  const at = m.lastReportAt + c.heartbeatMultiple * m.heartbeatIntervalMs + 1;
  return at > now ? at : null;
}
