// `npm run collector -- api-key create|list|revoke` against the data folder of a running collector: the key it prints
// works over HTTP at once, revoking it refuses it at once, and both commands land in the audit log.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, startCollector, type Harness } from '../support/collector-harness.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dashboard', 'server', 'cli.ts');

function collector(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run collector -- api-key (command line, beside a running collector)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startCollector();
  });
  afterAll(async () => {
    await h.close();
  });

  it('explains itself with --help', () => {
    const r = collector(['api-key', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('api-key create NAME [--role viewer|operator]');
    expect(r.stdout).toContain('Authorization: Bearer');
    expect(collector(['--help']).stdout).toContain('api-key revoke ID|NAME');
  });

  it('creates a key that works at once, lists it without the key, revokes it, and audits both', async () => {
    const created = collector(['api-key', 'create', 'nightly-report', '--role', 'operator', '--expires', '2030-01-01T00:00:00Z', '--data', h.dataDir]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const key = /^(vw_[0-9a-f]{12}_\S{43})$/m.exec(created.stdout)?.[1];
    expect(key, created.stdout).toBeDefined();
    const get = () => fetch(`${h.url}/api/v1/session`, { headers: { authorization: `Bearer ${key}` } });
    expect(await (await get()).json()).toEqual({ username: 'api-key:nightly-report', role: 'operator' });

    const list = collector(['api-key', 'list', '--data', h.dataDir]);
    expect(list.stdout).toMatch(/^[0-9a-f]{12}\tnightly-report\toperator\texpires 2030-01-01T00:00:00.000Z\tlast used /m);
    expect(list.stdout).not.toContain(key!.slice(16));

    const revoked = collector(['api-key', 'revoke', 'nightly-report', '--data', h.dataDir]);
    expect(revoked.stdout).toMatch(/^API key nightly-report \([0-9a-f]{12}\) revoked$/m);
    expect((await get()).status).toBe(401);

    const admin = await signIn(h);
    const audit = await (await fetch(`${h.url}/api/v1/audit`, { headers: { cookie: admin } })).json();
    const cli = audit.items.filter((e: { actor: string }) => e.actor.startsWith('cli:'));
    expect(cli.map((e: { action: string; address: string }) => [e.action, e.address])).toEqual([
      ['api-key.revoke', 'local'],
      ['api-key.create', 'local'],
    ]);
  });

  it('refuses bad input in one line', () => {
    expect(collector(['api-key', 'create', 'x', '--role', 'admin', '--data', h.dataDir]).stderr.trim()).toBe('collector: --role: expected viewer or operator (a key is never an admin)');
    expect(collector(['api-key', 'create', 'x', '--expires', 'soon', '--data', h.dataDir]).stderr.trim()).toMatch(/^collector: --expires: expected an ISO time/);
    expect(collector(['api-key', 'revoke', 'nope', '--data', h.dataDir]).stderr.trim()).toBe('collector: API key nope does not exist');
  });
});
