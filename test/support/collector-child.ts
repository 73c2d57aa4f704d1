/**
 * A collector in its own process, for tests that kill it (SIGKILL) and start it again on the same data folder.
 * Usage: tsx test/support/collector-child.ts DATA_DIR SECRET ADMIN_PASSWORD [INGEST_COMMIT_MS]; prints `listening URL`
 * when ready.
 */
import { createCollector } from '../../dashboard/server/collector.js';
import { silentLogger } from '../../dashboard/server/log.js';
import { createCronScheduler } from '../../platform/cron-scheduler.js';
import { systemClock } from '../../shared/scheduling.js';

const [dataDir, secret, password, commitMs] = process.argv.slice(2);
if (!dataDir || !secret || !password) {
  process.stderr.write('usage: collector-child.ts DATA_DIR SECRET ADMIN_PASSWORD\n');
  process.exit(2);
}
const collector = await createCollector({
  config: { host: '127.0.0.1', port: 0, dataDir, enrolmentSecret: secret, adminPassword: password, agentBurst: 100_000, agentRequestsPerSecond: 100_000, ...(commitMs ? { ingestCommitMs: Number(commitMs) } : {}) },
  clock: systemClock,
  scheduler: createCronScheduler(),
  log: silentLogger,
});
const { url } = await collector.listen();
process.stdout.write(`listening ${url}\n`);
