/**
 * The built vawatch-agent.exe (Windows node.exe with the agent injected) run under Wine behaves as `npm run agent`
 * does on Linux: --version, --help, `snapshot --source replay` on every replay fixture set (the same JSON), the exit
 * code and message of a bad option, `configure` writing agent.json, and `run` enrolling with a collector and
 * delivering its first snapshot over HTTP.
 *
 * One Wine prefix for the file, in a temporary folder. Every command of the exe runs in one cmd.exe batch (a Wine
 * process start costs seconds), each with its output sent to a file: Wine's node.exe fails with EBADF on a pipe.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/agent-process.js';
import { startFakeCollector } from '../support/agent-fake-collector.js';
import { REPLAY_FIXTURES, replaySnapshot } from '../support/agent-replay.js';
import { buildNeeds, finishBuilds, missingTools, packagedAgent, REPO, tools } from '../support/packaging-build.js';

const skip = missingTools([...buildNeeds, 'wine64']);
const AT = '2026-11-29T10:00:00Z';
const SETS = readdirSync(REPLAY_FIXTURES, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

/** A Linux path as Wine's Z: drive (the whole file system) shows it. */
const winPath = (p: string) => `Z:${p.replace(/\//g, '\\')}`;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run agent -- …` on Linux (tsx, as the npm script runs it). */
function linuxAgent(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'agent', 'cli.ts'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const crlf = (s: string) => s.replace(/\r\n/g, '\n');

describe.skipIf(skip)(`vawatch-agent.exe under Wine${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const runs: Record<string, string[]> = {
    version: ['--version'],
    help: ['--help'],
    snapshotHelp: ['snapshot', '--help'],
    badSource: ['snapshot', '--source', 'registry'],
    ...Object.fromEntries(SETS.map((set) => [`snapshot-${set}`, ['snapshot', '--source', 'replay', '--path', winPath(join(REPLAY_FIXTURES, set)), '--at', AT, '--hresults', 'number']])),
  };
  const results: Record<string, Result> = {};
  const linux: Record<string, Result> = {};
  const expected: Record<string, unknown> = {};
  const LINUX_CLI_RUNS = ['version', 'help', 'snapshotHelp', 'badSource', `snapshot-${SETS[0]}`];
  let tmp = '';
  let configured = '';
  let exePath = '';
  let wineEnv: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'vawatch-wine-'));
    // No Mono or Gecko in the prefix: the agent needs neither, and their installers slow the prefix's creation.
    const env = { ...process.env, WINEPREFIX: join(tmp, 'prefix'), WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
    const log = openSync(join(tmp, 'wine.log'), 'w');
    const wineRun = (args: string[]) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(tools.wine64!, args, { env, stdio: ['ignore', log, log] });
        child.on('error', reject);
        child.on('close', (code) => resolve(code ?? -1));
      });
    // The new prefix is made while the exe builds (it is mostly waiting). It says Windows 7, which node.exe refuses;
    // Windows 10 is what the agent supports.
    const prefix = wineRun(['winecfg', '/v', 'win10']);
    const { exe } = await packagedAgent({ exeOnly: true });
    exePath = exe;
    wineEnv = env;
    const out = join(tmp, 'out');
    spawnSync('mkdir', ['-p', out]);
    configured = join(out, 'config', 'agent.json');
    const q = (s: string) => (s === '' || /[\s"]/.test(s) ? `"${s}"` : s);
    const line = (name: string, args: string[]) =>
      `${q(winPath(exe))} ${args.map(q).join(' ')} > ${q(winPath(join(out, `${name}.out`)))} 2> ${q(winPath(join(out, `${name}.err`)))}\r\necho %ERRORLEVEL% > ${q(winPath(join(out, `${name}.code`)))}\r\n`;
    const batch = [
      '@echo off\r\n',
      ...Object.entries(runs).map(([name, args]) => line(name, args)),
      line('configure', ['configure', '--file', winPath(configured), '--collector', 'https://vawatch.contoso.com', '--secret', 's3cret', '--group', 'hq', '--powershell', '']),
      // The batch's own status: each command's is in its .code file (cmd would pass on the last one's).
      'exit /b 0\r\n',
    ].join('');
    writeFileSync(join(tmp, 'run.cmd'), batch);
    try {
      expect(await prefix, readFileSync(join(tmp, 'wine.log'), 'utf8')).toBe(0);
      const wine = wineRun(['cmd', '/c', winPath(join(tmp, 'run.cmd'))]);
      // The Linux runs meanwhile (the batch is one process after another). One snapshot through the Linux CLI; the
      // others computed in-process, as test/agent/cli.test.ts shows the CLI prints.
      for (const name of LINUX_CLI_RUNS) {
        linux[name] = await linuxAgent(runs[name]!.map((a) => (a.startsWith('Z:') ? a.slice(2).replace(/\\/g, '/') : a)));
      }
      for (const set of SETS) expected[set] = JSON.parse(JSON.stringify(await replaySnapshot(set, AT))) as unknown;
      expect(await wine, readFileSync(join(tmp, 'wine.log'), 'utf8')).toBe(0);
    } finally {
      closeSync(log);
    }
    for (const name of [...Object.keys(runs), 'configure']) {
      const read = (ext: string) => readFileSync(join(out, `${name}.${ext}`), 'utf8');
      results[name] = { code: Number(read('code').trim()), stdout: crlf(read('out')), stderr: crlf(read('err')) };
    }
  }, 600_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
    await finishBuilds();
  }, 300_000);

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(results.version).toEqual({ code: 0, stdout: `vawatch-agent ${pkg.version}\n`, stderr: '' });
    expect(linux.version!.stdout).toBe(results.version!.stdout);
  });

  it('--help and snapshot --help print what the Linux agent prints', () => {
    for (const name of ['help', 'snapshotHelp']) {
      expect(results[name]!.code, results[name]!.stderr).toBe(0);
      expect(results[name]!.stdout).toBe(linux[name]!.stdout);
    }
    expect(results.help!.stdout).toContain('configure');
    expect(results.snapshotHelp!.stdout).toContain('--source');
  });

  it('a bad option stops it with the same one-line reason and exit code 2', () => {
    expect(linux.badSource!.code).toBe(2);
    expect(results.badSource).toEqual({ code: 2, stdout: '', stderr: linux.badSource!.stderr });
  });

  it.each(SETS)('snapshot --source replay on %s gives the same JSON as on Linux', (set) => {
    const win = results[`snapshot-${set}`]!;
    expect(win.code, win.stderr).toBe(0);
    const parsed = JSON.parse(win.stdout) as { snapshot: { products: unknown[] }; events: unknown[] };
    expect(parsed).toEqual(expected[set]);
    expect(parsed.snapshot.products.length).toBeGreaterThan(0);
    const cli = linux[`snapshot-${set}`];
    if (cli) {
      expect(cli.code, cli.stderr).toBe(0);
      expect(parsed).toEqual(JSON.parse(cli.stdout));
    }
  });

  it('configure writes agent.json from its flags (an empty one is not a value)', () => {
    expect(results.configure!.code, results.configure!.stderr).toBe(0);
    expect(JSON.parse(readFileSync(configured, 'utf8'))).toEqual({ collector: 'https://vawatch.contoso.com', enrolmentSecret: 's3cret', group: 'hq' });
  });

  it('run enrols with the collector and delivers the snapshot it reads', async () => {
    const collector = await startFakeCollector({ secret: 'wine-secret' });
    const state = join(tmp, 'state');
    const out = openSync(join(tmp, 'run.out'), 'w');
    const set = 'mak-machine';
    const child = spawn(
      tools.wine64!,
      [exePath, 'run', '--source', 'replay', '--path', winPath(join(REPLAY_FIXTURES, set)), '--collector', collector.url, '--secret', 'wine-secret', '--state', winPath(state), '--group', 'wine'],
      { env: wineEnv, stdio: ['ignore', out, out] },
    );
    try {
      await waitFor(() => collector.stored.some((r) => r.report.snapshot), 90_000, `a snapshot from the agent under Wine (its output: ${join(tmp, 'run.out')})`);
    } finally {
      child.kill('SIGKILL');
      closeSync(out);
      await collector.close();
    }
    expect(collector.enrolments).toHaveLength(1);
    expect(collector.enrolments[0]).toMatchObject({ secret: 'wine-secret', machineId: 'replay-lt-007', hostname: 'LT-007' });
    const { snapshot } = collector.stored.find((r) => r.report.snapshot)!.report;
    const linuxSnapshot = (expected[set] as { snapshot: typeof snapshot }).snapshot!;
    // The same machine as `snapshot` prints, collected now instead of at AT.
    const drop = (s: typeof snapshot) => ({ ...s, collectedAt: undefined, products: s!.products.map((p) => ({ ...p, graceExpiresAt: undefined })) });
    expect(drop(snapshot)).toEqual(drop({ ...linuxSnapshot, group: 'wine' }));
    expect(readFileSync(join(tmp, 'run.out'), 'utf8')).toMatch(/agent starting: source replay, state Z:\\/);
    expect(JSON.parse(readFileSync(join(state, 'credentials.json'), 'utf8'))).toMatchObject({ machineId: 'replay-lt-007' });
  }, 180_000);
});
