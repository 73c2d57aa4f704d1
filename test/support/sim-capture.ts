/**
 * Saves what a simulated machine answers to the agent's PowerShell commands as a replay folder (the files an admin
 * captures on a real machine, agent/README.md), printed as Windows PowerShell 5.1's ConvertTo-Json prints them:
 * dates as `\/Date(ms)\/`, uint32 as numbers. The agent then reads it through its replay source like any capture.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPLAY_FILES } from '../../agent/sources/replay-source.js';
import { WATCHED_LOGS } from '../../agent/sources/watched-events.js';
import type { SimulatedMachine } from '../../agent/sim/index.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const DATE_MARK = '@@date:';

function ps51(value: unknown): string {
  // PowerShell 5.1 prints DateTime as "\/Date(ms)\/"; the simulator hands over ISO strings.
  const marked = (_key: string, v: unknown) => (typeof v === 'string' && ISO.test(v) ? `${DATE_MARK}${Date.parse(v)}` : v);
  const text = JSON.stringify(value, marked, 4);
  return text.replace(/"@@date:(-?\d+)"/g, (_m, ms: string) => `"\\/Date(${ms})\\/"`);
}

/** Writes the machine's products, service, OS and every watched log into `dir`. */
export async function captureMachine(m: SimulatedMachine, dir: string): Promise<string> {
  await mkdir(join(dir, REPLAY_FILES.events), { recursive: true });
  await writeFile(join(dir, REPLAY_FILES.products), ps51(m.readProducts()));
  await writeFile(join(dir, REPLAY_FILES.service), ps51(m.readService()));
  await writeFile(join(dir, REPLAY_FILES.os), ps51(m.readOs()));
  for (const log of WATCHED_LOGS) {
    if (!m.hasLog(log)) continue;
    await writeFile(join(dir, REPLAY_FILES.events, `${log.replace(/\W+/g, '-').toLowerCase()}.json`), ps51(m.readEvents(log, 0)));
  }
  return dir;
}
