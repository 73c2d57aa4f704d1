export { FleetState } from './fleet-state.js';
export type { MachineState, Retirement } from './machine-state.js';
export { primaryProductOf, kmsHostIdOf, statusKeyOf, channelKeyOf, withSnapshot } from './machine-state.js';
export type { KmsHostState, KmsClientEntry } from './kms-host-state.js';
export type { StateChange, StateChangeListener, StoredEvent } from './state-change.js';
