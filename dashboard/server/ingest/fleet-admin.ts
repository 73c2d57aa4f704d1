import type { Clock } from '../../../shared/scheduling.js';
import { ApiError, notFound } from '../http/api-error.js';
import type { AgentRegistry } from '../identity/agent-registry.js';
import type { FleetState } from '../state/fleet-state.js';
import type { MachineState } from '../state/machine-state.js';
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
  for (const m of deps.state.machines()) if (isSilent(m, now, silentMs)) silent.push(m.machineId);
  return retire(deps, silent, now, silentMs);
}

/** Machines looked at between two checks of the slice's clock. */
const SLICE_CHECK_EVERY = 1024;
/** Machines retired per transaction by the sliced check (a mass silence must not block the loop either). */
const RETIRE_CHUNK = 500;

/**
 * The same, for the hourly schedule at fleet scale: the walk runs in slices of at most `sliceMs` of event loop,
 * yielding between them (a million machines is tens of ms in one go), and the retirements go in chunks, each
 * machine checked again in its transaction since it may have reported in between.
 */
export async function retireSilentMachinesSliced(deps: FleetAdminDeps, silentMs: number, sliceMs = 10): Promise<number> {
  const now = deps.clock.now();
  const silent: string[] = [];
  const machines = deps.state.machines();
  for (let done = false; !done; ) {
    const start = performance.now();
    for (let n = 1; ; n++) {
      const r = machines.next();
      if (r.done) {
        done = true;
        break;
      }
      if (isSilent(r.value, now, silentMs)) silent.push(r.value.machineId);
      if (n % SLICE_CHECK_EVERY === 0 && performance.now() - start > sliceMs) break;
    }
    if (!done) await yieldToLoop();
  }
  let retired = 0;
  for (let i = 0; i < silent.length; i += RETIRE_CHUNK) {
    if (i > 0) await yieldToLoop();
    retired += retire(deps, silent.slice(i, i + RETIRE_CHUNK), now, silentMs);
  }
  return retired;
}

function isSilent(m: MachineState, now: number, silentMs: number): boolean {
  if (m.retired) return false;
  const written = m.lastReportAt ?? m.enrolledAt;
  const received = m.lastReceivedAt ?? m.enrolledAt;
  return now - written > silentMs && now - received > silentMs;
}

function retire(deps: FleetAdminDeps, ids: readonly string[], now: number, silentMs: number): number {
  if (ids.length === 0) return 0;
  const days = Math.round(silentMs / 86_400_000);
  return runUnit(
    deps.state,
    deps.store,
    (u) => {
      let n = 0;
      for (const id of ids) {
        const m = u.machine(id);
        if (!m || !isSilent(m, now, silentMs)) continue;
        u.putMachine({ ...m, retired: { at: now, reason: `silent for more than ${days} days`, replacedBy: null } });
        u.addCollectorEvent(id, now, now, 'machine-retired', `retired automatically: no report for more than ${days} days`);
        n++;
      }
      return n;
    },
    deps.onListenerError,
  );
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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

/** Rows deleted per statement by the sliced prune: each DELETE is its own short transaction. */
const PRUNE_CHUNK = 5000;

/**
 * The same as `pruneRetention`, for the daily schedule at fleet scale: old rows go in DELETEs of PRUNE_CHUNK rows,
 * the client windows are walked in slices of at most `sliceMs`, expired entries removed in chunks (each checked
 * again in its transaction), with the event loop free between any two of these steps.
 */
export async function pruneRetentionSliced(
  deps: FleetAdminDeps,
  retentionMs: number,
  sliceMs = 10,
): Promise<{ events: number; history: number; clients: number }> {
  const cutoff = deps.clock.now() - retentionMs;
  const db = deps.store.db;
  const deleteInChunks = async (sql: string): Promise<number> => {
    const stmt = db.prepare(sql);
    let total = 0;
    for (;;) {
      const n = stmt.run(cutoff, PRUNE_CHUNK).changes;
      total += n;
      if (n < PRUNE_CHUNK) return total;
      await yieldToLoop();
    }
  };
  const events = await deleteInChunks('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ? LIMIT ?)');
  const history = await deleteInChunks('DELETE FROM state_history WHERE rowid IN (SELECT rowid FROM state_history WHERE at < ? LIMIT ?)');
  await deleteInChunks('DELETE FROM kms_count_history WHERE (host_id, at) IN (SELECT host_id, at FROM kms_count_history WHERE at < ? LIMIT ?)');

  const stale: Array<{ hostId: string; cmid: string }> = [];
  let start = performance.now();
  let n = 0;
  for (const h of [...deps.state.kmsHosts()]) {
    for (const c of deps.state.clientWindow(h.id).values()) {
      if (c.lastRequestAt < cutoff) stale.push({ hostId: h.id, cmid: c.cmid });
      if (++n % SLICE_CHECK_EVERY === 0 && performance.now() - start > sliceMs) {
        // A window changed while we wait is fine: each entry is checked again before it is deleted.
        await yieldToLoop();
        start = performance.now();
      }
    }
  }
  let clients = 0;
  for (let i = 0; i < stale.length; i += RETIRE_CHUNK) {
    if (i > 0) await yieldToLoop();
    clients += runUnit(
      deps.state,
      deps.store,
      (u) => {
        let k = 0;
        for (const s of stale.slice(i, i + RETIRE_CHUNK)) {
          const c = u.kmsClient(s.hostId, s.cmid);
          if (!c || c.lastRequestAt >= cutoff) continue;
          u.deleteKmsClient(s.hostId, s.cmid);
          k++;
        }
        return k;
      },
      deps.onListenerError,
    );
  }
  return { events, history, clients };
}
