import { describeIssues, Report, ReportBatchEnvelope, type RefusedReport, type ReportAck } from '../../../shared/protocol.js';
import type { Clock } from '../../../shared/scheduling.js';
import { ApiError } from '../http/api-error.js';
import type { AgentRecord, AgentRegistry } from '../identity/agent-registry.js';
import type { FleetState } from '../state/fleet-state.js';
import type { FleetStore } from '../store/fleet-store.js';
import { applyReport } from './apply-report.js';
import { runUnit } from './unit-of-work.js';

export interface IngestDeps {
  state: FleetState;
  store: FleetStore;
  agents: AgentRegistry;
  clock: Clock;
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
 * Reports already stored (same agent, epoch, seq) are skipped. All of it is one SQLite transaction; the ack is
 * returned only after it committed.
 */
export function ingestBatch(deps: IngestDeps, agent: AgentRecord, body: unknown): IngestResult {
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
  const accepted: Report[] = [];
  let duplicates = 0;
  let high = agent.seqs.get(epoch) ?? 0;
  const startHigh = high;
  for (const { index, report } of valid) {
    if (report.epoch !== epoch) {
      refused.push({ index, seq: report.seq, code: 'mixed-epochs', message: `reports[${index}] is from epoch ${report.epoch}, the batch from ${epoch}` });
      continue;
    }
    if (report.seq <= high) {
      duplicates++;
      continue;
    }
    high = report.seq;
    accepted.push(report);
  }
  // Refused reports count as done, so the agent does not send them again; only those that continue the run of seqs,
  // so a garbage seq cannot push the mark past reports still to come.
  const refusedSeqs = refused
    .filter((r) => r.code === 'invalid-report' && r.seq !== null)
    .map((r) => r.seq!)
    .sort((a, b) => a - b);
  for (const s of refusedSeqs) if (s === high + 1) high = s;

  const receivedAt = deps.clock.now();
  if (accepted.length > 0 || high !== startHigh) {
    runUnit(
      deps.state,
      deps.store,
      (u) => {
        for (const r of accepted) applyReport(u, agent, r, receivedAt);
        deps.agents.writeSeq(agent.agentId, epoch, high);
        deps.agents.writeLastReport(agent.agentId, receivedAt);
        u.afterCommit.push(() => {
          deps.agents.applySeq(agent.agentId, epoch, high);
          deps.agents.applyLastReport(agent.agentId, receivedAt);
        });
      },
      deps.onListenerError,
    );
  }
  refused.sort((a, b) => a.index - b.index);
  return {
    ack: { epoch, ackedThrough: high, ...(refused.length ? { refused } : {}), heartbeatSeconds: deps.heartbeatSeconds },
    stored: accepted.length,
    duplicates,
  };
}

function seqOf(raw: unknown): number | null {
  const s = (raw as { seq?: unknown } | null)?.seq;
  return typeof s === 'number' && Number.isSafeInteger(s) && s >= 0 ? s : null;
}
