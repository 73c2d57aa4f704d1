import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normaliseEvents, normaliseSnapshot } from '../../agent/normalise.js';
import { ReplaySource } from '../../agent/sources/replay-source.js';
import { WATCHED_LOGS } from '../../agent/sources/watched-events.js';
import type { EventRecord, MachineSnapshot } from '../../shared/protocol.js';

export const REPLAY_FIXTURES = fileURLToPath(new URL('../fixtures/replay/', import.meta.url));

export function fixturePath(set: string): string {
  return join(REPLAY_FIXTURES, set);
}

/** What `agent snapshot --source replay --path <set> --at <atIso>` prints, computed in-process. */
export async function replaySnapshot(set: string, atIso: string, group = 'default'): Promise<{ snapshot: MachineSnapshot; events: EventRecord[] }> {
  return replayFolderSnapshot(fixturePath(set), atIso, group);
}

/** The same for any folder of saved PowerShell output (a capture written by a test). */
export async function replayFolderSnapshot(dir: string, atIso: string, group = 'default'): Promise<{ snapshot: MachineSnapshot; events: EventRecord[] }> {
  const source = new ReplaySource(dir);
  const [products, service, os] = await Promise.all([source.readProducts(), source.readService(), source.readOs()]);
  const snapshot = normaliseSnapshot({ products, service, os }, { machineId: await source.stableMachineId(), group }, Date.parse(atIso));
  const events: EventRecord[] = [];
  for (const log of WATCHED_LOGS) {
    const read = await source.readEvents(log, 0);
    if (read.logExists) events.push(...normaliseEvents(read.records));
  }
  return { snapshot, events };
}
