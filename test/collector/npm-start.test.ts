import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Started {
  child: ChildProcess;
  dashboard: string;
  user: string;
  password: string;
  /** Everything it printed on stderr so far (progress and log lines). */
  stderr(): string;
}

/** `npm start` as a new user runs it, on a free port and a fresh data folder; resolves on the two lines. */
function npmStart(dataDir: string): Promise<Started> {
  const child = spawn('npm', ['start', '--', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, VAWATCH_DATA: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so the whole tree can be stopped
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`npm start printed no address in 60 s:\n${out}\n${err}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const dash = /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out);
      const login = /^login: (\S+) \/ (\S+)$/m.exec(out);
      if (dash && login) {
        clearTimeout(timer);
        resolve({ child, dashboard: dash[1]!, user: login[1]!, password: login[2]!, stderr: () => err });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${out}\n${err}`)));
  });
}

/** Stops the whole process group (npm, tsx, node) and waits until every member is gone. */
async function stop(s: Started | undefined): Promise<void> {
  if (!s) return;
  const pgid = -s.child.pid!;
  const alive = () => {
    try {
      process.kill(pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(pgid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(pgid, 'SIGKILL');
  while (alive()) await new Promise((r) => setTimeout(r, 50));
}

async function signIn(s: Started): Promise<string> {
  const res = await fetch(`${s.dashboard}api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: s.user, password: s.password }),
  });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

describe('npm start, as a new user runs it', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vawatch-start-'));
  let running: Started | undefined;
  afterAll(async () => {
    await stop(running);
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('answers at the printed address, accepts the printed login, fills the machine list within a minute, and prints the same login after a restart', async () => {
    running = await npmStart(dataDir);
    const page = await fetch(running.dashboard);
    expect(page.status).toBe(200);
    const cookie = await signIn(running);

    const started = Date.now();
    let total = 0;
    while (Date.now() - started < 60_000) {
      const r = await fetch(`${running.dashboard}api/v1/machines?limit=1`, { headers: { cookie } });
      total = ((await r.json()) as { total: number }).total;
      if (total >= 100) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(total, 'machines listed within a minute').toBeGreaterThanOrEqual(100);

    // Not a terminal here: plain progress lines, none per machine, and the address and login again at the end.
    const s = running;
    await expect.poll(() => s.stderr(), { timeout: 120_000, interval: 250 }).toMatch(/^login: .+$/m);
    const err = s.stderr();
    expect(err).not.toMatch(/enrolled as agent/);
    expect(err).not.toContain('\r');
    expect(err).toMatch(/^fast-forward: day \d+ of 30 · \d+ machines · [\d,]+ reports sent/m);
    const lines = err.split('\n');
    const caughtUp = lines.findIndex((l) => /^start: history caught up; \d+ machines running live$/.test(l));
    expect(caughtUp, err).toBeGreaterThan(0);
    expect(caughtUp, err).toBeLessThan(40); // hundreds of machines, a few dozen lines
    expect(lines.slice(caughtUp + 1, caughtUp + 3)).toEqual([`dashboard: ${s.dashboard}`, `login: ${s.user} / ${s.password}`]);

    const first = running;
    await stop(first);
    running = await npmStart(dataDir);
    expect([running.user, running.password]).toEqual([first.user, first.password]);
    await signIn(running);
  }, 180_000);
});
