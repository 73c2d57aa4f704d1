import type { Database } from 'better-sqlite3';
import type { Request, RequestHandler, Router } from 'express';
import type { Registry } from 'prom-client';
import type { AlertCounts, Health, Role, SessionInfo } from '../../shared/api.js';
import type { Clock, Scheduler } from '../../shared/scheduling.js';
import type { Delta, Room, RoomSnapshot } from '../../shared/socket-events.js';
import type { CollectorConfig } from './config.js';
import type { Logger } from './log.js';
import type { FleetState } from './state/fleet-state.js';
import type { MachineState } from './state/machine-state.js';

/**
 * Extension points of the collector. The alert engine (dashboard/alerts/) and the metrics (dashboard/metrics/) are
 * plug-ins: `createCollector({ plugins: [...] })` runs their migrations, then calls `setup(ctx)` once the state has
 * been rebuilt from SQLite and before the server listens. See dashboard/server/README.md.
 */
export interface CollectorPlugin {
  /** Short, unique, stable: it names the plug-in's migrations in `schema_migrations`. */
  readonly name: string;
  /** Schema changes for the plug-in's own tables, applied in `version` order, each once, in a transaction. */
  readonly migrations?: readonly Migration[];
  setup(ctx: PluginContext): void | Promise<void>;
  /** Stop timers; called on `collector.close()` in reverse order. */
  close?(): void | Promise<void>;
}

export interface Migration {
  /** 1, 2, 3… within its owner (the core or a plug-in). Never renumber a released one; add a new one. */
  readonly version: number;
  readonly description: string;
  /** SQL (several statements allowed) or a function for what SQL alone cannot do. */
  readonly up: string | ((db: Database) => void);
}

export interface PluginContext {
  readonly config: CollectorConfig;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly log: Logger;
  /** The fleet state and its change feed (`state.onChange`). */
  readonly state: FleetState;
  /** The collector's SQLite database (better-sqlite3, WAL). Keep writes in transactions. */
  readonly db: Database;
  /** The prom-client registry served at /metrics (never the global one). */
  readonly registry: Registry;
  /**
   * An express Router mounted at `/api/v1`, behind sign-in (every request on it has a session; `sessionOf(req)`),
   * with JSON bodies parsed. Throw `ApiError` for refusals. Routes here come after the collector's own routes.
   */
  readonly api: Router;
  /** Middleware refusing (403) a signed-in user below `role`. */
  requireRole(role: Role): RequestHandler;
  /** The session of a request on `api`. */
  sessionOf(req: Request): SessionInfo;
  readonly live: LiveHub;
  /** Ingest outcomes, for the collector's own metrics. */
  readonly ingest: IngestEvents;
  /** Replace the default health (derived from licence status) with the alert engine's. */
  setHealthProvider(provider: HealthProvider): void;
  /**
   * Serve /metrics from `exposition` (the body as byte parts, written in order) instead of `registry.metrics()`, so a
   * big cached part is sent as it is rather than joined into one string and encoded again per scrape.
   */
  setMetricsExposition(exposition: () => Promise<readonly Buffer[]>): void;
}

/** The socket.io side as plug-ins see it. */
export interface LiveHub {
  /** Queues a change for a room; it goes out in the room's next coalesced batch (nothing is sent to an empty room). */
  publish(room: Room, delta: Delta): void;
  /**
   * Supplies the snapshot of a room kind the collector does not own (today: `alerts`). Called on each join; the
   * result is validated only by its type.
   */
  provideSnapshot(kind: 'alerts', snapshot: (room: Room, session: SessionInfo) => RoomSnapshot): void;
}

/** Health rollup: the worst state wins machine → KMS host → group → fleet. */
export interface HealthProvider {
  machine(m: MachineState): Health;
  kmsHost(kmsHostId: string): Health;
  group(group: string): Health;
  fleet(): Health;
  alertCounts(): AlertCounts;
}

/** What the ingest path reports as it goes (cheap callbacks; keep them O(1)). */
export interface IngestEvents {
  /** After each batch committed: reports stored, duplicates skipped, reports refused, time taken. */
  onBatch(listener: (r: { stored: number; duplicates: number; refused: number; durationMs: number }) => void): () => void;
  /** Each refused request or report, by ErrorBody code (bad-token, wrong-machine, body-too-large, invalid-report…). */
  onRefusal(listener: (code: string) => void): () => void;
}
