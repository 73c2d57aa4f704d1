import type { Clock } from '../../../shared/scheduling.js';
import { ApiError, notFound } from '../http/api-error.js';
import type { AgentRegistry } from '../identity/agent-registry.js';
import type { FleetState } from '../state/fleet-state.js';
import type { FleetStore } from '../store/fleet-store.js';
import { runUnit } from './unit-of-work.js';

export interface FleetAdminDeps {
  state: FleetState;
  store: FleetStore;
  agents: AgentRegistry;
  clock: Clock;
  onListenerError?: (e: unknown) => void;
}

/** Revokes an agent's token: its reports are refused (401) from now on; the machine may enrol again. */
export function revokeAgent(deps: FleetAdminDeps, agentId: string, by: string): void {
  const a = deps.agents.get(agentId);
  if (!a) throw notFound(`agent ${agentId}`);
  if (a.revokedAt !== null) throw new ApiError(409, 'already-revoked', `agent ${agentId} was already revoked`);
  const now = deps.clock.now();
  runUnit(
    deps.state,
    deps.store,
    (u) => {
      deps.agents.writeRevoked(agentId, now);
      u.afterCommit.push(() => deps.agents.applyRevoked(agentId, now));
      if (u.machine(a.machineId)) u.addCollectorEvent(a.machineId, now, now, 'agent-revoked', `agent ${agentId} revoked by ${by}`);
    },
    deps.onListenerError,
  );
}

/**
 * Retires a machine: it leaves counts, indexes and alerts; its history stays. By an admin (its agent is revoked too,
 * so a decommissioned machine cannot come back by accident) or by the collector after a long silence.
 */
export function retireMachine(deps: FleetAdminDeps, machineId: string, reason: string, revoke: boolean): void {
  const now = deps.clock.now();
  runUnit(
    deps.state,
    deps.store,
    (u) => {
      const m = u.machine(machineId);
      if (!m) throw notFound(`machine ${machineId}`);
      if (m.retired) throw new ApiError(409, 'already-retired', `machine ${machineId} is already retired (${m.retired.reason})`);
      u.putMachine({ ...m, retired: { at: now, reason, replacedBy: null } });
      u.addCollectorEvent(machineId, now, now, 'machine-retired', reason);
      const agent = deps.agents.currentOf(machineId);
      if (revoke && agent && agent.revokedAt === null) {
        deps.agents.writeRevoked(agent.agentId, now);
        u.afterCommit.push(() => deps.agents.applyRevoked(agent.agentId, now));
      }
    },
    deps.onListenerError,
  );
}

/** Sets (or with null clears) the admin's group override of a machine. */
export function setMachineGroup(deps: FleetAdminDeps, machineId: string, group: string | null): void {
  runUnit(
    deps.state,
    deps.store,
    (u) => {
      const m = u.machine(machineId);
      if (!m) throw notFound(`machine ${machineId}`);
      u.putMachine({ ...m, groupOverride: group, group: group ?? m.snapshot?.group ?? '' });
    },
    deps.onListenerError,
  );
}

/**
 * Retires every active machine silent for longer than `silentMs`: no report written (its `sentAt`) and none received
 * in that time. Both, because a fleet replaying its history sends month-old reports that are not silence.
 */
export function retireSilentMachines(deps: FleetAdminDeps, silentMs: number): number {
  const now = deps.clock.now();
  const silent: string[] = [];
  for (const m of deps.state.machines()) {
    if (m.retired) continue;
    const written = m.lastReportAt ?? m.enrolledAt;
    const received = m.lastReceivedAt ?? m.enrolledAt;
    if (now - written > silentMs && now - received > silentMs) silent.push(m.machineId);
  }
  if (silent.length === 0) return 0;
  const days = Math.round(silentMs / 86_400_000);
  runUnit(
    deps.state,
    deps.store,
    (u) => {
      for (const id of silent) {
        const m = u.machine(id)!;
        u.putMachine({ ...m, retired: { at: now, reason: `silent for more than ${days} days`, replacedBy: null } });
        u.addCollectorEvent(id, now, now, 'machine-retired', `retired automatically: no report for more than ${days} days`);
      }
    },
    deps.onListenerError,
  );
  return silent.length;
}

/** Deletes events, state history, count history and client-window entries older than the retention. */
export function pruneRetention(deps: FleetAdminDeps, retentionMs: number): { events: number; history: number; clients: number } {
  const cutoff = deps.clock.now() - retentionMs;
  const db = deps.store.db;
  let events = 0;
  let history = 0;
  const stale: Array<{ hostId: string; cmid: string }> = [];
  for (const h of deps.state.kmsHosts()) {
    for (const c of deps.state.clientWindow(h.id).values()) if (c.lastRequestAt < cutoff) stale.push({ hostId: h.id, cmid: c.cmid });
  }
  runUnit(
    deps.state,
    deps.store,
    (u) => {
      events = db.prepare('DELETE FROM events WHERE time < ?').run(cutoff).changes;
      history = db.prepare('DELETE FROM state_history WHERE at < ?').run(cutoff).changes;
      db.prepare('DELETE FROM kms_count_history WHERE at < ?').run(cutoff);
      for (const s of stale) u.deleteKmsClient(s.hostId, s.cmid);
    },
    deps.onListenerError,
  );
  return { events, history, clients: stale.length };
}
