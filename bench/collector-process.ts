/**
 * The production collector as a child process: the compiled build `npm run collector` runs (dashboard/server/build.ts),
 * started with the same node flags directly (not through npm), so its pid is the collector's own and VmRSS is its
 * resident memory. Output goes to a log file in the data folder; the bench prints its tail when something fails.
 */
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { COLLECTOR_NODE_FLAGS, ensureCollectorBuilt } from '../dashboard/server/build.js';
import { stopChild } from './load-client.js';

export interface CollectorProcess {
  url: string;
  pid: number;
  /** Seconds from spawn to the first /readyz 200. */
  readySeconds: number;
  logFile: string;
  child: ChildProcess;
  /** Lines of its log matching `pattern` (e.g. node-cron's "missed execution" warnings). */
  logLines(pattern: RegExp): string[];
  close(): Promise<void>;
}

/** The collector did not answer /readyz 200 in time; it is killed, and the memory it had reached is kept. */
export class NotReadyError extends Error {
  constructor(
    readonly seconds: number,
    readonly memory: MemoryFigures | undefined,
  ) {
    super(`the collector was not ready within ${seconds} s`);
  }
}

export interface MemoryFigures {
  rssBytes: number;
  /** Peak resident memory since start (VmHWM). */
  peakBytes: number;
}

/** VmRSS and VmHWM of a process, from /proc (Linux). */
export function memoryOf(pid: number): MemoryFigures | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rssBytes: kb('VmRSS'), peakBytes: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

export function httpGet(
  url: string,
  opts: { agent?: http.Agent | false; cookie?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ status: number; text: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const headers = { ...opts.headers, ...(opts.cookie ? { cookie: opts.cookie } : {}) };
    const req = http.get(url, { agent: opts.agent ?? false, headers, timeout: opts.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, text: body.toString('utf8'), bytes: body.length });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${opts.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
  });
}

export async function startCollectorProcess(opts: {
  dataDir: string;
  adminPassword: string;
  enrolmentSecret: string;
  readyTimeoutMs: number;
}): Promise<CollectorProcess> {
  const { file } = await ensureCollectorBuilt();
  const logFile = join(opts.dataDir, 'collector.log');
  const log = createWriteStream(logFile);
  const started = performance.now();
  // BENCH_COLLECTOR_NODE_FLAGS adds node flags to the collector only (e.g. "--cpu-prof --cpu-prof-dir=/somewhere"),
  // BENCH_COLLECTOR_ARGS collector options (e.g. "--ingest-commit-ms 1"), to compare settings on the same bench.
  const words = (v: string | undefined) => (v ?? '').split(/\s+/).filter(Boolean);
  const node = words(process.env.BENCH_COLLECTOR_NODE_FLAGS);
  const args = words(process.env.BENCH_COLLECTOR_ARGS);
  const child = spawn(process.execPath, [...COLLECTOR_NODE_FLAGS, ...node, file, '--host', '127.0.0.1', '--port', '0', '--data', opts.dataDir, ...args], {
    env: collectorEnv(opts),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  child.stderr.pipe(log);
  const tail = () => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  };
  let url: string;
  try {
    url = await listeningUrl(child, log, opts.readyTimeoutMs, tail);
    const deadline = started + opts.readyTimeoutMs;
    for (;;) {
      const r = await httpGet(`${url}/readyz`, { timeoutMs: Math.max(1000, deadline - performance.now()) }).catch(() => ({ status: 0, text: '' }));
      if (r.status === 200) break;
      if (performance.now() > deadline) throw new NotReadyError(opts.readyTimeoutMs / 1000, memoryOf(child.pid!));
      await new Promise((res) => setTimeout(res, 100));
    }
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    url,
    pid: child.pid!,
    readySeconds: (performance.now() - started) / 1000,
    logFile,
    child,
    logLines: (pattern) => {
      try {
        return readFileSync(logFile, 'utf8').split('\n').filter((l) => pattern.test(l));
      } catch {
        return [];
      }
    },
    close: async () => {
      await stopChild(child, 15_000);
      log.end();
    },
  };
}

/** The URL from the collector's "listening on …" line (it listens once its state is loaded). */
function listeningUrl(child: ChildProcessByStdio<null, Readable, Readable>, log: WriteStream, timeoutMs: number, tail: () => string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new NotReadyError(timeoutMs / 1000, memoryOf(child.pid!))), timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      log.write(c);
      seen += c.toString('utf8');
      const m = /listening on (http:\/\/[0-9.]+:\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the collector exited (${signal ?? code}) before listening:\n${tail()}`));
    });
  });
}

/** The bench's environment minus any collector settings of the shell it runs in, plus the known credentials. */
function collectorEnv(opts: { adminPassword: string; enrolmentSecret: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VAWATCH_') && k !== 'PORT' && k !== 'HOST') env[k] = v;
  return { ...env, VAWATCH_ADMIN_PASSWORD: opts.adminPassword, VAWATCH_ENROLMENT_SECRET: opts.enrolmentSecret };
}
