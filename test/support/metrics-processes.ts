/** Real Prometheus / Alertmanager processes for end-to-end tests: temp dir, 127.0.0.1, a free port, always killed. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface Running {
  url: string;
  dir: string;
  /** What the process printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts a program and waits until `readyPath` answers 200 on its port (bounded). */
export async function startProgram(
  binary: string,
  args: (dir: string, port: number) => string[],
  readyPath: string,
  timeoutMs = 20_000,
): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'vawatch-e2e-'));
  const port = await freePort();
  const child: ChildProcess = spawn(binary, args(dir, port), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const start = Date.now();
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`${binary} exited with ${child.exitCode}: ${out.slice(-2000)}`);
    }
    try {
      const r = await fetch(url + readyPath);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() - start > timeoutMs) {
      await stop();
      throw new Error(`${binary} not ready within ${timeoutMs} ms: ${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, dir, output: () => out, stop };
}

/** Polls `check` every 250 ms until it returns a value (bounded); real time, for real processes only. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
