/**
 * The bench's side of its helper processes: the load generator (load-generator.ts) and the bare-Node ceiling
 * (bare-server.ts), each forked as its own node process (TypeScript through tsx's loader, loaded once at start).
 * Every child is killed by `close()`, and by the bench's exit whatever ends it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FleetShape, FleetTemplates } from './fleet-fixture.js';
import type { GeneratorMessage, LoadJob, LoadResult } from './load-generator.js';
import type { ScaleStoreResult } from './scale-store.js';
import type { StoreBuilderMessage } from './store-builder.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Forks a bench script with tsx's loader; its output goes to the bench's stderr. */
export function forkScript(file: string): ChildProcess {
  const child = fork(join(HERE, file), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function nextMessage<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T & { type?: string; message?: string }) => {
      cleanup();
      if (m.type === 'error') reject(new Error(`${what}: ${m.message}`));
      else resolve(m);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`${what} exited (${signal ?? code}) before answering`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface LoadGenerator {
  run(job: Omit<LoadJob, 'type'>): Promise<LoadResult>;
  close(): Promise<void>;
}

export async function startLoadGenerator(shape: FleetShape, templates: FleetTemplates): Promise<LoadGenerator> {
  const child = forkScript('load-generator.ts');
  const ready = nextMessage<{ type: 'ready' }>(child, 'load generator');
  child.send({ type: 'init', shape, templates } satisfies GeneratorMessage);
  await ready;
  return {
    async run(job) {
      const result = nextMessage<LoadResult>(child, 'load generator');
      child.send({ type: 'run', ...job } satisfies GeneratorMessage);
      return result;
    },
    async close() {
      if (child.connected) child.send({ type: 'stop' } satisfies GeneratorMessage);
      await stopChild(child);
    },
  };
}

export interface BareServer {
  url: string;
  close(): Promise<void>;
}

export async function startBareServer(): Promise<BareServer> {
  const child = forkScript('bare-server.ts');
  const { port } = await nextMessage<{ type: 'listening'; port: number }>(child, 'bare server');
  return { url: `http://127.0.0.1:${port}`, close: () => stopChild(child) };
}

/** Builds the fixture store in a child process (store-builder.ts); `onProgress` gets the fraction of rows written. */
export async function buildStoreInChild(dataDir: string, shape: FleetShape, templates: FleetTemplates, onProgress?: (fraction: number) => void): Promise<ScaleStoreResult> {
  const child = forkScript('store-builder.ts');
  const onMessage = (m: { type: string; fraction?: number }) => {
    if (m.type === 'progress') onProgress?.(m.fraction ?? 0);
  };
  child.on('message', onMessage);
  try {
    const done = new Promise<ScaleStoreResult>((resolve, reject) => {
      child.on('message', (m: { type: string; result?: ScaleStoreResult; message?: string }) => {
        if (m.type === 'built') resolve(m.result!);
        else if (m.type === 'error') reject(new Error(`store builder: ${m.message}`));
      });
      child.once('exit', (code, signal) => reject(new Error(`store builder exited (${signal ?? code}) before finishing`)));
    });
    child.send({ type: 'build', dataDir, shape, templates } satisfies StoreBuilderMessage);
    return await done;
  } finally {
    child.off('message', onMessage);
    await stopChild(child);
  }
}
