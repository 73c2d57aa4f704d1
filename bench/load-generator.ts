/**
 * The load generator, run as its own process (`load-client.ts` forks it), so its CPU is not the collector's: N
 * keep-alive connections, each sending one request at a time, one report (or a batch) of one fixture agent per request,
 * as agents do (`POST /api/v1/reports`, `{"protocol":1,"reports":[…]}`, the agent's bearer token; see
 * agent/delivery/collector-client.ts). Connection w sends for agents w, w + N, w + 2N, … in turn, so each agent's seqs
 * arrive in order and rise across phases. Driven over IPC by `LoadJob` messages; answers `LoadResult`.
 */
import http from 'node:http';
import { FleetSnapshots, SEQ_BASE, agentIdOf, tokenOf, type FleetShape, type FleetTemplates } from './fleet-fixture.js';

export type LoadKind = 'heartbeat' | 'snapshot';

export interface LoadJob {
  type: 'run';
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  kind: LoadKind;
  connections: number;
  reportsPerRequest: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoadResult {
  type: 'result';
  /** Reports acknowledged (HTTP 200, not in `refused`) by requests that completed inside the measured window. */
  reports: number;
  requests: number;
  seconds: number;
  reportsPerSec: number;
  p50: number;
  p99: number;
  max: number;
  /** Requests still without an answer when the phase ended (their wait so far counts in the latencies). */
  unfinished: number;
  /** Answers other than 200 and network errors, by status ('network' for the latter). */
  failures: Record<string, number>;
  refused: number;
  firstFailure?: string;
}

export type GeneratorMessage = { type: 'init'; shape: FleetShape; templates: FleetTemplates } | LoadJob | { type: 'stop' };

/** How long in-flight requests get after the phase ends before they are counted as unfinished. */
const DRAIN_MS = 5_000;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

let fleet: FleetSnapshots | undefined;
let seqs: Float64Array;
let flipped: Uint8Array;
/** Per connection, how far it got through its agents (it owns the agents i with i % connections = its index). */
let positions: number[] = [];

function reportJson(i: number, kind: LoadKind, nowIso: string, flip: boolean): string {
  const seq = ++seqs[i]!;
  const head = `{"protocol":1,"agentId":"${agentIdOf(i)}","epoch":1,"seq":${seq},"sentAt":"${nowIso}"`;
  if (kind === 'heartbeat') return `${head},"heartbeat":true}`;
  if (flip) flipped[i] = flipped[i] === 1 ? 0 : 1;
  return `${head},"snapshot":${fleet!.json(i, nowIso, flipped[i] === 1)}}`;
}

async function runJob(job: LoadJob): Promise<LoadResult> {
  const f = fleet!;
  const n = f.shape.machines;
  const connections = Math.min(job.connections, n);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL('/api/v1/reports', job.url);
  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const end = measureFrom + job.durationMs;
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let firstFailure: string | undefined;
  let reports = 0;
  let requests = 0;
  let refused = 0;
  const inFlight = new Map<number, number>();
  let reqIds = 0;
  if (positions.length !== connections) positions = new Array<number>(connections).fill(0);

  const send = (i: number, body: string): Promise<{ status: number; text: string }> =>
    new Promise((resolve) => {
      const req = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${tokenOf(i)}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => resolve({ status: -1, text: e.message }));
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: -1, text: e.code ?? e.message }));
      req.end(body);
    });

  let stopped = false;
  let counter = 0;
  const worker = async (w: number) => {
    // Agents w, w + C, w + 2C, … in turn, from where the previous phase left off: only this connection sends for
    // them, one request at a time, so their seqs arrive in order.
    const owned = Math.ceil((n - w) / connections);
    while (!stopped && performance.now() < end) {
      const i = w + (positions[w]! % owned) * connections;
      positions[w]!++;
      const nowIso = new Date().toISOString();
      const parts: string[] = [];
      for (let r = 0; r < job.reportsPerRequest; r++) parts.push(reportJson(i, job.kind, nowIso, ++counter % 10 === 0));
      const body = `{"protocol":1,"reports":[${parts.join(',')}]}`;
      const id = reqIds++;
      const t = performance.now();
      inFlight.set(id, t);
      const r = await send(i, body);
      inFlight.delete(id);
      const done = performance.now();
      if (stopped) return;
      if (t < measureFrom || done > end) continue;
      latencies.push(done - t);
      requests++;
      if (r.status === 200) {
        let bad = 0;
        if (r.text.includes('"refused"')) {
          bad = ((JSON.parse(r.text) as { refused?: unknown[] }).refused ?? []).length;
          refused += bad;
        }
        reports += job.reportsPerRequest - bad;
      } else {
        const key = r.status === -1 ? 'network' : String(r.status);
        failures[key] = (failures[key] ?? 0) + 1;
        firstFailure ??= `${key}: ${r.text.slice(0, 200)}`;
      }
    }
  };
  const workers = Promise.all(Array.from({ length: connections }, (_, w) => worker(w)));
  // A stalled server must not hold the phase forever: after the drain time, what is still waiting is "unfinished".
  const drained = await Promise.race([workers.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), end - performance.now() + DRAIN_MS))]);
  stopped = true;
  const cut = performance.now();
  let unfinished = 0;
  if (!drained) {
    for (const t of inFlight.values()) {
      unfinished++;
      latencies.push(cut - t);
    }
  }
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const seconds = job.durationMs / 1000;
  return {
    type: 'result',
    reports,
    requests,
    seconds,
    reportsPerSec: reports / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? 0,
    unfinished,
    failures,
    refused,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

if (process.send) {
  process.on('message', (m: GeneratorMessage) => {
    if (m.type === 'init') {
      fleet = new FleetSnapshots(m.shape, m.templates);
      seqs = new Float64Array(m.shape.machines).fill(SEQ_BASE);
      flipped = new Uint8Array(m.shape.machines);
      process.send!({ type: 'ready' });
    } else if (m.type === 'run') {
      runJob(m).then(
        (r) => process.send!(r),
        (e: unknown) => process.send!({ type: 'error', message: e instanceof Error ? e.stack : String(e) }),
      );
    } else if (m.type === 'stop') {
      process.exit(0);
    }
  });
  // The bench died without saying stop: do not outlive it.
  process.on('disconnect', () => process.exit(0));
}
