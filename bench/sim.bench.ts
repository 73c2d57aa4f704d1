/**
 * The simulator's load figure: 10,000 machines (10 sites with a KMS host each) for one simulated year. Target here:
 * at most 10 s. Prints the time (wall and CPU: the machine is shared), simulated machine-days per second and the ratio
 * to the same-run CPU baseline.
 */
import { createScenario } from '../agent/sim/index.js';
import { cpuBaselineOpsPerSec, report } from './baseline.js';

const MACHINES = 10_000;
const DAYS = 365;
const TARGET_SECONDS = 10;

export async function run(): Promise<void> {
  const baseline = cpuBaselineOpsPerSec();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sim = createScenario('scale', { scale: MACHINES });
  const built = performance.now();
  sim.runDays(DAYS);
  const ran = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const end = sim.summary();
  const s0 = performance.now();
  for (let i = 0; i < 10; i++) sim.summary();
  const summaryMs = (performance.now() - s0) / 10;

  const seconds = (ran - t0) / 1000;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const machineDaysPerSec = (sim.machines.length * DAYS) / seconds;
  report(`sim: build ${sim.machines.length} machines`, `${(built - t0).toFixed(0)} ms`);
  report(
    `sim: ${sim.machines.length} machines × ${DAYS} days (build included)`,
    `${seconds.toFixed(2)} s`,
    `cpu ${cpuSeconds.toFixed(2)} s; target ≤ ${TARGET_SECONDS} s: ${seconds <= TARGET_SECONDS ? 'met' : 'MISSED'}`,
  );
  report(
    'sim: simulated machine-days per second',
    machineDaysPerSec.toFixed(0),
    `${(machineDaysPerSec / baseline).toFixed(2)} × cpu baseline (${baseline.toFixed(0)} ops/s)`,
  );
  report('sim: event records written', String(end.events), `${(end.events / seconds).toFixed(0)} per second`);
  report('sim: one daily summary of the fleet', `${summaryMs.toFixed(1)} ms`);
  report('sim: Licensed at the end', String(end.licenseStatus['1']), `of ${sim.machines.length}`);
  report('sim: heap used at the end', `${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);
}
