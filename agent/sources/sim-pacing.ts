/**
 * Paces a simulation's virtual clock against the wall clock: simulated time = anchor + (wall − wallAnchor) × speed.
 * The anchor is kept in the state folder, so a restarted agent or fleet rebuilds the same (seeded) simulation and
 * continues at the simulated instant it would have reached, with the same event record ids.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock } from '../../shared/scheduling.js';
import { ensurePrivateDir, readTextIfExists, writeFileAtomic } from '../state/atomic-file.js';

export const SimAnchor = z.object({
  scenario: z.string(),
  seed: z.number().int(),
  /** The simulation's start (its startMs). */
  simStartMs: z.number(),
  /** Simulated instant reached at wallAnchorMs. */
  simAnchorMs: z.number(),
  /** Wall instant at which the simulation reached simAnchorMs and began running at `speed`. */
  wallAnchorMs: z.number(),
  speed: z.number().positive(),
  /** The simulated instant up to which agents had polled (a restart does not poll the past again). */
  polledThroughMs: z.number().optional(),
});
export type SimAnchor = z.infer<typeof SimAnchor>;

export const SIM_ANCHOR_FILE = 'simulation.json';

export async function loadSimAnchor(stateDir: string): Promise<SimAnchor | undefined> {
  const text = await readTextIfExists(join(stateDir, SIM_ANCHOR_FILE));
  if (text === undefined) return undefined;
  const r = SimAnchor.safeParse(JSON.parse(text));
  return r.success ? r.data : undefined;
}

export async function saveSimAnchor(stateDir: string, anchor: SimAnchor): Promise<void> {
  await ensurePrivateDir(stateDir);
  await writeFileAtomic(join(stateDir, SIM_ANCHOR_FILE), JSON.stringify(anchor));
}

/** The simulated instant the anchor maps `wall` to. */
export function simulatedNow(anchor: SimAnchor, wall: Clock): number {
  return anchor.simAnchorMs + Math.max(0, wall.now() - anchor.wallAnchorMs) * anchor.speed;
}
