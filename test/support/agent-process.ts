/**
 * The agent as a real child process: `node --import tsx agent/cli.ts …` (one process, so SIGKILL really kills the
 * agent; the tsx launcher would leave its child running).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface AgentProcess {
  proc: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export function spawnAgent(args: string[], env: Record<string, string> = {}): AgentProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'agent/cli.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    output: () => out,
    exited,
    kill: async (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

/** Runs the agent CLI to completion and returns its exit code and output. */
export async function runAgentCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const p = spawnAgent(args, env);
  const { code } = await p.exited;
  return { code, output: p.output() };
}

/** Polls `check` until it is true or `timeoutMs` passes (real time: these tests wait on real processes). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
