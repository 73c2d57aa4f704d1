/** Starts the fake PowerShell (fake-powershell.ts) in place of powershell.exe, for PersistentPowerShell's `spawn`. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import type { SpawnPowerShell } from '../../agent/sources/powershell-session.js';

export const FAKE_POWERSHELL = fileURLToPath(new URL('./fake-powershell.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let bundled: string | undefined;

/** The fake bundled once per test process into plain JavaScript: node starts it in a fraction of tsx's time. */
function fakeBundle(): string {
  if (bundled) return bundled;
  const dir = mkdtempSync(join(tmpdir(), 'vawatch-fake-ps-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'fake-powershell.mjs');
  buildSync({ entryPoints: [FAKE_POWERSHELL], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'warning' });
  bundled = out;
  return out;
}

/** Resolves with how `child` ended, once it has (at once if it already has); fails after `timeoutMs` of real time. */
export function childExit(child: ChildProcess, timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${child.pid} still running after ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

export interface FakePowerShellSpawn {
  spawn: SpawnPowerShell;
  /** Every process started, in order, with the executable name it was asked for. */
  started: Array<{ exe: string; child: ChildProcess }>;
}

/**
 * `missing` lists executables that do not exist on this "machine" (their start fails with ENOENT, as on Windows);
 * every other name starts the fake.
 */
export function fakePowerShellSpawn(opts: { replayDir: string; controlFile?: string; missing?: string[] }): FakePowerShellSpawn {
  const started: FakePowerShellSpawn['started'] = [];
  return {
    started,
    spawn: (exe) => {
      const child = opts.missing?.includes(exe)
        ? spawn(`vawatch-test-no-such-${exe}`, [], { stdio: 'pipe' })
        : spawn(process.execPath, [fakeBundle()], {
            cwd: ROOT,
            stdio: 'pipe',
            env: { ...process.env, FAKE_PS_REPLAY: opts.replayDir, FAKE_PS_CONTROL: opts.controlFile ?? '' },
          });
      started.push({ exe, child });
      return child;
    },
  };
}
