/**
 * The fleet runner as a library: one agent per simulated machine, all in this process, on the simulation's clock.
 * `demo/start.ts` calls `startFleet()` in-process; `agent/fleet/cli.ts` is the command line around it.
 */
export { startFleet } from './start-fleet.js';
export type { FleetOptions, Fleet, FleetStats } from './start-fleet.js';
