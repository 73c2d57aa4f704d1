import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCollector, COLLECTOR_NODE_FLAGS } from '../../dashboard/server/build.js';

describe('the compiled collector (npm run collector)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vawatch-build-'));
  // Inside the repository, as dist/collector is: the bundle finds the npm packages in its parents' node_modules.
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', `collector-test-${process.pid}`);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('runs from its bundle with plain node: help, then a user command on a data folder', async () => {
    const { file } = await buildCollector(out);
    const run = (args: string[]) => spawnSync(process.execPath, [...COLLECTOR_NODE_FLAGS, file, ...args], { encoding: 'utf8', timeout: 30_000 });
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: npm run collector');
    const add = run(['user', 'add', 'alice', '--password', 'alice-password', '--data', join(dir, 'data')]);
    expect(add.stdout.trim()).toBe('user alice added as viewer');
    const bad = run(['--port', '99999']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('collector: --port: expected a port number 0..65535');
  });
});
