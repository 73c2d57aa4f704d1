/**
 * The agent on the cim source with one persistent PowerShell, against the fake PowerShell: a read that hangs, a process
 * that dies or is killed from outside, cost one failed read at most; the agent keeps reporting.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { CollectorClient } from '../../agent/delivery/collector-client.js';
import { FileOutbox } from '../../agent/outbox/file-outbox.js';
import { CimSource } from '../../agent/sources/cim-source.js';
import { PersistentPowerShell } from '../../agent/sources/powershell-session.js';
import { FileCredentialStore } from '../../agent/state/credentials.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { startFakeCollector } from '../support/agent-fake-collector.js';
import { FAKE_MACHINE_GUID } from '../support/fake-powershell-answers.js';
import { childExit, fakePowerShellSpawn } from '../support/fake-powershell-spawn.js';
import { tempDir } from '../support/agent-temp-dir.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/replay/win7-kms-client-licensed', import.meta.url));
const T0 = Date.parse('2026-11-29T10:00:00Z');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('agent on one persistent PowerShell', () => {
  it('keeps reporting through a hung read, a crash and a kill from outside, with one process start each', async () => {
    const collector = await startFakeCollector();
    cleanups.push(() => collector.close());
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    const replay = join(tmp.dir, 'machine');
    await cp(FIXTURE, replay, { recursive: true });
    const controlFile = join(tmp.dir, 'control.json');
    const setControl = (c: object) => writeFile(controlFile, JSON.stringify(c));
    await setControl({ junk: true });
    const fake = fakePowerShellSpawn({ replayDir: replay, controlFile });
    const source = new CimSource({ persistent: { spawn: fake.spawn, commandTimeoutMs: 2_000 } });
    const ps = source.session as PersistentPowerShell;
    cleanups.push(async () => {
      for (const s of fake.started) s.child.kill('SIGKILL');
    });
    const clock = new VirtualClock(T0);
    const logs: string[] = [];
    const stateDir = join(tmp.dir, 'state');
    const client = new CollectorClient({ baseUrl: collector.url });
    cleanups.push(async () => client.close());
    const agent = new Agent({
      source,
      scheduler: clock,
      timers: clock,
      outbox: await FileOutbox.open({ dir: stateDir, newEpoch: () => 7 }),
      credentials: new FileCredentialStore(stateDir),
      client,
      enrolmentSecret: collector.secret,
      group: 'hq',
      deadLetter: async () => {},
      log: (l) => logs.push(l),
    });
    const eventIds = () => collector.stored.flatMap((s) => s.report.events ?? []).map((e) => e.recordId);
    const addEvent = async (recordId: number) => {
      const [one] = JSON.parse((await readFile(join(FIXTURE, 'events', 'application.json'), 'utf8')).replace(/^\uFEFF/, '')) as Array<Record<string, unknown>>;
      await writeFile(join(replay, 'events', `more-${recordId}.json`), JSON.stringify([{ ...one, RecordId: recordId }]));
    };

    expect(await agent.poll()).toBe(1);
    await agent.deliver();
    expect(collector.enrolments[0]).toMatchObject({ machineId: FAKE_MACHINE_GUID, hostname: expect.any(String) });
    expect(collector.stored[0]!.report.snapshot).toBeDefined();
    expect(eventIds()).toEqual([20410, 20411]);
    expect(ps.stats.starts).toBe(1);

    // The Application read hangs: killed after its timeout, the poll says so, nothing is lost or skipped.
    await setControl({ hang: "LogName 'Application'" });
    await addEvent(20412);
    clock.advanceBy(60_000);
    expect(await agent.poll({ licensing: false, events: true })).toBe(0);
    expect(logs).toContain('PowerShell did not answer within 2 s; it was stopped and a new one starts at the next command');
    expect(logs.some((l) => /reading the Application log failed: .*did not answer within 2 s/.test(l))).toBe(true);
    await setControl({});
    clock.advanceBy(60_000);
    expect(await agent.poll({ licensing: false, events: true })).toBe(1);
    await agent.deliver();
    expect(eventIds()).toEqual([20410, 20411, 20412]);
    expect(ps.stats).toMatchObject({ starts: 2, timeouts: 1 });

    // The process crashes on every licensing read: the poll fails (run twice, on two processes), the next one works.
    await setControl({ die: 'SoftwareLicensingProduct' });
    clock.advanceBy(15 * 60_000);
    expect(await agent.poll({ licensing: true, events: false })).toBe(0);
    expect(logs.some((l) => /licensing poll failed: SoftwareLicensingProduct: PowerShell ended \(exit code 3\)/.test(l))).toBe(true);
    expect(logs.filter((l) => /^PowerShell ended \(exit code 3\).*; starting a new one$/.test(l))).toHaveLength(2);
    await setControl({});
    // Killed from outside between two polls: the next read runs on a new process.
    await addEvent(20413);
    fake.started.at(-1)!.child.kill('SIGKILL');
    clock.advanceBy(60_000);
    expect(await agent.poll({ licensing: true, events: true })).toBe(1);
    await agent.deliver();
    expect(eventIds()).toEqual([20410, 20411, 20412, 20413]);
    expect(ps.stats.starts).toBe(5); // the first, after the hang, two for the crash, after the kill
    expect(collector.duplicates).toBe(0);

    const last = fake.started.at(-1)!.child;
    await agent.stop();
    expect(await childExit(last)).toEqual({ code: 0, signal: null }); // stdin closed: the host script ended by itself
  }, 90_000);
});
