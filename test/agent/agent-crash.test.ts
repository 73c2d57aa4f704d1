/**
 * The acceptance test of the outbox: the collector is unreachable for over a simulated day while the agent (a real
 * process, `--source sim` at high speed) keeps reading events, and the agent is killed with SIGKILL twice in that
 * time. When the collector is back, every event has arrived exactly once and in order.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeCollector } from '../support/agent-fake-collector.js';
import { spawnAgent, waitFor, type AgentProcess } from '../support/agent-process.js';
import { tempDir } from '../support/agent-temp-dir.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

// 14,400 simulated seconds per real second: an hour in 0.25 s, a day in 6 s.
const SPEED = 14_400;
const SIM_HOUR_REAL_MS = 3_600_000 / SPEED;

describe('agent under kill -9 with the collector down', () => {
  it('delivers every event exactly once and in order', async () => {
    const collector = await startFakeCollector();
    cleanups.push(() => collector.close());
    const state = await tempDir();
    cleanups.push(state.remove);
    const args = [
      'run',
      '--source', 'sim',
      '--scenario', 'branch-below-threshold',
      '--machine', 'kms-branch.branch.contoso.com',
      '--sim-start', '2026-01-05T00:00:00Z',
      '--speed', String(SPEED),
      '--collector', collector.url,
      '--secret', collector.secret,
      '--state', state.dir,
      '--events-schedule', '0 * * * *',
      '--licensing-schedule', '0 */6 * * *',
      '--retry-base-seconds', '0.1',
      '--retry-cap-seconds', '0.5',
    ];
    let agent: AgentProcess = spawnAgent(args);
    cleanups.push(() => agent.kill('SIGKILL'));
    const eventCount = () => collector.stored.reduce((n, s) => n + (s.report.events?.length ?? 0), 0);
    await waitFor(() => eventCount() > 0, 30_000, `first events (agent said: ${agent.output()})`);

    collector.mode = { kind: 'down' };
    const downAt = Date.now();
    const storedWhileUp = eventCount();
    for (let kill = 0; kill < 2; kill++) {
      await new Promise((r) => setTimeout(r, 10 * SIM_HOUR_REAL_MS));
      await agent.kill('SIGKILL');
      agent = spawnAgent(args);
    }
    // At least a simulated day down (the restarts themselves take real time, during which simulated time runs on).
    // (The simulation is paced by the wall clock, so this wait is the scenario itself, not a guess at a delay.)
    await new Promise((r) => setTimeout(r, Math.max(0, downAt + 26 * SIM_HOUR_REAL_MS - Date.now())));
    // Reports piled up while the collector was away: awaited, as a loaded machine may start the last agent late.
    const pending = async () => (await readdir(join(state.dir, 'outbox'))).filter((n) => n.endsWith('.json')).length;
    await waitFor(async () => (await pending()) > 3, 30_000, `reports piling up in the outbox (agent said: ${agent.output()})`);
    expect(eventCount()).toBe(storedWhileUp);

    collector.mode = { kind: 'ack' };
    await waitFor(async () => (await pending()) === 0, 60_000, 'the outbox to drain');
    await agent.kill('SIGTERM');

    expect(collector.enrolments).toHaveLength(1); // the token survived both kills
    expect(collector.duplicates).toBe(0);
    const agentIds = new Set(collector.stored.map((s) => s.agentId));
    expect(agentIds.size).toBe(1);
    const epochs = new Set(collector.stored.map((s) => s.report.epoch));
    expect(epochs.size).toBe(1); // the state survived: no new epoch
    const seqs = collector.stored.map((s) => s.report.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // seq 1, 2, 3… in arrival order, none missing
    const byLog = new Map<string, number[]>();
    for (const s of collector.stored) for (const e of s.report.events ?? []) byLog.set(e.log, [...(byLog.get(e.log) ?? []), e.recordId]);
    const kms = byLog.get('Key Management Service') ?? [];
    // Over a simulated day and a half, 20 clients retrying every 2 hours: hundreds of 12290s.
    expect(kms.length).toBeGreaterThan(200);
    for (const [log, ids] of byLog) {
      // Every record of the log from the first, exactly once, in order: the simulator numbers them 1, 2, 3…
      expect({ log, ids }).toEqual({ log, ids: ids.map((_, i) => i + 1) });
    }
  }, 120_000);
});
