/**
 * The live stream between the collector and the dashboard (socket.io, same server and same session cookie as the
 * REST API). Used as `Server<ClientToServerEvents, ServerToClientEvents>` on the collector and
 * `Socket<ServerToClientEvents, ClientToServerEvents>` in the browser.
 *
 * Flow: on connect the server sends `hello` (server time, who you are). The client `join`s the rooms of the view it
 * shows; the server answers with one `snapshot` of that room, then `delta` batches, coalesced per room and sent at most
 * every 250 ms. After a reconnect the client joins again (passing the `seq` it last applied) and receives a fresh
 * snapshot: that is the catch-up, no reload needed. Every delta batch carries `at` (server time) so a screen can show
 * how old its data is, and `seq` (per room, rising by one per batch) so a client can tell it missed one.
 */
import { z } from 'zod';
import {
  AlertCounts,
  AlertListItem,
  EventListItem,
  KmsClientWindowEntry,
  KmsHostDetail,
  KmsHostListItem,
  MachineDetail,
  MachineListItem,
  SessionInfo,
  Summary,
} from './api.js';
import { IsoInstant } from './protocol.js';

/** Coalescing period of deltas per room, in milliseconds. */
export const DELTA_INTERVAL_MS = 250;

/**
 * Rooms, one per kind of view:
 * - `overview`: the Summary (counts, KMS host tiles, health, alert counts).
 * - `machines`: every machine row that changes (for the machine grid; apply in place when the row is on screen).
 * - `events`: every new event.
 * - `alerts`: alert changes (the alert engine publishes them).
 * - `machine:<machineId>`: one machine's detail.
 * - `kms-host:<kmsHostId>`: one KMS host's detail (id = lower-case FQDN).
 */
export type Room = 'overview' | 'machines' | 'events' | 'alerts' | `machine:${string}` | `kms-host:${string}`;

/** Validates a room name a client sent. */
export const RoomName = z
  .string()
  .max(300)
  .refine((s) => /^(overview|machines|events|alerts|machine:.+|kms-host:.+)$/.test(s), {
    error: 'expected overview, machines, events, alerts, machine:<id> or kms-host:<id>',
  })
  .transform((s) => s as Room);

/** The kind of room a name belongs to. */
export function roomKind(room: Room): 'overview' | 'machines' | 'events' | 'alerts' | 'machine' | 'kms-host' {
  if (room.startsWith('machine:')) return 'machine';
  if (room.startsWith('kms-host:')) return 'kms-host';
  return room as 'overview' | 'machines' | 'events' | 'alerts';
}

// ---- client → server ----

export const JoinRequest = z.object({
  room: RoomName,
  /** The last delta seq the client applied in this room (after a reconnect). Informational: a snapshot always follows. */
  since: z.number().int().min(0).optional(),
});
export type JoinRequest = z.infer<typeof JoinRequest>;

export const LeaveRequest = z.object({ room: RoomName });
export type LeaveRequest = z.infer<typeof LeaveRequest>;

/** The answer to join / leave: ok, or why not (unknown machine, not allowed, malformed message). */
export const RoomAck = z.union([
  z.object({ ok: z.literal(true), room: z.string() }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type RoomAck = z.infer<typeof RoomAck>;

export interface ClientToServerEvents {
  join: (request: JoinRequest, ack?: (answer: RoomAck) => void) => void;
  leave: (request: LeaveRequest, ack?: (answer: RoomAck) => void) => void;
}

// ---- server → client ----

export const Hello = z.object({
  serverTime: IsoInstant,
  startedAt: IsoInstant,
  session: SessionInfo,
  deltaIntervalMs: z.number().int(),
});
export type Hello = z.infer<typeof Hello>;

/** The state of a room at `at`, sent after each join. */
export const RoomSnapshot = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('overview'), room: z.string(), at: IsoInstant, seq: z.number().int(), summary: Summary }),
  /** The grid fetches its page over REST; the snapshot says where the stream starts. */
  z.object({ kind: z.literal('machines'), room: z.string(), at: IsoInstant, seq: z.number().int(), total: z.number().int() }),
  z.object({ kind: z.literal('events'), room: z.string(), at: IsoInstant, seq: z.number().int(), latest: z.array(EventListItem) }),
  z.object({
    kind: z.literal('alerts'),
    room: z.string(),
    at: IsoInstant,
    seq: z.number().int(),
    alerts: z.array(AlertListItem),
    counts: AlertCounts,
  }),
  z.object({ kind: z.literal('machine'), room: z.string(), at: IsoInstant, seq: z.number().int(), machine: MachineDetail }),
  z.object({ kind: z.literal('kms-host'), room: z.string(), at: IsoInstant, seq: z.number().int(), kmsHost: KmsHostDetail }),
]);
export type RoomSnapshot = z.infer<typeof RoomSnapshot>;

/** One change inside a delta batch. Within a batch, later changes to the same thing replace earlier ones. */
export const Delta = z.discriminatedUnion('type', [
  /** overview: the whole Summary, replaced (it is small). */
  z.object({ type: z.literal('summary'), summary: Summary }),
  /** machines, machine:<id>: a machine row changed (or appeared). */
  z.object({ type: z.literal('machine'), machine: MachineListItem }),
  /** machine:<id>: the detail changed (products, service, retirement); events arrive as `event` deltas. */
  z.object({ type: z.literal('machine-detail'), machine: MachineDetail.omit({ events: true, stateHistory: true }) }),
  /** kms-host:<id>: the host changed (count, window, DNS); its window entries come as `kms-client`. */
  z.object({ type: z.literal('kms-host'), kmsHost: KmsHostListItem }),
  z.object({
    type: z.literal('kms-client'),
    kmsHost: z.string(),
    client: KmsClientWindowEntry,
  }),
  /** events, machine:<id>, kms-host:<id>: a new event. */
  z.object({ type: z.literal('event'), event: EventListItem }),
  /** alerts (and machine:/kms-host: rooms of the subject): an alert was raised or changed. */
  z.object({ type: z.literal('alert'), alert: AlertListItem }),
  z.object({ type: z.literal('alert-counts'), counts: AlertCounts }),
]);
export type Delta = z.infer<typeof Delta>;

/** A room's changes since its previous batch. */
export const DeltaBatch = z.object({
  room: z.string(),
  /** Server time when the batch was sent. */
  at: IsoInstant,
  /** Rises by one per batch in this room. */
  seq: z.number().int(),
  changes: z.array(Delta),
});
export type DeltaBatch = z.infer<typeof DeltaBatch>;

export interface ServerToClientEvents {
  hello: (hello: Hello) => void;
  snapshot: (snapshot: RoomSnapshot) => void;
  /** Batches of several rooms may travel in one message. */
  delta: (batches: DeltaBatch[]) => void;
  /** The session ended (signed out, user removed): the client should show the sign-in page. */
  'session-ended': (reason: { message: string }) => void;
}
