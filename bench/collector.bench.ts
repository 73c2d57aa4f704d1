/**
 * Collector ingest on a small fleet: reports per second through the full path (HTTP, express, zod, SQLite, state
 * update, change feed), one snapshot per request and batches of 100, with p50 / p99 latency. The collector runs in
 * this process on a 1,000-machine fixture store (scale-store.ts); the load comes from the separate load-generator
 * process (load-generator.ts, 64 keep-alive connections), which drives a bare Node http server (bare-server.ts) the
 * same way in the same run: every figure is a ratio to it. `npm run bench -- scale` is the same at fleet scale.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector } from '../dashboard/server/collector.js';
import { silentLogger } from '../dashboard/server/log.js';
import { createCronScheduler } from '../platform/cron-scheduler.js';
import { systemClock } from '../shared/scheduling.js';
import { report } from './baseline.js';
import { FleetSnapshots, fleetShape, simulatorTemplates } from './fleet-fixture.js';
import { startBareServer, startLoadGenerator } from './load-client.js';
import type { LoadResult } from './load-generator.js';
import { buildScaleStore } from './scale-store.js';

const MACHINES = 1_000;
const CONNECTIONS = 64;
const SECONDS = 5;
const WARMUP_SECONDS = 1;

export async function run(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vawatch-bench-collector-'));
  const anchorMs = Date.now();
  const shape = fleetShape(MACHINES, anchorMs);
  const templates = simulatorTemplates(anchorMs);
  await buildScaleStore(dataDir, new FleetSnapshots(shape, templates));
  const collector = await createCollector({
    config: { host: '127.0.0.1', port: 0, dataDir, enrolmentSecret: 'bench-enrolment-secret', adminPassword: 'bench-password', agentBurst: 1_000_000, agentRequestsPerSecond: 1_000_000 },
    clock: systemClock,
    scheduler: createCronScheduler(),
    log: silentLogger,
  });
  const [generator, bare] = await Promise.all([startLoadGenerator(shape, templates), startBareServer()]);
  try {
    const { url } = await collector.listen();
    const phase = (target: string, reportsPerRequest: number) =>
      generator.run({ url: target, kind: 'snapshot', connections: CONNECTIONS, reportsPerRequest, warmupMs: WARMUP_SECONDS * 1000, durationMs: SECONDS * 1000 });
    const line = (name: string, r: LoadResult, base: LoadResult) => {
      const fails = Object.entries(r.failures).map(([k, v]) => `${v}× ${k}`).join(', ');
      report(name, `${Math.round(r.reportsPerSec)} rep/s`, `${(r.reportsPerSec / base.reportsPerSec).toFixed(2)}× bare (${Math.round(base.reportsPerSec)} rep/s); p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms (bare ${base.p50.toFixed(1)} / ${base.p99.toFixed(1)})${fails ? `; failures: ${fails}` : ''}`);
    };
    const bareSingle = await phase(bare.url, 1);
    const single = await phase(url, 1);
    line(`ingest, 1 snapshot per request (${CONNECTIONS} connections)`, single, bareSingle);
    const bareBatched = await phase(bare.url, 100);
    const batched = await phase(url, 100);
    line(`ingest, 100 snapshots per request (${CONNECTIONS} connections)`, batched, bareBatched);
    report('machines in state after the run', `${collector.state.machineCount}`);
  } finally {
    await Promise.allSettled([generator.close(), bare.close()]);
    await collector.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
