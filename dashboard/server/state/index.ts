export { FleetState } from './fleet-state.js';
export type { MachineState, Retirement, KmsRequestSeen } from './machine-state.js';
export { primaryProductOf, kmsHostIdOf, statusKeyOf, channelKeyOf, withSnapshot, withKmsRequest } from './machine-state.js';
export type { KmsHostState, KmsClientEntry, ClientSeenCount, KmsServiceFailure } from './kms-host-state.js';
export type { StateChange, StateChangeListener, StoredEvent } from './state-change.js';
export { windowKeyOf, applicationOfEntry, cmidOfEntry, OFFICE_WINDOW_KEY } from './kms-host-state.js';
