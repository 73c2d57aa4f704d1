/** The simulator's public API (see README.md). */
export { createScenario, SCENARIOS, SCENARIO_NAMES, isScenarioName, scenarioInfo } from './scenarios.js';
export type { ScenarioName, ScenarioInfo, ScenarioOptions } from './scenarios.js';
export { Simulation, DEFAULT_START_MS, DEFAULT_SEED } from './simulation.js';
export type { DaySummary, MachineSpec, PlantedProblem, SimulationOptions } from './simulation.js';
export { SimulatedMachine } from './simulated-machine.js';
export { OS_PROFILES, OS_PROFILE_NAMES } from './os-profile.js';
export type { KeyChannel, OsGeneration, OsProfile, OsProfileName } from './os-profile.js';
export { DEFAULT_LOG_CAPACITY } from './event-log.js';
export { EVENT, HR, FLAG_NOT_ENOUGH_COUNT } from './event-records.js';
