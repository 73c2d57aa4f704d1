/**
 * The persistent PowerShell (agent/sources/powershell-session.ts) against a fake PowerShell process that speaks the
 * same stdin / framed-stdout contract and can be told to hang, die, print garbage or interleave junk.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PersistentPowerShell, hostScript, requestLine } from '../../agent/sources/powershell-session.js';
import { eventsCommand, machineIdCommand, newestRecordCommand, osCommand, productsCommand, serviceCommand } from '../../agent/sources/powershell-commands.js';
import { answerCommand } from '../support/fake-powershell-answers.js';
import { childExit, fakePowerShellSpawn } from '../support/fake-powershell-spawn.js';
import { tempDir } from '../support/agent-temp-dir.js';

const KMS_HOST = fileURLToPath(new URL('../fixtures/replay/kms-host-counters', import.meta.url));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function session(opts: { control?: object; missing?: string[]; powershell?: string; commandTimeoutMs?: number; maxCommands?: number; maxWorkingSetMb?: number; replayDir?: string } = {}) {
  const tmp = await tempDir('vawatch-ps-');
  cleanups.push(tmp.remove);
  const controlFile = join(tmp.dir, 'control.json');
  const setControl = (c: object) => writeFile(controlFile, JSON.stringify(c));
  await setControl(opts.control ?? {});
  const fake = fakePowerShellSpawn({ replayDir: opts.replayDir ?? KMS_HOST, controlFile, missing: opts.missing });
  const logs: string[] = [];
  const ps = new PersistentPowerShell({
    powershell: opts.powershell,
    spawn: fake.spawn,
    commandTimeoutMs: opts.commandTimeoutMs ?? 20_000,
    maxCommands: opts.maxCommands,
    maxWorkingSetMb: opts.maxWorkingSetMb,
    log: (l) => logs.push(l),
  });
  cleanups.push(async () => {
    await ps.close();
    for (const s of fake.started) s.child.kill('SIGKILL');
  });
  return { ps, fake, setControl, logs };
}

/** Polls `check` (real time, 30 s at most): for what another process does, never for a clock. */
async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const COMMANDS = [
  productsCommand(),
  serviceCommand(),
  osCommand(),
  eventsCommand('Application', 0),
  eventsCommand('Key Management Service', 0),
  eventsCommand('Key Management Service', 999_999),
  newestRecordCommand('Application'),
  machineIdCommand(),
];

describe('persistent PowerShell', () => {
  it('frames every request on one line and the host script on one line', () => {
    expect(hostScript()).not.toMatch(/\n/);
    expect(hostScript()).toContain("[Console]::Out.WriteLine('@@vawatch-ready')");
    expect(hostScript()).toContain('[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false');
    const line = requestLine('abc', "Get-WinEvent -LogName 'Kéy'\r\nsecond line");
    expect(line).toMatch(/^abc [A-Za-z0-9+/=]+\n$/);
    expect(Buffer.from(line.split(' ')[1]!, 'base64').toString('utf8')).toBe("Get-WinEvent -LogName 'Kéy'\r\nsecond line");
  });

  it('runs many commands through one process; answers never mix, even with junk, prompts and foreign frames around them', async () => {
    const { ps, fake } = await session({ control: { junk: true } });
    const commands = Array.from({ length: 40 }, (_, i) => COMMANDS[(i * 5) % COMMANDS.length]!);
    const results = await Promise.all(commands.map((c) => ps.run(c)));
    for (const [i, c] of commands.entries()) {
      const expected = await answerCommand(c, KMS_HOST);
      expect(results[i], c.slice(0, 60)).toEqual({ ok: expected.ok, stdout: expected.stdout, stderr: expected.stderr });
    }
    expect(fake.started).toHaveLength(1);
    expect(ps.stats).toMatchObject({ starts: 1, commands: 40, timeouts: 0, died: 0, executable: 'powershell.exe' });
    expect(ps.stats.junkLines).toBeGreaterThan(40);
  }, 60_000);

  it('kills a command that hangs, says so, and answers the next command from a new process', async () => {
    const { ps, fake, setControl, logs } = await session({ control: { hang: 'SoftwareLicensingService' }, commandTimeoutMs: 1_500 });
    expect((await ps.run(osCommand())).ok).toBe(true);
    const hung = await ps.run(serviceCommand());
    expect(hung.ok).toBe(false);
    expect(hung.stderr).toMatch(/did not answer within 2 s; it was stopped/);
    expect(logs.join('\n')).toMatch(/did not answer/);
    // The hung process was killed: it ends (awaited, not assumed after a fixed sleep).
    expect((await childExit(fake.started[0]!.child)).signal).toBe('SIGKILL');
    await setControl({});
    const next = await ps.run(serviceCommand());
    expect(next).toEqual({ ...(await answerCommand(serviceCommand(), KMS_HOST)) });
    expect(ps.stats).toMatchObject({ starts: 2, timeouts: 1 });
  }, 60_000);

  it('stops within a few seconds even while a command hangs', async () => {
    const { ps, fake } = await session({ control: { hang: 'SoftwareLicensingService' }, commandTimeoutMs: 60_000 });
    expect((await ps.run(osCommand())).ok).toBe(true);
    const hung = ps.run(serviceCommand());
    // Closed once the command is on its way to the process (counted as it is written), not after a guessed sleep.
    await waitUntil(() => ps.stats.commands === 2);
    const t0 = Date.now();
    await ps.close();
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect((await hung).ok).toBe(false);
    expect(fake.started[0]!.child.signalCode).toBe('SIGKILL');
    expect(await ps.run(osCommand())).toMatchObject({ ok: false, stderr: 'the PowerShell session is closed' });
    expect(fake.started).toHaveLength(1);
  }, 60_000);

  it('runs a command again on a new process when the process dies under it, once', async () => {
    const { ps, setControl } = await session({ control: { die: 'Win32_OperatingSystem' } });
    const r = await ps.run(osCommand());
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/^PowerShell ended \(exit code 3\)/);
    expect(ps.stats).toMatchObject({ starts: 2, died: 2 });
    // Dies once only (a process killed from outside): the second process answers.
    await setControl({ exitAfter: 1 });
    expect((await ps.run(productsCommand())).ok).toBe(true);
    expect((await ps.run(serviceCommand())).ok).toBe(true);
    expect(ps.stats.starts).toBe(4);
  }, 60_000);

  it('does not take a frame that does not check out: the command fails, the next one runs on a new process', async () => {
    const { ps, setControl } = await session({ control: { garbage: 'SoftwareLicensingProduct' } });
    const r = await ps.run(productsCommand());
    expect(r).toMatchObject({ ok: false, stdout: '' });
    expect(r.stderr).toMatch(/frame that does not check out \(\d+ bytes where it announced \d+\)/);
    await setControl({});
    expect((await ps.run(productsCommand())).stdout).toBe((await answerCommand(productsCommand(), KMS_HOST)).stdout);
  }, 60_000);

  it('replaces the process after maxCommands commands, and when its working set passes maxWorkingSetMb', async () => {
    const a = await session({ maxCommands: 3 });
    for (let i = 0; i < 7; i++) expect(await a.ps.run(COMMANDS[i]!)).toEqual(await answerCommand(COMMANDS[i]!, KMS_HOST));
    expect(a.ps.stats).toMatchObject({ starts: 3, recycled: 2, commands: 7 });
    const b = await session({ control: { workingSetMb: 120 }, maxWorkingSetMb: 100 });
    await b.ps.run(osCommand());
    await b.ps.run(osCommand());
    expect(b.ps.stats).toMatchObject({ starts: 2, recycled: 2, lastWorkingSet: 120 * 1048576 });
    expect(b.logs[0]).toBe('PowerShell replaced after working set 120 MB');
  }, 60_000);

  it('auto: takes Windows PowerShell 5.1, else PowerShell 7; names both when neither starts', async () => {
    const a = await session({ missing: ['powershell.exe'] });
    expect((await a.ps.run(osCommand())).ok).toBe(true);
    expect(a.ps.stats).toMatchObject({ starts: 2, executable: 'pwsh.exe' });
    expect(a.fake.started.map((s) => s.exe)).toEqual(['powershell.exe', 'pwsh.exe']);
    const b = await session({ missing: ['powershell.exe', 'pwsh.exe'] });
    const r = await b.ps.run(osCommand());
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/^PowerShell could not be started \(powershell\.exe: PowerShell ended \(ENOENT\); pwsh\.exe: PowerShell ended \(ENOENT\)\)$/);
    const c = await session({ powershell: 'pwsh' });
    await c.ps.run(osCommand());
    expect(c.fake.started.map((s) => s.exe)).toEqual(['pwsh']);
  }, 60_000);

  it('carries the first read of a KMS host, 10,000 events (one body line of about 5 MB), intact', async () => {
    const tmp = await tempDir('vawatch-ps-big-');
    cleanups.push(tmp.remove);
    await cp(KMS_HOST, tmp.dir, { recursive: true });
    const [one] = JSON.parse(await readFile(join(KMS_HOST, 'events', 'kms.json'), 'utf8')) as Array<Record<string, unknown>>;
    const many = Array.from({ length: 10_000 }, (_, i) => ({ ...one, RecordId: 100_000 + i }));
    await writeFile(join(tmp.dir, 'events', 'kms-many.json'), JSON.stringify(many));
    const { ps } = await session({ replayDir: tmp.dir });
    const t0 = performance.now();
    const r = await ps.run(eventsCommand('Key Management Service', 99_999));
    const ms = performance.now() - t0;
    expect(r.ok).toBe(true);
    expect(r.stdout.length).toBeGreaterThan(4_000_000);
    const ids = (JSON.parse(r.stdout) as Array<{ RecordId: number }>).map((e) => e.RecordId);
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids).size).toBe(10_000);
    expect(ms).toBeLessThan(30_000);
  }, 60_000);
});
