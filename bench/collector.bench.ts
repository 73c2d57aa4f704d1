/**
 * Collector ingest: reports per second through the full path (HTTP, express, zod, one SQLite transaction per batch,
 * state update, change feed), single reports and batches of 100, with p50 / p99 latency, against Node's bare HTTP
 * server measured in the same run (httpBaselineReqPerSec).
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector } from '../dashboard/server/collector.js';
import { silentLogger } from '../dashboard/server/log.js';
import { createCronScheduler } from '../platform/cron-scheduler.js';
import { systemClock } from '../shared/scheduling.js';
import { httpBaselineReqPerSec, report } from './baseline.js';

const SECRET = 'bench-enrolment-secret';
const AGENTS = 50;
const CONCURRENCY = 8;

interface BenchAgent {
  agentId: string;
  machineId: string;
  token: string;
  seq: number;
}

function snapshotOf(a: BenchAgent, at: number, status: number) {
  return {
    machineId: a.machineId,
    hostname: `${a.machineId}.contoso.com`,
    group: `site-${a.machineId.length % 5}`,
    os: { caption: 'Microsoft Windows 11 Enterprise', version: '10.0.22631', kind: 'client' },
    cmid: `cmid-${a.machineId}`,
    products: [0, 1, 2].map((i) => ({
      activationId: `a1b2c3d4-0000-4000-8000-00000000000${i}`,
      applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
      name: `Windows(R), Enterprise edition ${i}`,
      channel: 'kms-client',
      primary: i === 0,
      licenseStatus: status,
      licenseStatusReason: 0,
      graceExpiresAt: new Date(at + 180 * 86_400_000).toISOString(),
      partialProductKey: 'ABCDE',
      kmsHost: { name: 'kms01.contoso.com', port: 1688, source: 'dns' },
      rearmsRemaining: 1000,
    })),
    collectedAt: new Date(at).toISOString(),
  };
}

function nextReport(a: BenchAgent) {
  a.seq++;
  const at = Date.now();
  // Every 10th report changes the status, so history rows and deltas are written too.
  return { protocol: 1, agentId: a.agentId, epoch: 1, seq: a.seq, sentAt: new Date(at).toISOString(), snapshot: snapshotOf(a, at, a.seq % 10 === 0 ? 2 : 1) };
}

async function post(agent: http.Agent, port: number, path: string, body: string, token?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path, agent, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function drive(port: number, agents: BenchAgent[], requests: number, perBatch: number): Promise<{ reportsPerSec: number; p50: number; p99: number }> {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async (w: number) => {
    while (next < requests) {
      const i = next++;
      // Each worker owns its agents, so one agent's seqs arrive in order, as a real agent sends them.
      const a = agents[(i % (agents.length / CONCURRENCY)) * CONCURRENCY + w]!;
      const reports = Array.from({ length: perBatch }, () => nextReport(a));
      const t = performance.now();
      const r = await post(httpAgent, port, '/api/v1/reports', JSON.stringify({ protocol: 1, reports }), a.token);
      latencies.push(performance.now() - t);
      if (r.status !== 200) throw new Error(`ingest answered ${r.status}: ${r.text}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  const seconds = (performance.now() - start) / 1000;
  httpAgent.destroy();
  latencies.sort((x, y) => x - y);
  return { reportsPerSec: (requests * perBatch) / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

export async function run(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vawatch-bench-collector-'));
  const collector = await createCollector({
    config: { host: '127.0.0.1', port: 0, dataDir, enrolmentSecret: SECRET, adminPassword: 'bench-password', agentBurst: 1_000_000, agentRequestsPerSecond: 1_000_000 },
    clock: systemClock,
    scheduler: createCronScheduler(),
    log: silentLogger,
  });
  try {
    const { port } = await collector.listen();
    const httpAgent = new http.Agent({ keepAlive: true });
    const agents: BenchAgent[] = [];
    for (let i = 0; i < AGENTS - (AGENTS % CONCURRENCY); i++) {
      const machineId = `bench-${String(i).padStart(4, '0')}`;
      const r = await post(httpAgent, port, '/api/v1/agents/enrol', JSON.stringify({ secret: SECRET, machineId, hostname: `${machineId}.contoso.com` }));
      agents.push({ ...(JSON.parse(r.text) as { agentId: string; machineId: string; token: string }), seq: 0 });
    }
    httpAgent.destroy();

    const baseline = await httpBaselineReqPerSec();
    report('baseline: bare Node http, 1 KB POST (same run)', `${Math.round(baseline)} req/s`);
    await drive(port, agents, 200, 1); // warm-up
    const single = await drive(port, agents, 3000, 1);
    report('ingest, 1 report per request (8 connections)', `${Math.round(single.reportsPerSec)} rep/s`, `${(single.reportsPerSec / baseline).toFixed(2)}× baseline; p50 ${single.p50.toFixed(1)} ms, p99 ${single.p99.toFixed(1)} ms (goal ≥ 5,000 rep/s, p99 < 20 ms)`);
    const batched = await drive(port, agents, 200, 100);
    report('ingest, 100 reports per request (8 connections)', `${Math.round(batched.reportsPerSec)} rep/s`, `${(batched.reportsPerSec / baseline).toFixed(2)}× baseline req/s; p50 ${batched.p50.toFixed(1)} ms, p99 ${batched.p99.toFixed(1)} ms (goal ≥ 50,000 rep/s)`);
    report('machines in state after the run', `${collector.state.machineCount}`);
  } finally {
    await collector.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
