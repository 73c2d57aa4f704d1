/**
 * /metrics at 10k and 100k machines: how long a scrape takes and how long it blocks the event loop, and the same for
 * the background pass that renders the per-machine series. Baseline: a plain prom-client Gauge carrying the same
 * per-machine series, formatted inside the scrape (what the exporter avoids), measured in this same run.
 */
import { Gauge, Registry } from 'prom-client';
import { MetricsExporter } from '../dashboard/metrics/metrics-exporter.js';
import type { KmsHostFacts, MachineFacts, MetricsSource } from '../dashboard/metrics/metrics-source.js';
import { cpuBaselineOpsPerSec, report } from './baseline.js';

const NOW = Date.now();
const DAY = 86_400_000;

function fleet(n: number): MetricsSource {
  const groups = Array.from({ length: 20 }, (_, i) => `site-${String(i).padStart(2, '0')}`);
  const machines: MachineFacts[] = Array.from({ length: n }, (_, i) => {
    const status = i % 50 === 0 ? 3 : i % 97 === 0 ? 5 : 1;
    return {
      machineId: `6f1c2a4e-0000-4000-8000-${String(i).padStart(12, '0')}`,
      hostname: `ws-${String(i).padStart(6, '0')}.contoso.com`,
      group: groups[i % groups.length]!,
      status,
      channel: 'kms-client',
      products: [
        { name: 'Windows(R), Enterprise edition', channel: 'kms-client', licenseStatus: status, graceExpiresAt: NOW + (i % 180) * DAY, primary: true },
        { name: 'Office 16, Office16ProPlusVL_KMS_Client edition', channel: 'kms-client', licenseStatus: 1, graceExpiresAt: NOW + (i % 170) * DAY, primary: false },
      ],
      lastReportAt: NOW - (i % 7200) * 1000,
    };
  });
  const hosts: KmsHostFacts[] = groups.map((g, i) => ({
    id: `kms-${g}.contoso.com`,
    currentCount: 50 - i,
    clientOsDependents: Math.floor(n / groups.length),
    serverOsDependents: 10,
    forecastBelow25At: NOW + (i + 3) * DAY,
    forecastBelow5At: null,
    lastRequestAt: NOW - 60_000,
  }));
  return {
    machines: () => machines,
    machineCount: () => machines.length,
    groups: () => groups,
    kmsHosts: () => hosts,
    alertTallies: () => [],
    staleAfterMs: 3 * 3_600_000,
  };
}

/**
 * Runs `fn` with a 1 ms ticker beside it: wall time, the longest gap between ticks (the event-loop block as a user
 * sees it, which on a loaded machine includes time the OS gave to other programs) and the most CPU the process used
 * between two ticks (the block's own cost, whatever the load), plus the total CPU time.
 */
async function measure(fn: () => Promise<unknown>): Promise<Measure> {
  const cpu = process.cpuUsage();
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let longest = 0;
  let longestCpu = 0;
  const tick = () => {
    const t = performance.now();
    const c = process.cpuUsage();
    longest = Math.max(longest, t - last);
    longestCpu = Math.max(longestCpu, (c.user - lastCpu.user + c.system - lastCpu.system) / 1000);
    last = t;
    lastCpu = c;
  };
  const ticker = setInterval(tick, 1);
  const t = performance.now();
  await fn();
  const ms = performance.now() - t;
  // One more tick, so a block at the very end is seen too.
  await new Promise((r) => setTimeout(r, 2));
  tick();
  clearInterval(ticker);
  const used = process.cpuUsage(cpu);
  return { ms, blockMs: longest, blockCpuMs: longestCpu, cpuMs: (used.user + used.system) / 1000 };
}

interface Measure {
  ms: number;
  blockMs: number;
  blockCpuMs: number;
  cpuMs: number;
}

/** Median of `runs` measurements after one warm-up run (JIT). */
async function median(runs: number, fn: () => Promise<Measure>): Promise<Measure> {
  await fn();
  const all: Measure[] = [];
  for (let i = 0; i < runs; i++) all.push(await fn());
  const pick = (k: keyof Measure) => all.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(all.length / 2)]!;
  return { ms: pick('ms'), blockMs: pick('blockMs'), blockCpuMs: pick('blockCpuMs'), cpuMs: pick('cpuMs') };
}

/** Baseline: the same per-machine series as prom-client gauges, formatted inside the scrape. Returns its CPU ms. */
async function baseline(source: MetricsSource, n: number): Promise<number> {
  const registry = new Registry();
  const status = new Gauge({ name: 'm_status', help: 'h', labelNames: ['machine', 'machine_id', 'group', 'product'], registers: [registry] });
  const expiry = new Gauge({ name: 'm_expiry', help: 'h', labelNames: ['machine', 'machine_id', 'group', 'product'], registers: [registry] });
  const last = new Gauge({ name: 'm_last', help: 'h', labelNames: ['machine', 'machine_id', 'group'], registers: [registry] });
  for (const m of source.machines()) {
    for (const p of m.products) {
      const l = { machine: m.hostname, machine_id: m.machineId, group: m.group, product: p.name };
      status.set(l, p.licenseStatus);
      if (p.graceExpiresAt !== null) expiry.set(l, p.graceExpiresAt / 1000);
    }
    if (m.lastReportAt !== null) last.set({ machine: m.hostname, machine_id: m.machineId, group: m.group }, m.lastReportAt / 1000);
  }
  const naive = await median(n >= 100_000 ? 1 : 3, () => measure(() => registry.metrics()));
  report(`${n / 1000}k machines: baseline, prom-client gauges scraped directly`, `${naive.ms.toFixed(1)} ms`, `cpu ${naive.cpuMs.toFixed(1)} ms, block ${naive.blockMs.toFixed(1)} ms (cpu ${naive.blockCpuMs.toFixed(1)} ms)`);
  return naive.cpuMs;
}

export async function run(): Promise<void> {
  const cpu = cpuBaselineOpsPerSec();
  report('cpu baseline (JSON round trips)', `${Math.round(cpu)} ops/s`);
  for (const n of [10_000, 100_000]) {
    const source = fleet(n);
    // In its own function, so its 50k / 500k series are garbage before the exporter is measured.
    const naiveCpu = await baseline(source, n);
    for (const perMachine of [true, false]) {
      const registry = new Registry();
      const exporter = new MetricsExporter({
        registry,
        source,
        clock: { now: () => NOW },
        log: { info() {}, warn() {} },
        options: { machineSeriesLimit: perMachine ? n : 0, processMetrics: true },
      });
      exporter.recount();
      const sweep = await median(3, () => measure(() => exporter.refresh()));
      const scrape = await median(5, () => measure(() => exporter.metrics()));
      const size = (await exporter.metrics()).length;
      const label = `${n / 1000}k machines, per-machine series ${perMachine ? 'on' : 'off'}`;
      report(`${label}: scrape`, `${scrape.ms.toFixed(1)} ms`, `cpu ${scrape.cpuMs.toFixed(1)} ms, block ${scrape.blockMs.toFixed(1)} ms (cpu ${scrape.blockCpuMs.toFixed(1)} ms), ${(size / 1e6).toFixed(1)} MB, ${(naiveCpu / scrape.cpuMs).toFixed(0)}x less cpu than the baseline`);
      report(`${label}: background render`, `${sweep.ms.toFixed(1)} ms`, `cpu ${sweep.cpuMs.toFixed(1)} ms, longest block ${sweep.blockMs.toFixed(1)} ms (cpu ${sweep.blockCpuMs.toFixed(1)} ms; slices of 10 ms)`);
    }
  }
}
