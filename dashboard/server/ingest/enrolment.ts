import { randomUUID } from 'node:crypto';
import type { EnrolRequest, EnrolResponse } from '../../../shared/protocol.js';
import type { Clock } from '../../../shared/scheduling.js';
import { ApiError } from '../http/api-error.js';
import { SeqMarks, type AgentRecord, type AgentRegistry } from '../identity/agent-registry.js';
import { newSecret, sameSecret, sha256 } from '../identity/secrets.js';
import type { FleetState } from '../state/fleet-state.js';
import type { MachineState } from '../state/machine-state.js';
import type { FleetStore } from '../store/fleet-store.js';
import { newMachine } from './apply-report.js';
import { runUnit, type UnitOfWork } from './unit-of-work.js';

export interface EnrolDeps {
  state: FleetState;
  store: FleetStore;
  agents: AgentRegistry;
  clock: Clock;
  /** A machine whose agent has been silent this long may be taken over without its previous token. */
  reenrolAfterSilentMs: number;
  /** The report interval the enrolment answer tells the agent to use. */
  heartbeatSeconds: number;
  onListenerError?: (e: unknown) => void;
}

/**
 * Enrols an agent: the enrolment secret buys a token bound to one machine id. An existing machine is re-enrolled only
 * by its own agent (previousToken), after an admin revoked its agent, or after that agent has been silent for
 * `reenrolAfterSilentMs` — otherwise 409, so the secret alone cannot take over a live machine. A new machine that has
 * the host name of a silent one retires it ("replaced by …"), so a reinstall leaves no ghost.
 */
export function enrol(deps: EnrolDeps, req: EnrolRequest): EnrolResponse {
  if (!deps.agents.secretMatches(req.secret)) {
    throw new ApiError(401, 'bad-enrolment-secret', 'the enrolment secret is wrong (it may have been rotated)');
  }
  const now = deps.clock.now();
  const machine = deps.state.machine(req.machineId);
  const current = deps.agents.currentOf(req.machineId);
  let reason: 'new' | 'own-token' | 'revoked' | 'silent' | 'retired' = 'new';
  if (machine || current) {
    if (current && current.revokedAt === null) {
      if (req.previousToken !== undefined && sameSecret(req.previousToken, current.tokenHash)) reason = 'own-token';
      else if (machine?.retired) reason = 'retired';
      else {
        const lastSeen = machine?.lastReceivedAt ?? current.lastReportAt ?? current.enrolledAt;
        const silentMs = now - lastSeen;
        if (silentMs < deps.reenrolAfterSilentMs) {
          throw new ApiError(
            409,
            'machine-enrolled',
            `machine ${req.machineId} is enrolled to a live agent (heard from ${formatAgo(silentMs)} ago); re-enrol with its previous token, ask an admin to revoke that agent, or wait until it has been silent for ${formatAgo(deps.reenrolAfterSilentMs)}`,
          );
        }
        reason = 'silent';
      }
    } else {
      reason = machine?.retired ? 'retired' : 'revoked';
    }
  }

  const token = newSecret();
  const agent: AgentRecord = {
    agentId: reason === 'own-token' && current ? current.agentId : `agt_${randomUUID()}`,
    machineId: req.machineId,
    hostname: req.hostname,
    tokenHash: sha256(token),
    enrolledAt: reason === 'own-token' && current ? current.enrolledAt : now,
    revokedAt: null,
    lastReportAt: null,
    seqs: new SeqMarks(),
  };

  runUnit(
    deps.state,
    deps.store,
    (u) => {
      if (current && current.revokedAt === null && current.agentId !== agent.agentId) {
        deps.agents.writeRevoked(current.agentId, now);
        u.afterCommit.push(() => deps.agents.applyRevoked(current.agentId, now));
      }
      deps.agents.writeAgent(agent);
      u.afterCommit.push(() => deps.agents.applyAgent(agent));
      const base: MachineState = machine
        ? { ...machine, agentId: agent.agentId, retired: null }
        : { ...newMachine(agent, now), hostname: req.hostname };
      u.putMachine(base);
      const message = {
        new: `enrolled as ${req.hostname}`,
        'own-token': 'agent re-enrolled with its previous token',
        revoked: 'agent re-enrolled after its previous agent was revoked',
        silent: `agent re-enrolled; the previous agent had been silent for more than ${formatAgo(deps.reenrolAfterSilentMs)}`,
        retired: 'agent re-enrolled; the machine had been retired and is active again',
      }[reason];
      u.addCollectorEvent(req.machineId, now, now, reason === 'new' ? 'machine-enrolled' : 'machine-re-enrolled', message);
      if (reason === 'new') retireReplaced(u, deps, req, now);
    },
    deps.onListenerError,
  );
  return { agentId: agent.agentId, machineId: req.machineId, token, heartbeatSeconds: deps.heartbeatSeconds };
}

/** Active machines with the same host name whose agents are silent were reinstalled as this one: retire them. */
function retireReplaced(u: UnitOfWork, deps: EnrolDeps, req: EnrolRequest, now: number): void {
  for (const id of [...deps.state.machinesWithHostname(req.hostname)]) {
    if (id === req.machineId) continue;
    const old = u.machine(id);
    if (!old || old.retired) continue;
    const lastSeen = old.lastReceivedAt ?? old.enrolledAt;
    if (now - lastSeen < deps.reenrolAfterSilentMs) continue;
    u.putMachine({ ...old, retired: { at: now, reason: `replaced by ${req.machineId}`, replacedBy: req.machineId } });
    u.addCollectorEvent(id, now, now, 'machine-replaced', `replaced by machine ${req.machineId} (same host name ${req.hostname}, reinstalled)`);
  }
}

function formatAgo(ms: number): string {
  if (ms >= 2 * 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  if (ms >= 2 * 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.max(0, Math.round(ms / 1000))} s`;
}
