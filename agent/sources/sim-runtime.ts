/**
 * One simulated machine for `agent run --source sim` and `agent snapshot --source sim`: builds the seeded scenario,
 * picks the machine, and keeps the simulation's clock paced to the wall clock (see sim-pacing.ts).
 */
import { MS } from '../../shared/kms-rules.js';
import type { Clock } from '../../shared/scheduling.js';
import { createScenario, isScenarioName, SCENARIO_NAMES, type Simulation, type SimulatedMachine } from '../sim/index.js';
import { loadSimAnchor, saveSimAnchor, simulatedNow, type SimAnchor } from './sim-pacing.js';
import { SimSource } from './sim-source.js';

export interface SimMachineOptions {
  scenario: string;
  seed: number;
  /** Host name (FQDN or short) or machine id; default the scenario's first machine. */
  machine?: string;
  /** Where the scenario starts; default 7 days before now, with those 7 days fast-forwarded. */
  simStartMs?: number;
  speed: number;
  /** Keeps the anchor so a restart continues; none for a one-off snapshot. */
  stateDir?: string;
  wall: Clock;
}

export interface SimMachine {
  sim: Simulation;
  machine: SimulatedMachine;
  source: SimSource;
  anchor: SimAnchor;
  /** Advances the simulation to the instant the wall clock maps to now. */
  catchUp(): void;
}

export class SimSetupError extends Error {}

export function findMachine(sim: Simulation, wanted: string | undefined): SimulatedMachine {
  if (wanted === undefined) {
    const first = sim.machines[0];
    if (!first) throw new SimSetupError('the scenario has no machines');
    return first;
  }
  const w = wanted.toLowerCase();
  const m = sim.machines.find((x) => x.machineId === wanted || x.hostname === w || x.hostname.split('.')[0] === w);
  if (!m) {
    const names = sim.machines.slice(0, 5).map((x) => x.hostname).join(', ');
    throw new SimSetupError(`no simulated machine named ${wanted} (e.g. ${names})`);
  }
  return m;
}

export async function openSimMachine(opts: SimMachineOptions): Promise<SimMachine> {
  if (!isScenarioName(opts.scenario)) {
    throw new SimSetupError(`unknown scenario ${opts.scenario} (have: ${SCENARIO_NAMES.join(', ')})`);
  }
  const now = opts.wall.now();
  let anchor = opts.stateDir ? await loadSimAnchor(opts.stateDir) : undefined;
  if (anchor && (anchor.scenario !== opts.scenario || anchor.seed !== opts.seed)) {
    throw new SimSetupError(
      `the state folder belongs to scenario ${anchor.scenario} seed ${anchor.seed}, not ${opts.scenario} seed ${opts.seed}: use another --state`,
    );
  }
  if (!anchor) {
    const simStartMs = opts.simStartMs ?? now - 7 * MS.DAY;
    anchor = {
      scenario: opts.scenario,
      seed: opts.seed,
      simStartMs,
      simAnchorMs: opts.simStartMs === undefined ? now : simStartMs,
      wallAnchorMs: now,
      speed: opts.speed,
    };
    if (opts.stateDir) await saveSimAnchor(opts.stateDir, anchor);
  }
  const sim = createScenario(opts.scenario, { startMs: anchor.simStartMs, seed: anchor.seed });
  const machine = findMachine(sim, opts.machine);
  const a = anchor;
  const catchUp = () => sim.runUntil(Math.max(sim.clock.now(), simulatedNow(a, opts.wall)));
  catchUp();
  return { sim, machine, source: new SimSource(machine), anchor, catchUp };
}
