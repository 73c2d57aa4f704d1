import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { getJson, postJson, SECRET, ADMIN } from '../support/collector-harness.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), '..', 'support', 'collector-child.ts');

async function startChild(dataDir: string, ingestCommitMs?: number): Promise<{ child: ChildProcess; url: string }> {
  const args = [CHILD, dataDir, SECRET, ADMIN.password, ...(ingestCommitMs ? [String(ingestCommitMs)] : [])];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`collector child did not start: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!.replace(/\/$/, ''));
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`collector child exited with ${code}: ${err}`)));
  });
  return { child, url };
}

interface Agent {
  machineId: string;
  agentId: string;
  token: string;
  /** Highest seq acknowledged. */
  acked: number;
  /** Highest seq sent. */
  sent: number;
}

const T = Date.parse('2026-11-01T00:00:00Z');
/** Report `seq` carries one event with record id `seq`, so stored events count stored reports. */
function reportFor(a: Agent, seq: number) {
  const at = new Date(T + seq * 60_000).toISOString();
  return {
    protocol: 1,
    agentId: a.agentId,
    epoch: 1,
    seq,
    sentAt: at,
    events: [{ log: 'Application', provider: 'Microsoft-Windows-Security-SPP', id: 8198, recordId: seq, time: at, payload: { kind: 'activation-failed', hresult: 3221549172, commandLine: null } }],
  };
}

/** Sends the agent's unacknowledged reports from acked+1, 5 per batch, as the agent's outbox does. */
async function sendNext(url: string, a: Agent, upTo: number): Promise<void> {
  const from = a.acked + 1;
  const to = Math.min(upTo, from + 4);
  const reports = [];
  for (let s = from; s <= to; s++) reports.push(reportFor(a, s));
  a.sent = Math.max(a.sent, to);
  const r = await postJson(`${url}/api/v1/reports`, { protocol: 1, reports }, { authorization: `Bearer ${a.token}` });
  if (r.status !== 200) throw new Error(`status ${r.status}`);
  a.acked = Math.max(a.acked, r.body.ackedThrough as number);
}

describe('collector durability', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vawatch-durability-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('killed with SIGKILL while reports stream in, it keeps every acknowledged report; the next ones are neither lost nor doubled', async () => {
    // A 200 ms commit tick: every agent sends its next report the moment its ack arrives, and that report waits for
    // the next tick, so when the kill comes (within a few ms of an ack) every agent has one in flight. Without the
    // long tick the kill could fall between an ack and the next send, and the test would not test the in-flight case.
    const first = await startChild(dataDir, 200);
    child = first.child;
    const agents: Agent[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await postJson(`${first.url}/api/v1/agents/enrol`, { secret: SECRET, machineId: `m-${i}`, hostname: `ws-${i}` });
      agents.push({ ...r.body, acked: 0, sent: 0 });
    }
    // Stream from every agent at once; kill the process mid-stream, with requests in flight.
    let killed = false;
    const streams = agents.map(async (a) => {
      while (!killed) {
        try {
          await sendNext(first.url, a, Number.MAX_SAFE_INTEGER);
        } catch {
          return; // the collector is gone
        }
      }
    });
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (agents.every((a) => a.acked >= 10)) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    first.child.kill('SIGKILL');
    killed = true;
    await Promise.all(streams);
    expect(agents.some((a) => a.sent > a.acked)).toBe(true); // some reports were in flight, unacknowledged

    const second = await startChild(dataDir);
    child = second.child;
    const login = await fetch(`${second.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const stored = async (a: Agent) => (await getJson(`${second.url}/api/v1/events?machineId=${a.machineId}&eventId=8198&limit=1`, cookie)).body.total as number;

    for (const a of agents) {
      const n = await stored(a);
      expect(n, `${a.machineId}: stored ${n}, acknowledged ${a.acked}`).toBeGreaterThanOrEqual(a.acked);
      expect(n).toBeLessThanOrEqual(a.sent);
    }
    // The agents resend everything not acknowledged, then 10 more each.
    for (const a of agents) {
      const target = a.sent + 10;
      while (a.acked < target) await sendNext(second.url, a, target);
      expect(await stored(a)).toBe(target);
    }
    second.child.kill('SIGKILL');
  }, 120_000);
});
