import { describeIssues, Report, ReportBatchEnvelope, type RefusedReport, type ReportAck } from '../../../shared/protocol.js';
import type { Clock } from '../../../shared/scheduling.js';
import { ApiError } from '../http/api-error.js';
import type { AgentRecord, AgentRegistry } from '../identity/agent-registry.js';
import type { FleetState } from '../state/fleet-state.js';
import type { FleetStore } from '../store/fleet-store.js';
import { applyReport } from './apply-report.js';
import type { GroupCommit } from './group-commit.js';

export interface IngestDeps {
  state: FleetState;
  store: FleetStore;
  agents: AgentRegistry;
  clock: Clock;
  /** The shared transaction every accepted batch's writes go into. */
  commit: GroupCommit;
  /** The report interval every ack tells the agent to use. */
  heartbeatSeconds: number;
  onListenerError?: (e: unknown) => void;
}

export interface IngestResult {
  ack: ReportAck;
  stored: number;
  duplicates: number;
}

/**
 * Takes one POST /api/v1/reports body from an authenticated agent. The envelope is checked first, then each report on
 * its own, so one bad report does not sink the good ones (it is listed in `refused`). Every report must be the
 * agent's own (agentId and snapshot machineId), or the whole batch is refused with 403 and nothing is stored.
 * Reports already stored (same agent, epoch, seq) are skipped. Refusals throw at once; the accepted work is queued
 * for the group commit (one transaction per tick shared with concurrent requests, this one in its own savepoint),
 * and the ack resolves only after that transaction committed.
 */
export async function ingestBatch(deps: IngestDeps, agent: AgentRecord, body: unknown): Promise<IngestResult> {
  const envelope = ReportBatchEnvelope.safeParse(body);
  if (!envelope.success) {
    const { issues, summary } = describeIssues(envelope.error);
    throw new ApiError(400, 'invalid-batch', summary, { issues });
  }
  const refused: RefusedReport[] = [];
  const valid: Array<{ index: number; report: Report }> = [];
  const allIssues: Array<{ path: string; message: string }> = [];
  envelope.data.reports.forEach((raw, index) => {
    const r = Report.safeParse(raw);
    if (r.success) {
      valid.push({ index, report: r.data });
      return;
    }
    const { issues, summary } = describeIssues(r.error, ['reports', index]);
    allIssues.push(...issues);
    refused.push({ index, seq: seqOf(raw), code: 'invalid-report', message: summary.slice(0, 2000) });
  });

  for (const { index, report } of valid) {
    if (report.agentId !== agent.agentId) {
      throw new ApiError(403, 'wrong-agent', `reports[${index}].agentId is ${report.agentId}, but the token belongs to agent ${agent.agentId}; nothing was stored`);
    }
    if (report.snapshot && report.snapshot.machineId !== agent.machineId) {
      throw new ApiError(
        403,
        'wrong-machine',
        `reports[${index}].snapshot.machineId is ${report.snapshot.machineId}, but the token is bound to machine ${agent.machineId}; nothing was stored`,
      );
    }
  }
  if (valid.length === 0) {
    throw new ApiError(400, 'invalid-batch', `no valid report in the batch: ${refused[0]?.message ?? ''}`.slice(0, 2000), {
      issues: allIssues.slice(0, 100),
    });
  }

  // The batch is one epoch (the agent's current); a report from another epoch is refused, not guessed at.
  const epoch = valid[valid.length - 1]!.report.epoch;
  const sameEpoch: Report[] = [];
  for (const { index, report } of valid) {
    if (report.epoch !== epoch) {
      refused.push({ index, seq: report.seq, code: 'mixed-epochs', message: `reports[${index}] is from epoch ${report.epoch}, the batch from ${epoch}` });
      continue;
    }
    sameEpoch.push(report);
  }
  // Refused reports count as done, so the agent does not send them again; only those that continue the run of seqs,
  // so a garbage seq cannot push the mark past reports still to come.
  const refusedSeqs = refused
    .filter((r) => r.code === 'invalid-report' && r.seq !== null)
    .map((r) => r.seq!)
    .sort((a, b) => a - b);
  refused.sort((a, b) => a.index - b.index);
  const receivedAt = deps.clock.now();

  // The seq check runs in the shared transaction, after the requests queued before this one: two requests of the
  // same agent in one tick see each other's seqs, and a request that failed leaves no mark behind.
  return deps.commit.submit((u) => {
    const startHigh = u.seqOf(agent, epoch);
    let high = startHigh;
    const accepted: Report[] = [];
    let duplicates = 0;
    for (const report of sameEpoch) {
      if (report.seq <= high) {
        duplicates++;
        continue;
      }
      high = report.seq;
      accepted.push(report);
    }
    for (const s of refusedSeqs) if (s === high + 1) high = s;
    if (accepted.length > 0 || high !== startHigh) {
      for (const r of accepted) applyReport(u, agent, r, receivedAt);
      deps.agents.writeSeq(agent.agentId, epoch, high);
      deps.agents.writeLastReport(agent.agentId, receivedAt);
      u.noteSeq(agent.agentId, epoch, high);
      u.afterCommit.push(() => {
        deps.agents.applySeq(agent.agentId, epoch, high);
        deps.agents.applyLastReport(agent.agentId, receivedAt);
      });
    }
    return {
      ack: { epoch, ackedThrough: high, ...(refused.length ? { refused } : {}), heartbeatSeconds: deps.heartbeatSeconds },
      stored: accepted.length,
      duplicates,
    };
  });
}

function seqOf(raw: unknown): number | null {
  const s = (raw as { seq?: unknown } | null)?.seq;
  return typeof s === 'number' && Number.isSafeInteger(s) && s >= 0 ? s : null;
}
