/** The simulator's command line: one real child process, the rest in-process. */
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../agent/sim/index.js';
import { runSimCommand } from '../../agent/sim/sim-command.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface DayLine {
  day: number;
  licenseStatus: Record<string, number>;
  officeLicenseStatus: Record<string, number>;
  kmsHosts: Record<string, number>;
  officeKmsHosts: Record<string, number>;
  events: number;
}

function run(args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runSimCommand(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

describe('sim command line', () => {
  it('as a process: branch-below-threshold for 60 days shows no Licensed client on any day (only the host)', async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'agent/sim/cli.ts', '--scenario', 'branch-below-threshold', '--days', '60', '--json'],
      { cwd: root },
    );
    expect(stderr).toBe('');
    const days = stdout.trim().split('\n').map((l) => JSON.parse(l) as DayLine);
    expect(days.map((d) => d.day)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    for (const d of days) {
      expect(Object.keys(d)).toEqual(['day', 'licenseStatus', 'officeLicenseStatus', 'kmsHosts', 'officeKmsHosts', 'events']);
      expect(d.officeKmsHosts).toEqual({});
      expect(Object.keys(d.licenseStatus)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
      expect(d.licenseStatus['1']).toBe(1);
      expect(Object.values(d.licenseStatus).reduce((a, b) => a + b, 0)).toBe(21);
      expect(d.kmsHosts).toEqual({ 'kms-branch.branch.contoso.com': 20 });
      expect(d.events).toBeGreaterThan(0);
    }
    expect(days[59]!.licenseStatus['5']).toBe(20);
  });

  it('enterprise --json: Windows and Office counts per host, separately, each within its own cap', () => {
    const { code, out } = run(['--scenario', 'enterprise', '--days', '30', '--json']);
    expect(code).toBe(0);
    const days = out.map((l) => JSON.parse(l) as DayLine);
    expect(days).toHaveLength(30);
    for (const d of days.slice(2)) {
      // Windows: two datacenter hosts above 50 clients each (capped at 50), the agentless branch host with its 30.
      expect(d.kmsHosts).toEqual({ 'kms01.contoso.com': 50, 'kms02.contoso.com': 50, 'kms-br01.branch.contoso.com': 30 });
      // Office: its own count per host, capped at twice its threshold of 5; the EMEA Office-only host stays at 4.
      expect(d.officeKmsHosts).toEqual({ 'kms01.contoso.com': 10, 'kms02.contoso.com': 10, 'kms-office.eu.contoso.com': 4 });
      const machines = Object.values(d.licenseStatus).reduce((a, b) => a + b, 0);
      // The 3 planted KMS clients that cannot activate and the MAK laptop out of tolerance.
      expect(d.licenseStatus['1']).toBe(machines - 4);
      // Office: the 4 EMEA clients below the threshold and the skewed clock's Office.
      const offices = Object.values(d.officeLicenseStatus).reduce((a, b) => a + b, 0);
      expect(d.officeLicenseStatus['1']).toBe(offices - 5);
    }
    expect(days[29]!.officeLicenseStatus['5']).toBe(5);
  });

  it('office-threshold --json: the Office-only host with 4 clients never activates them, the one with 5 does', () => {
    const { code, out } = run(['--scenario', 'office-threshold', '--days', '40', '--json']);
    expect(code).toBe(0);
    const days = out.map((l) => JSON.parse(l) as DayLine);
    for (const d of days) {
      expect(d.officeKmsHosts).toEqual({ 'kms-office.site-a.contoso.com': 4, 'kms-office.site-b.contoso.com': 5 });
      expect(d.kmsHosts).toEqual({});
      expect(d.officeLicenseStatus['1']).toBe(5);
    }
    // Office's 30-day initial grace runs out at the end of day 29.
    expect(days[28]!.officeLicenseStatus['2']).toBe(4);
    expect(days[29]!.officeLicenseStatus['5']).toBe(4);
    expect(days[39]!.officeLicenseStatus['5']).toBe(4);
  });

  it('vista-era --json: every KMS client Licensed by day 2 apart from the planted problems; no host above 50', () => {
    const { code, out } = run(['--scenario', 'vista-era', '--days', '30', '--json']);
    expect(code).toBe(0);
    const days = out.map((l) => JSON.parse(l) as DayLine);
    expect(days).toHaveLength(30);
    // 328 machines: 2 hosts + 300 clients + 20 servers + 5 MAK laptops + 1 lab client; 4 planted problems,
    // of which 3 are KMS clients that cannot activate and 1 a MAK laptop that drops to OOT grace on day 1
    for (const d of days.slice(2)) {
      expect(d.licenseStatus['1']).toBe(328 - 4);
      for (const c of Object.values(d.kmsHosts)) expect(c).toBeLessThanOrEqual(50);
    }
    expect(days[2]!.licenseStatus['3']).toBe(1);
    expect(days[29]!.licenseStatus['5']).toBe(3);
    expect(Object.keys(days[0]!.kmsHosts)).toEqual(['kms01.contoso.com', 'kms02.contoso.com']);
  });

  it('without --json prints what the scenario is, then a readable daily table', () => {
    const { code, out } = run(['--scenario', 'golden-image', '--days', '3']);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^scenario golden-image: 40 clones/);
    expect(out[2]).toMatch(/^day\s+date\s+Unlic\s+Licensed\s+OOB\s+OOT\s+NonGen\s+Notif\s+ExtGr\s+kms01\.contoso\.com\s+events$/);
    expect(out.slice(3)).toHaveLength(3);
    expect(out[3]).toMatch(/^\s+0\s+2026-01-05\s+0\s+1\s+40\s+0\s+0\s+0\s+0\s+1\s+\d+$/);
  });

  it('--help explains every option and lists every scenario', () => {
    const { code, out } = run(['--help']);
    expect(code).toBe(0);
    const text = out.join('\n');
    for (const opt of ['--scenario', '--days', '--json', '--seed', '--scale', '--help']) expect(text).toContain(opt);
    for (const s of SCENARIOS) expect(text).toContain(s.name);
    expect(text).toMatch(/default: enterprise/);
  });

  it.each([
    { args: ['--scenario', 'nope'], reason: /--scenario must be one of enterprise, .*got "nope"/ },
    { args: ['--days', '0'], reason: /--days must be an integer 1\.\.3650, got "0"/ },
    { args: ['--days', '2.5'], reason: /--days must be an integer/ },
    { args: ['--days'], reason: /--days needs a value/ },
    { args: ['--seed', '-1'], reason: /--seed must be an integer 0..4294967295, got "-1"/ },
    { args: ['--frobnicate'], reason: /unknown option "--frobnicate"/ },
  ])('bad option $args → one line, exit 2', ({ args, reason }) => {
    const { code, out, err } = run(args);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(reason);
  });

  it('--scenario=NAME and --days=N forms work; the same seed prints the same days', () => {
    const a = run(['--scenario=retirement-wave', '--days=8', '--json', '--seed=5']);
    const b = run(['--scenario', 'retirement-wave', '--days', '8', '--json', '--seed', '5']);
    expect(a.code).toBe(0);
    expect(a.out).toEqual(b.out);
    expect(a.out).toHaveLength(8);
  });
});
