import express from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import type { ServerInfo } from '../../shared/api.js';
import { MS } from '../../shared/kms-rules.js';
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import type { Clock, Scheduler } from '../../shared/scheduling.js';
import { parseCollectorConfig, type CollectorConfig, type CollectorConfigInput } from './config.js';
import { agentRoutes, type AgentRoutes } from './http/agent-routes.js';
import { apiRoutes } from './http/api-routes.js';
import { requireRole, sessionOf } from './http/auth.js';
import { guardConnections, type ConnectionGuard } from './http/connection-guard.js';
import { apiNotFound, errorMapper } from './http/error-mapper.js';
import { encodeBody } from './http/gzip-body.js';
import { staticWeb } from './http/static-web.js';
import { AuditLog } from './audit/audit-log.js';
import { AgentRegistry } from './identity/agent-registry.js';
import { ApiKeyService } from './identity/api-keys.js';
import { UserService } from './identity/user-service.js';
import { GroupCommit } from './ingest/group-commit.js';
import { pruneRetention, pruneRetentionSliced, retireSilentMachines, retireSilentMachinesSliced, type FleetAdminDeps } from './ingest/fleet-admin.js';
import { LiveHub, type CollectorIo } from './live/live-hub.js';
import { createSocketServer, endExpiredSessions, handleRooms } from './live/socket-server.js';
import type { Logger } from './log.js';
import type { CollectorPlugin, HealthProvider, IngestEvents, PluginContext } from './plugin.js';
import { defaultHealth } from './read-model/default-health.js';
import { Views } from './read-model/views.js';
import { FleetState } from './state/fleet-state.js';
import type { StateChange } from './state/state-change.js';
import { CORE_MIGRATIONS } from './store/core-migrations.js';
import { DATABASE_FILE, migrate, openDatabase } from './store/database.js';
import { WalCheckpointer } from './store/wal-checkpointer.js';
import { FleetStore } from './store/fleet-store.js';

/** The collector's version, shown on the status page and /api/v1/info. */
export const COLLECTOR_VERSION = '0.1.0';
/** Queued report requests that are committed at once rather than at the end of the tick. */
const INGEST_COMMIT_MAX_QUEUE = 256;

export interface CollectorOptions {
  config: CollectorConfigInput | CollectorConfig;
  clock: Clock;
  scheduler: Scheduler;
  log: Logger;
  plugins?: readonly CollectorPlugin[];
}

export interface Collector {
  readonly config: CollectorConfig;
  readonly app: express.Express;
  readonly httpServer: http.Server;
  readonly io: CollectorIo;
  readonly db: Database.Database;
  /** The fleet tables (prepared statements, loaders, per-machine reads). */
  readonly store: FleetStore;
  readonly state: FleetState;
  readonly registry: Registry;
  readonly live: LiveHub;
  readonly users: UserService;
  readonly agents: AgentRegistry;
  readonly apiKeys: ApiKeyService;
  readonly audit: AuditLog;
  /** Secrets generated at this first start, to print once (undefined when configured or already there). */
  readonly firstStart: { enrolmentSecret?: string; adminUsername: string; adminPassword?: string };
  /** Binds `config.host:config.port` (port 0: a free one). */
  listen(): Promise<{ port: number; url: string }>;
  /** Runs the retention prune and the silent-machine retirement now (the scheduler runs them on their own). */
  runMaintenance(): { retired: number; pruned: { events: number; history: number; clients: number } };
  close(): Promise<void>;
}

/**
 * The composition root: builds the whole collector from a parsed configuration and injected clock, scheduler and
 * log. Reads no environment. Order: database and migrations (core, then each plug-in's) → state rebuilt from
 * SQLite → HTTP app, socket.io → plug-ins' setup → schedules. Nothing listens until `listen()`.
 */
export async function createCollector(opts: CollectorOptions): Promise<Collector> {
  const config = Object.isFrozen(opts.config) ? (opts.config as CollectorConfig) : parseCollectorConfig(opts.config);
  const { clock, scheduler, log } = opts;
  const plugins = opts.plugins ?? [];
  const startedAt = clock.now();

  const db = openDatabase(config.dataDir);
  migrate(db, 'core', CORE_MIGRATIONS);
  for (const p of plugins) {
    if (p.name === 'core') throw new Error('a plug-in cannot be named core');
    migrate(db, p.name, p.migrations ?? []);
  }

  // Copying the WAL into the database file happens off the event loop (see WalCheckpointer).
  const checkpointer = new WalCheckpointer(db, {
    file: join(config.dataDir, DATABASE_FILE),
    onError: (e) => log.error('WAL checkpoint worker', { error: e.message }),
  });

  const store = new FleetStore(db);
  const users = new UserService(db, {
    clock,
    sessionIdleMs: config.sessionIdleHours * MS.HOUR,
    signInFailures: config.signInFailures,
    signInWindowMs: config.signInWindowMinutes * MS.MINUTE,
  });
  const apiKeys = new ApiKeyService(db, clock);
  const audit = new AuditLog(db, clock, { retentionMs: config.auditRetentionDays * MS.DAY, maxEntries: config.auditMaxEntries });
  const admin = await users.ensureFirstAdmin(config.adminUsername, config.adminPassword);

  const state = new FleetState();
  const loadStarted = Date.now();
  // Rows stream in and are committed in chunks: a million machines are never held twice (rows and state) at once.
  let chunk: StateChange[] = [];
  const flush = () => {
    state.load(chunk);
    chunk = [];
  };
  for await (const machines of store.loadMachines()) {
    for (const m of machines) chunk.push({ kind: 'machine', id: m.machineId, before: null, after: m });
    if (chunk.length >= 10_000) flush();
  }
  let kmsHosts = 0;
  for (const h of store.loadKmsHosts()) {
    chunk.push({ kind: 'kms-host', id: h.id, before: null, after: h });
    kmsHosts++;
  }
  for await (const clients of store.loadKmsClients()) {
    for (const { hostId, entry } of clients) chunk.push({ kind: 'kms-client', id: hostId, before: null, after: entry });
    if (chunk.length >= 10_000) flush();
  }
  flush();
  state.markReady();
  log.info('state loaded', { machines: state.machineCount, kmsHosts, ms: Date.now() - loadStarted });
  // Agents are read as they first report; the fleet state lends them its machine ids and host names.
  const agents = new AgentRegistry(db, state);
  const generatedSecret = agents.ensureSecret(config.enrolmentSecret);

  const onListenerError = (e: unknown) => log.error('state change listener failed', { error: e instanceof Error ? e.stack : String(e) });
  const registry = new Registry();
  const views = new Views(state, store, clock, defaultHealth(state, clock), config.staleAfterMinutes * MS.MINUTE);
  const adminDeps: FleetAdminDeps = { state, store, agents, clock, onListenerError };
  const ingestCommit = new GroupCommit(state, store, { tickMs: config.ingestCommitMs, maxQueue: INGEST_COMMIT_MAX_QUEUE, onListenerError });

  const batchListeners = new Set<Parameters<IngestEvents['onBatch']>[0]>();
  const refusalListeners = new Set<Parameters<IngestEvents['onRefusal']>[0]>();
  const ingestEvents: IngestEvents = {
    onBatch: (l) => (batchListeners.add(l), () => void batchListeners.delete(l)),
    onRefusal: (l) => (refusalListeners.add(l), () => void refusalListeners.delete(l)),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  // The agents' reports take a fast path when they are ordinary (see agent-routes.ts); everything else is express.
  let fastReports: AgentRoutes['fastReports'] = () => false;
  let guard: ConnectionGuard | undefined;
  const dispatch = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (guard?.refused(req.socket)) return; // over the per-address cap: answered 503 and closed already
    if (!fastReports(req, res)) app(req, res);
  };
  // Slow clients are cut off (headers, then the whole request), Node checks four times per headers timeout.
  const serverOptions: http.ServerOptions = {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    maxHeaderSize: config.maxHeaderBytes,
    connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(config.headersTimeoutMs / 4))),
  };
  const httpServer =
    config.tlsCert && config.tlsKey
      ? https.createServer({ ...serverOptions, cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) }, dispatch)
      : http.createServer(serverOptions, dispatch);
  httpServer.keepAliveTimeout = config.keepAliveTimeoutMs;
  guard = guardConnections(httpServer, config.maxConnectionsPerAddress, { plainHttp: !config.tlsCert });
  const io = createSocketServer(httpServer as http.Server, users, { maxMessageBytes: config.liveMaxMessageBytes, maxQueuedBytes: config.liveMaxQueuedBytes, log });
  const live = new LiveHub({ io, views, state, store, clock, log });
  handleRooms(io, live, clock, startedAt, config.deltaIntervalMs, log);
  endExpiredSessions(io, users, scheduler);

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => {
    if (state.ready) res.json({ status: 'ready', machines: state.machineCount });
    else res.status(503).json({ error: { code: 'not-ready', message: 'the state is still loading' } });
  });
  let metricsExposition: (() => Promise<readonly Buffer[]>) | undefined;
  app.get('/metrics', async (req, res) => {
    if (config.metricsToken && req.headers.authorization !== `Bearer ${config.metricsToken}`) {
      res.status(401).json({ error: { code: 'bad-metrics-token', message: 'send Authorization: Bearer <metrics token>' } });
      return;
    }
    const exposition = metricsExposition ? await metricsExposition() : [Buffer.from(await registry.metrics(), 'utf8')];
    // Prometheus asks for gzip on every scrape: a million machines' 1.1 MB go out as ~57 kB.
    const { parts, encoding } = await encodeBody(exposition, req.headers['accept-encoding']);
    // Written as they are (no express send: it would join, re-encode and hash megabytes per scrape for an ETag).
    res.writeHead(200, {
      'Content-Type': registry.contentType,
      'Content-Length': parts.reduce((n, p) => n + p.length, 0),
      'Cache-Control': 'no-store',
      Vary: 'Accept-Encoding',
      ...(encoding ? { 'Content-Encoding': encoding } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    for (const p of parts) if (p.length > 0) res.write(p);
    res.end();
  });
  app.get('/api/v1/info', (_req, res) => {
    const info: ServerInfo = {
      name: 'vawatch',
      version: COLLECTOR_VERSION,
      protocol: PROTOCOL_VERSION,
      startedAt: new Date(startedAt).toISOString(),
      serverTime: new Date(clock.now()).toISOString(),
    };
    res.json(info);
  });

  const agentApi = agentRoutes({
    agents,
    clock,
    ingest: { state, store, agents, clock, commit: ingestCommit, heartbeatSeconds: config.heartbeatSeconds, onListenerError },
    enrol: { state, store, agents, clock, reenrolAfterSilentMs: config.reenrolAfterSilentHours * MS.HOUR, heartbeatSeconds: config.heartbeatSeconds, onListenerError },
    bodyLimitBytes: config.bodyLimitBytes,
    agentBurst: config.agentBurst,
    agentRequestsPerSecond: config.agentRequestsPerSecond,
    onIngest: (r) => {
      for (const l of batchListeners) l(r);
    },
    onRefusal: (code) => {
      for (const l of refusalListeners) l(code);
    },
    onError: (e) => log.error('unhandled error', { method: 'POST', path: '/api/v1/reports', error: e instanceof Error ? e.stack : String(e) }),
  });
  fastReports = agentApi.fastReports;
  app.use('/api/v1', agentApi.router);
  const secure = Boolean(config.tlsCert);
  const { open, authed } = apiRoutes({
    state,
    store,
    views,
    users,
    agents,
    apiKeys,
    audit,
    admin: adminDeps,
    clock,
    sessionIdleMs: config.sessionIdleHours * MS.HOUR,
    secureCookies: (req) => secure || (config.trustProxy && req.secure),
  });
  app.use('/api/v1', open);
  app.use('/api/v1', authed);

  let healthProvider: HealthProvider = views.health;
  const ctx: PluginContext = {
    config,
    clock,
    scheduler,
    log,
    state,
    db,
    registry,
    api: authed,
    requireRole,
    sessionOf,
    live,
    ingest: ingestEvents,
    setHealthProvider(p) {
      healthProvider = p;
      views.health = healthProvider;
    },
    setMetricsExposition(exposition) {
      metricsExposition = exposition;
    },
  };
  for (const p of plugins) await p.setup(ctx);

  app.use('/api', apiNotFound);
  app.use(staticWeb(config.webDir, () => ({ version: COLLECTOR_VERSION, machines: state.activeMachineCount })));
  app.use(errorMapper(log, config.bodyLimitBytes));

  const runMaintenance = () => {
    const retired = retireSilentMachines(adminDeps, config.retireAfterDays * MS.DAY);
    const pruned = pruneRetention(adminDeps, config.retentionDays * MS.DAY);
    if (retired || pruned.events || pruned.history || pruned.clients) log.info('maintenance', { retired, ...pruned });
    return { retired, pruned };
  };
  const cancels = [
    // Scheduled maintenance runs in slices (the event loop stays free for ingest at fleet scale).
    scheduler.cron(config.pruneCron, async () => {
      try {
        const retired = await retireSilentMachinesSliced(adminDeps, config.retireAfterDays * MS.DAY);
        const pruned = await pruneRetentionSliced(adminDeps, config.retentionDays * MS.DAY);
        const audits = await audit.prune();
        if (retired || pruned.events || pruned.history || pruned.clients || audits) log.info('maintenance', { retired, ...pruned, audits });
      } catch (e) {
        log.error('maintenance failed', { error: e instanceof Error ? e.stack : String(e) });
      }
    }),
    scheduler.cron('41 * * * *', () =>
      retireSilentMachinesSliced(adminDeps, config.retireAfterDays * MS.DAY).catch((e: unknown) => {
        log.error('retirement check failed', { error: e instanceof Error ? e.stack : String(e) });
      }),
    ),
  ];
  live.start(scheduler, config.deltaIntervalMs);

  let closed = false;
  // The window entries loaded at start share their clients' strings from here on, in slices (memory, not answers).
  state.shareLoadedStrings({ stopped: () => closed }).catch((e: unknown) => log.error('sharing the loaded strings failed', { error: String(e) }));
  return {
    config,
    app,
    httpServer: httpServer as http.Server,
    io,
    db,
    store,
    state,
    registry,
    live,
    users,
    agents,
    apiKeys,
    audit,
    firstStart: {
      adminUsername: config.adminUsername,
      ...(generatedSecret ? { enrolmentSecret: generatedSecret } : {}),
      ...(admin.generatedPassword ? { adminPassword: admin.generatedPassword } : {}),
    },
    listen() {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          const { port } = httpServer.address() as AddressInfo;
          const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
          resolve({ port, url: `${config.tlsCert ? 'https' : 'http'}://${host}:${port}/` });
        });
      });
    },
    runMaintenance,
    async close() {
      if (closed) return;
      closed = true;
      ingestCommit.flush(); // acknowledge what is queued while the plug-ins still listen
      for (const c of cancels) c();
      live.stop();
      for (const p of [...plugins].reverse()) await p.close?.();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeAllConnections?.();
      ingestCommit.close();
      audit.close();
      apiKeys.flushLastUse();
      await checkpointer.close();
      db.close();
    },
  };
}
