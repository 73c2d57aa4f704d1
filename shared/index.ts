/** The public API of shared/: the Volume Activation domain model, the wire protocol and the scheduling interface. */
export * from './kms-rules.js';
export * from './license-status.js';
export * from './channel.js';
export * from './windows-product.js';
export * from './hresult.js';
export * from './wmi-shapes.js';
export * from './protocol.js';
export * from './scheduling.js';
export * from './events/index.js';
export * from './api.js';
export * from './socket-events.js';
