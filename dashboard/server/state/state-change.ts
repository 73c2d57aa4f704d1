import type { EventPayload } from '../../../shared/protocol.js';
import type { CollectorEventPayload } from '../../../shared/api.js';
import type { KmsClientEntry, KmsHostState } from './kms-host-state.js';
import type { MachineState } from './machine-state.js';

/** An event as stored: a Windows event from an agent, or one the collector wrote (`log` = `vawatch`). */
export interface StoredEvent {
  readonly id: number;
  readonly machineId: string;
  readonly log: string;
  readonly provider: string;
  readonly eventId: number;
  readonly recordId: number;
  /** The event's own time (ms). */
  readonly time: number;
  /** Collector clock when stored (ms). */
  readonly receivedAt: number;
  readonly payload: EventPayload | CollectorEventPayload;
}

/**
 * One change of the fleet state, delivered to `FleetState.onChange` listeners after the SQLite transaction that
 * made it durable has committed. `before` is null for something new.
 */
export type StateChange =
  | { readonly kind: 'machine'; readonly id: string; readonly before: MachineState | null; readonly after: MachineState }
  | { readonly kind: 'kms-host'; readonly id: string; readonly before: KmsHostState | null; readonly after: KmsHostState }
  | {
      readonly kind: 'kms-client';
      /** The KMS host id. */
      readonly id: string;
      readonly before: KmsClientEntry | null;
      /** null when the entry was pruned (older than the retention). */
      readonly after: KmsClientEntry | null;
    }
  | { readonly kind: 'event'; /** The machine id. */ readonly id: string; readonly event: StoredEvent };

export type StateChangeListener = (change: StateChange) => void;
