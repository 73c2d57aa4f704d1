/**
 * The agent's command line as an admin meets it: real processes, real files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { OPTIONS, loadConfig } from '../../agent/config.js';
import { fixturePath, replaySnapshot } from '../support/agent-replay.js';
import { runAgentCli } from '../support/agent-process.js';
import { tempDir } from '../support/agent-temp-dir.js';


const config = (argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}) =>
  loadConfig({
    command: 'run',
    argv,
    env,
    readFile: (p) => {
      if (!(p in files)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return files[p]!;
    },
  });

describe('agent configuration', () => {
  it('takes flags over environment over file over defaults', () => {
    const c = config(['--collector', 'http://flag:1', '--config', 'a.json'], { VAWATCH_COLLECTOR: 'http://env:1', VAWATCH_GROUP: 'env-group' }, {
      'a.json': JSON.stringify({ group: 'file-group', heartbeatSeconds: 30, collector: 'http://file:1' }),
    });
    expect(c).toMatchObject({ collector: 'http://flag:1', group: 'env-group', heartbeatSeconds: 30, licensingSchedule: '*/15 * * * *', eventsSchedule: '* * * * *', source: 'cim' });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each<[string[], Record<string, string>, RegExp]>([
    [['--collector', 'http://c', '--speed', 'fast'], {}, /^--speed: expected a positive number$/],
    [['--collector', 'http://c', '--events-schedule', 'every minute'], {}, /^--events-schedule: expected a cron expression like "\*\/15 \* \* \* \*", got "every minute"$/],
    [['--collector', 'http://c'], { VAWATCH_SOURCE: 'wmi' }, /^VAWATCH_SOURCE: expected cim, replay or sim, got "wmi"$/],
    [['--collector', 'nope'], {}, /^--collector: expected an http\(s\) URL, got "nope"$/],
    [['--source', 'replay', '--collector', 'http://c'], {}, /^--source replay needs --path DIR$/],
    [[], {}, /^run needs --collector URL/],
    [['--collector', 'http://c', '--colector', 'x'], {}, /^unknown option --colector for "run"/],
    [['--collector', 'http://c', '--config', 'missing.json'], {}, /^--config missing.json: cannot read it \(ENOENT\)$/],
  ])('%j %j is refused with one line', (argv, env, message) => {
    expect(() => config(argv, env)).toThrow(message);
  });

  it('refuses an unknown key in the file, naming it', () => {
    expect(() => config(['--config', 'a.json'], {}, { 'a.json': '{"colector":"x"}' })).toThrow(/^--config a.json: unknown option "colector"/);
  });
});

// Each case starts a real process (a few seconds under tsx on a busy machine): run them side by side.
describe.concurrent('agent command line', { timeout: 90_000 }, () => {
  it('--help documents every option of a command with its default', async () => {
    const { code, output } = await runAgentCli(['run', '--help']);
    expect(code).toBe(0);
    for (const o of Object.values(OPTIONS)) {
      if (!(o.commands as readonly string[]).includes('run')) continue;
      expect(output).toContain(`${o.flag} VALUE, ${o.env}`);
    }
    expect(output).toContain('default: "*/15 * * * *"');
    expect(output).toContain('default: 60');
  });

  it('snapshot --hresults number prints exactly what the agent would report, without contacting anyone', async () => {
    const set = 'kms-host-counters';
    const { code, output } = await runAgentCli(['snapshot', '--source', 'replay', '--path', fixturePath(set), '--at', '2026-11-29T10:00:00Z', '--hresults', 'number']);
    expect(code).toBe(0);
    expect(JSON.parse(output)).toEqual(await replaySnapshot(set, '2026-11-29T10:00:00Z'));
  });

  it('snapshot prints HRESULTs as Windows does (0xC004F00F), everything else as the agent would report it', async () => {
    const set = 'server2019-notification';
    const { code, output } = await runAgentCli(['snapshot', '--source', 'replay', '--path', fixturePath(set), '--at', '2026-11-29T10:00:00Z']);
    expect(code).toBe(0);
    expect(output).not.toMatch(/"(hresult|licenseStatusReason)": \d/);
    const shown = JSON.parse(output);
    const wire = await replaySnapshot(set, '2026-11-29T10:00:00Z');
    expect(shown.snapshot.products[0].licenseStatusReason).toBe('0xC004F00F');
    expect(wire.snapshot.products[0]!.licenseStatusReason).toBe(0xc004f00f);
    expect(shown.events.map((e: any) => e.payload.hresult).filter(Boolean)).toContain('0xC004F074');
    const asNumbers = JSON.parse(output, (key, v) => (['hresult', 'licenseStatusReason'].includes(key) && typeof v === 'string' ? Number.parseInt(v.slice(2), 16) : v));
    expect(asNumbers).toEqual(wire);
  });

  it('snapshot --source sim shows a simulated machine at a simulated instant, in the same shapes', async () => {
    const { code, output } = await runAgentCli([
      'snapshot', '--source', 'sim', '--scenario', 'branch-below-threshold', '--machine', 'br-ws-01',
      '--sim-start', '2026-01-05T00:00:00Z', '--at', '2026-01-06T00:00:00Z',
    ]);
    expect(code).toBe(0);
    const { snapshot, events } = JSON.parse(output);
    expect(snapshot).toMatchObject({ hostname: 'br-ws-01.branch.contoso.com', group: 'branch', os: { kind: 'client' }, collectedAt: '2026-01-06T00:00:00.000Z' });
    // 20 clients against a count of 20 < 25: still in initial grace, retrying every 2 hours.
    expect(snapshot.products[0]).toMatchObject({ primary: true, channel: 'kms-client', licenseStatus: 2 });
    expect(events.filter((e: { id: number }) => e.id === 12289).length).toBeGreaterThanOrEqual(10);
  });

  it('a bad value stops it with one line and exit code 2', async () => {
    const { code, output } = await runAgentCli(['snapshot', '--source', 'replay', '--path', fixturePath('mak-machine'), '--at', 'yesterday']);
    expect(code).toBe(2);
    expect(output).toBe('agent: --at: expected an ISO instant like 2026-01-05T00:00:00Z, got "yesterday"\n');
  });

  it.each([
    ['a folder it cannot read', async (d: string) => join(d, 'nothing-here'), /^agent: .*nothing-here[/\\]SoftwareLicensingProduct\.json: cannot read it \(ENOENT\)\n$/],
    [
      'a file that is not what PowerShell prints (slmgr text)',
      async (d: string) => {
        await writeFile(join(d, 'SoftwareLicensingProduct.json'), 'Name: Windows(R), Enterprise edition\r\nLicense Status: Licensed\r\n');
        return d;
      },
      /^agent: .*[/\\]SoftwareLicensingProduct\.json: not JSON as ConvertTo-Json prints it .*\n$/,
    ],
    [
      'an event file missing a property',
      async (d: string) => {
        for (const f of ['SoftwareLicensingProduct.json', 'SoftwareLicensingService.json', 'Win32_OperatingSystem.json']) {
          await writeFile(join(d, f), await (await import('node:fs/promises')).readFile(join(fixturePath('mak-machine'), f)));
        }
        await mkdir(join(d, 'events'));
        await writeFile(join(d, 'events', 'app.json'), '[{"Id":12288,"LogName":"Application","ProviderName":"x","TimeCreated":"2026-11-29T00:00:00Z","Properties":[]}]');
        return d;
      },
      /^agent: .*[/\\]events[/\\]app\.json: RecordId: .*expected number.*\n$/,
    ],
  ])('%s is a one-line error naming the file', async (_what, prepare, message) => {
    // Registered before the first await: after one, vitest may no longer know which test is running.
    let remove: (() => Promise<void>) | undefined;
    onTestFinished(async () => {
      await remove?.();
    });
    const d = await tempDir();
    remove = d.remove;
    const { code, output } = await runAgentCli(['snapshot', '--source', 'replay', '--path', await prepare(d.dir)]);
    expect(code).toBe(1);
    expect(output).toMatch(message);
  });
});

describe('fleet command line', { timeout: 90_000 }, () => {
  it('--help documents every option; a bad value stops it with one line and exit code 2', async () => {
    const { spawn } = await import('node:child_process');
    const { REPO_ROOT } = await import('../support/agent-process.js');
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', 'agent/fleet/cli.ts', ...args], { cwd: REPO_ROOT });
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (out += d.toString()));
        p.on('exit', (code) => resolve({ code, out }));
      });
    const [help, bad, unknown] = await Promise.all([
      run(['--help']),
      run(['--secret', 's', '--speed', '0']),
      run(['--secret', 's', '--scenario', 'nowhere']),
    ]);
    expect(help.code).toBe(0);
    for (const flag of ['--scenario', '--collector', '--secret', '--state', '--speed', '--history-days', '--seed', '--scale', '--poll-hours', '--heartbeat-seconds']) {
      expect(help.out).toContain(flag);
    }
    expect(bad).toEqual({ code: 2, out: 'fleet: --speed: expected a positive number\n' });
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(/^fleet: --scenario: expected one of enterprise, .*, got "nowhere"\n$/);
  });
});
