/**
 * `npm run bench -- scale [--machines N]`: the collector at fleet scale (issue 10's benchmark). Builds a store of N
 * fixture machines (fleet-fixture.ts), starts the compiled production collector on it as a child process, and
 * measures: seconds to /readyz, RSS at ready and after load, ingest of heartbeats and of snapshots (one report per
 * request, 64 keep-alive connections, from a separate load-generator process) as a ratio to a bare Node http server
 * driven the same way in the same run, /healthz latency while under load and across a wall-clock minute (the
 * collector's minute tick), and the signed-in reads (summary, /metrics, a filtered and sorted machines page).
 * Prints one figure per line and a one-line verdict against the issue's targets; it reports, it never fails.
 */
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureWebBuilt } from '../dashboard/web/build.js';
import { report } from './baseline.js';
import { httpGet, memoryOf, NotReadyError, startCollectorProcess, type CollectorProcess } from './collector-process.js';
import { fleetShape, simulatorTemplates } from './fleet-fixture.js';
import { buildStoreInChild, startBareServer, startLoadGenerator, type BareServer, type LoadGenerator } from './load-client.js';
import { percentile, type LoadKind, type LoadResult } from './load-generator.js';

const HELP = `usage: npm run bench -- scale [--machines N] [--seconds S] [--warmup S] [--connections C] [--ready-timeout S] [--keep]

  --machines N      fleet size (default 1000000; also try 10000 and 100000)
  --seconds S       measured seconds per load phase (default 15)
  --warmup S        unmeasured seconds before each phase (default 2)
  --connections C   keep-alive connections of the load generator (default 64)
  --ready-timeout S give up waiting for /readyz after S seconds (default 600)
  --keep            keep the temporary data folder (printed) instead of deleting it`;

interface Options {
  machines: number;
  seconds: number;
  warmup: number;
  connections: number;
  readyTimeout: number;
  keep: boolean;
}

const ADMIN_PASSWORD = 'bench-admin-password';
const ENROLMENT_SECRET = 'bench-enrolment-secret';
const API_RUNS = 7;
const READ_TIMEOUT_MS = 120_000;
const SETTLE_LIMIT_MS = 300_000;
const GIB = 1024 ** 3;

function parseOptions(args: string[]): Options | 'help' {
  const o: Options = { machines: 1_000_000, seconds: 15, warmup: 2, connections: 64, readyTimeout: 600, keep: false };
  const numeric: Record<string, keyof Options> = { '--machines': 'machines', '--seconds': 'seconds', '--warmup': 'warmup', '--connections': 'connections', '--ready-timeout': 'readyTimeout' };
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--keep') {
      o.keep = true;
      continue;
    }
    const [flag, inline] = a.split('=', 2) as [string, string | undefined];
    const key = numeric[flag];
    if (!key) throw new Error(`unknown option ${a}`);
    const raw = inline ?? args[++k];
    const v = Number(String(raw).replaceAll('_', '').replaceAll(',', ''));
    if (!Number.isFinite(v) || v < (key === 'warmup' ? 0 : 1)) throw new Error(`${flag} needs a positive number, got ${raw ?? 'nothing'}`);
    (o as unknown as Record<string, number>)[key] = key === 'seconds' || key === 'warmup' ? v : Math.floor(v);
  }
  return o;
}

const mb = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MB`;
const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
const ratio = (v: number, base: number) => (base > 0 ? `${(v / base).toFixed(2)}×` : 'n/a');

/** /healthz on a fresh connection every 100 ms (as a load balancer probes), with the wall-clock instant of each. */
class HealthProbe {
  readonly samples: Array<{ at: number; ms: number }> = [];
  readonly #pending = new Map<number, number>();
  #timer: NodeJS.Timeout | undefined;
  #next = 0;

  constructor(private readonly url: string) {}

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#pending.size >= 50) return; // the earlier ones are still waiting: their wait is the figure
      const id = this.#next++;
      const at = Date.now();
      const t = performance.now();
      this.#pending.set(id, t);
      const done = () => {
        if (!this.#pending.delete(id)) return;
        this.samples.push({ at, ms: performance.now() - t });
      };
      httpGet(`${this.url}/healthz`, { timeoutMs: 60_000 }).then(done, done);
    }, 100);
  }

  /** Stops probing; probes still waiting count with their wait so far. */
  stop(): void {
    clearInterval(this.#timer);
    const now = performance.now();
    for (const [id, t] of this.#pending) {
      this.samples.push({ at: Date.now() - (now - t), ms: now - t });
      this.#pending.delete(id);
    }
  }

  /** Over the probes sent inside any of the windows `[from, to, from2, to2, …]`. */
  stats(...windows: number[]): { n: number; max: number; p99: number; slowest: string } {
    const from = windows[0]!;
    const inside = this.samples.filter((s) => windows.some((w, k) => k % 2 === 0 && s.at >= w && s.at <= windows[k + 1]!));
    const v = inside.map((s) => s.ms).sort((a, b) => a - b);
    // When the slowest probes were sent, in seconds from `from`: a cluster points at one cause (start of a phase, a tick).
    const slowest = inside
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 3)
      .map((s) => `${ms(s.ms)} at +${((s.at - from) / 1000).toFixed(1)} s`)
      .join(', ');
    return { n: v.length, max: v.at(-1) ?? 0, p99: percentile(v, 99), slowest };
  }
}

/**
 * CPU time the hypervisor took from this VM (`steal` in /proc/stat), summed over all cores, sampled every 100 ms: on a
 * shared VM a stall of every process shows up here, not in anything the collector does. Linux only (else unavailable).
 */
class StealMonitor {
  totalMs = 0;
  worstMs = 0;
  #last: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly available = StealMonitor.#read() !== undefined;

  static #read(): number | undefined {
    try {
      const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
      const steal = Number(cpu[8]);
      return cpu[0] === 'cpu' && Number.isFinite(steal) ? steal * 10 : undefined; // USER_HZ is 100: 10 ms a tick
    } catch {
      return undefined;
    }
  }

  start(): void {
    if (!this.available) return;
    this.#last = StealMonitor.#read();
    this.#timer = setInterval(() => {
      const now = StealMonitor.#read();
      if (now === undefined || this.#last === undefined) return;
      const d = now - this.#last;
      this.#last = now;
      this.totalMs += d;
      this.worstMs = Math.max(this.worstMs, d);
    }, 100);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** The collector's event-loop lag max since the previous scrape, in ms (undefined without Node.js metrics). */
async function eventLoopLagMax(url: string): Promise<number | undefined> {
  const r = await httpGet(`${url}/metrics`, { timeoutMs: READ_TIMEOUT_MS });
  const m = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? ([0-9.e+-]+)$/m.exec(r.text);
  return m ? Number(m[1]) * 1000 : undefined;
}

async function signIn(url: string): Promise<string> {
  const body = JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD });
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/v1/session`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => {
        const cookie = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
        if (res.statusCode === 200 && cookie) resolve(cookie);
        else reject(new Error(`sign-in answered ${res.statusCode}`));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface ReadTiming {
  median: number;
  max: number;
  bytes: number;
  status: number;
  /** Set when a request got no answer in time; the later runs are skipped. */
  error?: string;
}

async function timeGet(url: string, cookie: string, agent: http.Agent, headers: Record<string, string> = {}): Promise<ReadTiming> {
  const times: number[] = [];
  let bytes = 0;
  let status = 0;
  let error: string | undefined;
  for (let k = 0; k < API_RUNS && !error; k++) {
    const t = performance.now();
    try {
      const r = await httpGet(url, { agent, cookie, headers, timeoutMs: READ_TIMEOUT_MS });
      bytes = r.bytes;
      status = r.status;
    } catch (e) {
      error = (e as Error).message;
      status = 0;
    }
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { median: percentile(times, 50), max: times.at(-1)!, bytes, status, ...(error ? { error } : {}) };
}

/** Seconds until /healthz answers within 100 ms again after the load (the backlog drained), at most `limitMs`. */
async function settle(url: string, limitMs: number): Promise<number | undefined> {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    const t = performance.now();
    const ok = await httpGet(`${url}/healthz`, { timeoutMs: limitMs }).then((r) => r.status === 200, () => false);
    if (ok && performance.now() - t <= 100) return (performance.now() - start) / 1000;
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

/**
 * How long to wait so that the next wall-clock minute (the collector's minute tick) comes `intoLoadMs` after the load
 * starts, given that the load starts `leadMs` after the wait. Aimed 1 s past the heartbeats' warm-up: the 11 s the
 * tick is judged over then fall in steady load, not in the next phase's warm-up (where new connections wait to be
 * accepted whatever the tick does).
 */
function waitForMinuteInside(intoLoadMs: number, leadMs: number): number {
  const now = Date.now();
  const boundary = Math.ceil((now + leadMs + intoLoadMs + 5_000) / 60_000) * 60_000;
  return Math.max(0, boundary - now - leadMs - intoLoadMs);
}

export async function run(args: string[] = []): Promise<void> {
  let o: Options;
  try {
    const parsed = parseOptions(args);
    if (parsed === 'help') {
      console.log(HELP);
      return;
    }
    o = parsed;
  } catch (e) {
    console.error(`bench scale: ${(e as Error).message} (see --help)`);
    process.exitCode = 2;
    return;
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'vawatch-bench-scale-'));
  let collector: CollectorProcess | undefined;
  let generator: LoadGenerator | undefined;
  let bare: BareServer | undefined;
  let probe: HealthProbe | undefined;
  const cleanup = async () => {
    probe?.stop();
    await Promise.allSettled([generator?.close(), bare?.close(), collector?.close()]);
    if (o.keep) console.log(`data folder kept: ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  };
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\nbench scale: ${signal}: stopping the collector and the load, removing the data folder`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // --- the store ---
    const anchorMs = Date.now();
    const shape = fleetShape(o.machines, anchorMs);
    report('fleet', `${o.machines} machines`, `${shape.kmsHosts} KMS hosts, ${shape.sites} sites; synthetic bench fixture cloned from the simulator`);
    const tStore = performance.now();
    const templates = simulatorTemplates(anchorMs);
    let lastPrint = performance.now();
    const store = await buildStoreInChild(dataDir, shape, templates, (fraction) => {
      if (performance.now() - lastPrint > 10_000) {
        lastPrint = performance.now();
        process.stderr.write(`  store: ${Math.round(fraction * 100)}% of the machine and agent rows written…\n`);
      }
    });
    report('store build (schema, rows, indexes)', `${((performance.now() - tStore) / 1000).toFixed(1)} s`, `${mb(store.bytes)} SQLite file; ${store.kmsClients} KMS client-window entries`);

    // --- the collector ---
    await ensureWebBuilt(); // built here, so a stale web UI is not counted in the collector's start
    collector = await startCollectorProcess({ dataDir, adminPassword: ADMIN_PASSWORD, enrolmentSecret: ENROLMENT_SECRET, readyTimeoutMs: o.readyTimeout * 1000 });
    const ready = collector.readySeconds;
    const memReady = memoryOf(collector.pid);
    report('collector: start to /readyz 200', `${ready.toFixed(1)} s`, 'target ≤ 30 s at 1M');
    report('collector: RSS at ready', memReady ? mb(memReady.rssBytes) : 'n/a', 'target ≤ 2 GiB at 1M');
    const cookie = await signIn(collector.url);

    // --- ingest, bare ceiling first, then the collector with /healthz probed throughout ---
    [generator, bare] = await Promise.all([startLoadGenerator(shape, templates), startBareServer()]);
    const phase = (url: string, kind: LoadKind) =>
      generator!.run({ url, kind, connections: o.connections, reportsPerRequest: 1, warmupMs: o.warmup * 1000, durationMs: o.seconds * 1000 });
    const bareProbe = new HealthProbe(bare.url);
    bareProbe.start();
    const bareFrom = Date.now();
    const bareHb = await phase(bare.url, 'heartbeat');
    const bareSnap = await phase(bare.url, 'snapshot');
    bareProbe.stop();
    const bareHealth = bareProbe.stats(bareFrom, Date.now());
    await bare.close();
    bare = undefined;

    const wait = waitForMinuteInside(o.warmup * 1000 + 1_000, 1_000);
    if (wait > 0) process.stderr.write(`  waiting ${Math.round(wait / 1000)} s so that a minute boundary falls inside the load…\n`);
    await new Promise((r) => setTimeout(r, wait));
    probe = new HealthProbe(collector.url);
    probe.start();
    await new Promise((r) => setTimeout(r, 1_000));
    // The collector's own event-loop lag (prom-client's monitorEventLoopDelay, reset at each scrape): read just before
    // and at the end of each phase, its max is the longest block of the loop during that phase.
    await eventLoopLagMax(collector.url);
    const steal = new StealMonitor();
    steal.start();
    const loadFrom = Date.now();
    const hb = await phase(collector.url, 'heartbeat');
    const hbLag = await eventLoopLagMax(collector.url);
    const snapFrom = Date.now();
    const snap = await phase(collector.url, 'snapshot');
    const snapLag = await eventLoopLagMax(collector.url);
    const loadTo = Date.now();
    steal.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    probe.stop();

    const line = (name: string, r: LoadResult, base: LoadResult) => {
      const fails = Object.entries(r.failures).map(([k, v]) => `${v}× ${k}`).join(', ');
      report(`${name}: accepted`, `${Math.round(r.reportsPerSec)} rep/s`, `${ratio(r.reportsPerSec, base.reportsPerSec)} bare${fails ? `; failures: ${fails}` : ''}${r.refused ? `; refused ${r.refused}` : ''}${r.unfinished ? `; ${r.unfinished} unanswered at the end` : ''}`);
      report(`${name}: latency p50`, ms(r.p50), `${ratio(r.p50, base.p50)} bare`);
      report(`${name}: latency p99`, ms(r.p99), `${ratio(r.p99, base.p99)} bare; max ${ms(r.max)}; target p99 ≤ 100 ms`);
      if (r.firstFailure) report(`${name}: first failure`, '', r.firstFailure);
    };
    const bareLine = (name: string, r: LoadResult) =>
      report(name, `${Math.round(r.reportsPerSec)} rep/s`, `p50 ${ms(r.p50)}, p99 ${ms(r.p99)} (${o.connections} connections, 1 report per request)`);
    bareLine('bare Node http ceiling, heartbeats', bareHb);
    bareLine('bare Node http ceiling, snapshots', bareSnap);
    line('heartbeats', hb, bareHb);
    line('snapshots (every 10th changes licenseStatus)', snap, bareSnap);

    const during = probe.stats(loadFrom, loadTo);
    const boundary = Math.floor(loadTo / 60_000) * 60_000;
    const crossed = boundary > loadFrom;
    const tick = probe.stats(boundary - 1_000, boundary + 10_000);
    report('/healthz during load: max', ms(during.max), `p99 ${ms(during.p99)}, ${during.n} probes every 100 ms; target max ≤ 50 ms`);
    report('  slowest probes (sent at, from the start of the load)', '', `${during.slowest}; phases: heartbeats +0 s, snapshots +${((snapFrom - loadFrom) / 1000).toFixed(0)} s`);
    // Node 20's libuv accepts one connection per turn of the event loop (libuv PR 3696): while the generator opens its
    // connections at the start of a phase, a probe's connection waits behind them in the accept queue, one loop turn
    // each, though no turn is long. Printed apart, so the two causes of a slow probe can be told apart.
    const warmupMs = o.warmup * 1000;
    const burst = probe.stats(loadFrom, loadFrom + warmupMs, snapFrom, snapFrom + warmupMs);
    const steady = probe.stats(loadFrom + warmupMs, snapFrom, snapFrom + warmupMs, loadTo);
    report('  while the generator opens its connections (warm-up of each phase): max', ms(burst.max), `p99 ${ms(burst.p99)}, ${burst.n} probes; new connections are accepted one per loop turn`);
    report('  after the warm-up (measured part of each phase): max', ms(steady.max), `p99 ${ms(steady.p99)}, ${steady.n} probes`);
    if (steal.available) {
      report('CPU time the hypervisor took (steal) during load', ms(steal.totalMs), `worst 100 ms window: ${ms(steal.worstMs)} of the machine's ${ms(200)} (2 cores); every process stalls then, the collector and the probe alike`);
    }
    report('collector event-loop block during load: max', `${ms(Math.max(hbLag ?? 0, snapLag ?? 0))}`, hbLag === undefined || snapLag === undefined ? 'nodejs_eventloop_lag_max_seconds not exported' : `heartbeats ${ms(hbLag)}, snapshots ${ms(snapLag)} (the collector's nodejs_eventloop_lag_max_seconds, 10 ms resolution)`);
    report('  the same probe on the bare server under its load: max', ms(bareHealth.max), `p99 ${ms(bareHealth.p99)}, ${bareHealth.n} probes (what a fresh connection costs on this machine now)`);
    report('/healthz across the minute tick: max', crossed ? ms(tick.max) : 'n/a', crossed ? `p99 ${ms(tick.p99)}, ${tick.n} probes from ${new Date(boundary - 1000).toISOString().slice(11, 19)} to +10 s (under load)` : 'no minute boundary inside the load');
    const missed = collector.logLines(/missed execution/i).length;
    report('node-cron "missed execution" warnings', `${missed}`, 'a blocked event loop at a scheduled instant');

    const memAfter = memoryOf(collector.pid);
    report('collector: RSS after load', memAfter ? mb(memAfter.rssBytes) : 'n/a', memAfter ? `peak since start ${mb(memAfter.peakBytes)}; target ≤ 2 GiB at 1M` : '');

    // --- reads, signed in, once the collector answers promptly again ---
    const settled = await settle(collector.url, SETTLE_LIMIT_MS);
    report('collector: /healthz within 100 ms again after the load', settled === undefined ? `> ${SETTLE_LIMIT_MS / 1000} s` : `${settled.toFixed(1)} s`, 'the backlog of the load drained; the reads below start then');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const summary = await timeGet(`${collector.url}/api/v1/summary`, cookie, agent);
    // As Prometheus scrapes: it asks for gzip every time. Plain too, for a client that does not.
    const metrics = await timeGet(`${collector.url}/metrics`, cookie, agent, { 'accept-encoding': 'gzip' });
    const metricsPlain = await timeGet(`${collector.url}/metrics`, cookie, agent);
    const page = await timeGet(`${collector.url}/api/v1/machines?status=1&sort=-lastReportAt&limit=100`, cookie, agent);
    agent.destroy();
    const read = (name: string, r: ReadTiming, target: string) =>
      r.error
        ? report(name, 'no answer', `${r.error}; target ${target}`)
        : report(name, ms(r.median), `median of ${API_RUNS}; max ${ms(r.max)}; ${Math.round(r.bytes / 1024)} KiB${r.status === 200 ? '' : `; HTTP ${r.status}`}; target ${target}`);
    read('GET /api/v1/summary', summary, '≤ 20 ms');
    read('GET /metrics (Accept-Encoding: gzip, as Prometheus scrapes)', metrics, '≤ 20 ms');
    read('GET /metrics (no Accept-Encoding)', metricsPlain, 'none (what a client without gzip gets)');
    read('GET /api/v1/machines?status=1&sort=-lastReportAt&limit=100', page, '≤ 100 ms');

    // --- verdict ---
    const checks: Array<[string, boolean]> = [
      [`ready ${ready.toFixed(1)} s ≤ 30 s`, ready <= 30],
      [`RSS ${mb(Math.max(memReady?.rssBytes ?? Infinity, memAfter?.rssBytes ?? Infinity))} ≤ 2 GiB`, Math.max(memReady?.rssBytes ?? Infinity, memAfter?.rssBytes ?? Infinity) <= 2 * GIB],
      [`heartbeats ${ratio(hb.reportsPerSec, bareHb.reportsPerSec)} ≥ 0.5× bare`, hb.reportsPerSec >= 0.5 * bareHb.reportsPerSec],
      [`snapshots ${ratio(snap.reportsPerSec, bareSnap.reportsPerSec)} ≥ 0.3× bare`, snap.reportsPerSec >= 0.3 * bareSnap.reportsPerSec],
      [`p99 ${ms(Math.max(hb.p99, snap.p99))} ≤ 100 ms`, Math.max(hb.p99, snap.p99) <= 100],
      [`/healthz max ${ms(Math.max(during.max, crossed ? tick.max : 0))} ≤ 50 ms`, Math.max(during.max, crossed ? tick.max : 0) <= 50 && crossed],
      [`summary ${summary.error ? 'no answer' : ms(summary.median)} ≤ 20 ms`, summary.median <= 20 && summary.status === 200],
      [`metrics ${metrics.error ? 'no answer' : ms(metrics.median)} ≤ 20 ms`, metrics.median <= 20 && metrics.status === 200],
      [`machines page ${page.error ? 'no answer' : ms(page.median)} ≤ 100 ms`, page.median <= 100 && page.status === 200],
    ];
    const failed = checks.filter(([, ok]) => !ok);
    const scope = o.machines === 1_000_000 ? '' : ` (targets are set for 1,000,000 machines; this run has ${o.machines})`;
    console.log(`verdict${scope}: ${failed.length === 0 ? 'PASS' : `${failed.length} of ${checks.length} targets missed`} — ${checks.map(([t, ok]) => `${ok ? 'ok' : 'MISSED'} ${t}`).join('; ')}`);
  } catch (e) {
    if (e instanceof NotReadyError) {
      // A figure too: the start is the first target, and nothing else can be measured without it.
      report('collector: start to /readyz 200', `> ${e.seconds} s`, 'gave up waiting (--ready-timeout); target ≤ 30 s at 1M');
      report('collector: RSS when given up on', e.memory ? mb(e.memory.rssBytes) : 'n/a', 'target ≤ 2 GiB at 1M');
      console.log(`verdict: not measured beyond the start — MISSED ready > ${e.seconds} s${e.memory ? `; ${e.memory.rssBytes <= 2 * GIB ? 'ok' : 'MISSED'} RSS ${mb(e.memory.rssBytes)} ≤ 2 GiB` : ''}`);
      return;
    }
    // After Ctrl-C the children die first and the phase in progress fails: that is not news.
    if (!interrupted) {
      console.error(`bench scale: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!interrupted) await cleanup();
  }
}
