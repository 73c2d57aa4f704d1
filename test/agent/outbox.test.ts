import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileOutbox } from '../../agent/outbox/file-outbox.js';
import { MemoryOutbox } from '../../agent/outbox/memory-outbox.js';
import type { QueuedReport } from '../../agent/outbox/outbox.js';
import type { EventRecord, MachineSnapshot } from '../../shared/protocol.js';
import { tempDir } from '../support/agent-temp-dir.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function dir(): Promise<string> {
  const d = await tempDir();
  cleanups.push(d.remove);
  return d.dir;
}

const SENT_AT = '2026-11-29T10:00:00.000Z';
const snapshot = (n: number): MachineSnapshot => ({
  machineId: 'm-1',
  hostname: 'ws-1',
  group: 'hq',
  os: { caption: 'Windows 10', version: '10.0', kind: 'client' },
  cmid: null,
  products: [],
  collectedAt: new Date(Date.parse(SENT_AT) + n * 60_000).toISOString(),
});
const event = (recordId: number): EventRecord => ({
  log: 'Application',
  provider: 'Microsoft-Windows-Security-SPP',
  id: 8198,
  recordId,
  time: SENT_AT,
  payload: { kind: 'activation-failed', hresult: 0xc004f074, commandLine: 'x'.repeat(200) },
});
const report = (body: Partial<QueuedReport>) => (epoch: number, seq: number): QueuedReport => ({ protocol: 1, epoch, seq, sentAt: SENT_AT, ...body });

describe('file outbox', () => {
  it('keeps reports, seq and bookmarks across a reopen, and drops exactly what an ack covers', async () => {
    const d = await dir();
    const a = await FileOutbox.open({ dir: d, newEpoch: () => 42 });
    await a.append(report({ heartbeat: true }));
    await a.append(report({ events: [event(10)] }), { Application: 10 });
    await a.append(report({ events: [event(11)] }), { Application: 11 });
    const b = await FileOutbox.open({ dir: d, newEpoch: () => 99 });
    expect(b.progress()).toEqual({ epoch: 42, seq: 3, bookmarks: { Application: 11 } });
    expect(b.peek(10).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await b.ack(42, 2)).toBe(2);
    expect(b.peek(10).map((e) => e.seq)).toEqual([3]);
    const c = await FileOutbox.open({ dir: d, newEpoch: () => 99 });
    expect(c.peek(10).map((e) => e.seq)).toEqual([3]);
    expect((await c.append(report({ heartbeat: true }))).seq).toBe(4);
  });

  it('is private to its user: folder 0700, files 0600', async () => {
    const d = join(await dir(), 'state');
    const o = await FileOutbox.open({ dir: d, newEpoch: () => 1 });
    await o.append(report({ heartbeat: true }));
    expect((await stat(d)).mode & 0o777).toBe(0o700);
    expect((await stat(join(d, 'progress.json'))).mode & 0o777).toBe(0o600);
    const [entry] = await readdir(join(d, 'outbox'));
    expect((await stat(join(d, 'outbox', entry!))).mode & 0o777).toBe(0o600);
  });

  it('after a crash between the report and the progress write, takes seq and bookmarks from the report', async () => {
    const d = await dir();
    const a = await FileOutbox.open({ dir: d, newEpoch: () => 5 });
    await a.append(report({ events: [event(1)] }), { Application: 1 });
    const progressBefore = await readFile(join(d, 'progress.json'), 'utf8');
    await a.append(report({ events: [event(2), event(3)] }), { Application: 3 });
    // The kill -9 came after the report file and before progress.json: put the old progress back.
    await writeFile(join(d, 'progress.json'), progressBefore);
    await writeFile(join(d, 'outbox', '.half-written.tmp'), '{"epoch":5,"se');
    const b = await FileOutbox.open({ dir: d, newEpoch: () => 6 });
    expect(b.progress()).toEqual({ epoch: 5, seq: 2, bookmarks: { Application: 3 } });
    expect(b.peek(10).map((e) => e.seq)).toEqual([1, 2]);
    expect(await readdir(join(d, 'outbox'))).not.toContain('.half-written.tmp');
  });

  it('keeps a reset bookmark (a cleared log) across a reopen, though queued reports reached a higher one', async () => {
    const d = await dir();
    const a = await FileOutbox.open({ dir: d, newEpoch: () => 5 });
    await a.append(report({ events: [event(50)] }), { Application: 50, 'Key Management Service': 7 });
    await a.resetBookmark('Application', 0);
    const b = await FileOutbox.open({ dir: d, newEpoch: () => 6 });
    expect(b.progress().bookmarks).toEqual({ Application: 0, 'Key Management Service': 7 });
    expect(b.peek(10).map((e) => e.report.events?.[0]?.recordId)).toEqual([50]);
  });

  it('starts a new epoch when its state is gone', async () => {
    const a = await FileOutbox.open({ dir: await dir(), newEpoch: () => 1_764_410_000 });
    expect(a.progress()).toEqual({ epoch: 1_764_410_000, seq: 0, bookmarks: {} });
  });
});

describe('outbox bound', () => {
  it('compacts superseded snapshots first, keeping seqs contiguous', async () => {
    const o = new MemoryOutbox({ epoch: 1, maxBytes: 2_000 });
    for (let i = 0; i < 8; i++) await o.append(report({ snapshot: snapshot(i) }));
    const entries = o.peek(100);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(entries.at(-1)!.report.snapshot?.collectedAt).toBe(snapshot(7).collectedAt); // the newest is kept
    expect(entries.filter((e) => e.report.snapshot).length).toBeLessThan(8);
    for (const e of entries) if (!e.report.snapshot) expect(e.report.heartbeat).toBe(true);
    expect(o.stats().bytes).toBeLessThanOrEqual(2_000);
    expect(o.stats().droppedEvents).toBe(0);
  });

  it('drops the oldest events only when it must, and counts them in lostEvents', async () => {
    const logs: string[] = [];
    const o = new MemoryOutbox({ epoch: 1, maxBytes: 3_000, log: (l) => logs.push(l) });
    for (let i = 1; i <= 12; i++) await o.append(report({ events: [event(i)] }), { Application: i });
    const entries = o.peek(100);
    const lost = entries.reduce((n, e) => n + (e.report.lostEvents ?? 0), 0);
    const kept = entries.flatMap((e) => e.report.events ?? []).map((e) => e.recordId);
    expect(lost).toBe(o.stats().droppedEvents);
    expect(lost).toBeGreaterThan(0);
    expect(lost + kept.length).toBe(12); // every event is either kept or counted
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 13 - kept.length + i)); // the newest survive
    expect(o.progress().bookmarks).toEqual({ Application: 12 });
    expect(logs.some((l) => l.includes('dropped') && l.includes('lostEvents'))).toBe(true);
  });
});
