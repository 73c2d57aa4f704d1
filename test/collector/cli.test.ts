import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { OPTIONS } from '../../dashboard/server/cli-config.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dashboard', 'server', 'cli.ts');

function collector(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run collector (command line)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vawatch-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('documents every option with its environment variable and default', () => {
    const r = collector(['--help']);
    expect(r.code).toBe(0);
    for (const o of OPTIONS) {
      expect(r.stdout).toContain(o.flag);
      expect(r.stdout).toContain(o.env);
      expect(r.stdout).toContain(`default: ${o.default}`);
    }
  });

  it('stops on a bad value with one line naming where it came from', () => {
    const r = collector(['--retention-days', '0'], { PORT: '99999' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^collector: (PORT|--retention-days): /);
  });

  it('refuses a heartbeat under 10 s in one line naming the flag', () => {
    const r = collector(['--heartbeat-seconds', '5', '--port', '0', '--data', join(dir, 'heartbeat-data')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('collector: --heartbeat-seconds: expected a whole number of seconds ≥ 10');
  });

  it('refuses an alert settings file with a bad threshold in one line naming the file', () => {
    const file = join(dir, 'alerts.json');
    writeFileSync(file, JSON.stringify({ rules: [{ rule: 'GraceExpiring', warningDays: -3 }] }));
    const r = collector(['--alerts-config', file, '--port', '0', '--data', join(dir, 'alerts-data')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('alerts.json');
    expect(r.stderr).toContain('warningDays');
  });

  it('adds a user, then takes a consistent backup holding it', () => {
    const data = join(dir, 'data');
    const add = collector(['user', 'add', 'alice', '--role', 'operator', '--password', 'alice-password', '--data', data]);
    expect(add.stdout.trim()).toBe('user alice added as operator');
    const file = join(dir, 'backup.db');
    const backup = collector(['backup', file, '--data', data]);
    expect(backup.code).toBe(0);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT username, role FROM users').all()).toEqual([{ username: 'alice', role: 'operator' }]);
    } finally {
      db.close();
    }
  });
});
