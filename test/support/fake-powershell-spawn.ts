/** Starts the fake PowerShell (fake-powershell.ts) in place of powershell.exe, for PersistentPowerShell's `spawn`. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SpawnPowerShell } from '../../agent/sources/powershell-session.js';

export const FAKE_POWERSHELL = fileURLToPath(new URL('./fake-powershell.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

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
        : spawn(process.execPath, ['--import', 'tsx', FAKE_POWERSHELL], {
            cwd: ROOT,
            stdio: 'pipe',
            env: { ...process.env, FAKE_PS_REPLAY: opts.replayDir, FAKE_PS_CONTROL: opts.controlFile ?? '' },
          });
      started.push({ exe, child });
      return child;
    },
  };
}
