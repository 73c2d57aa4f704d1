import { z } from 'zod';

/**
 * The collector's configuration: every option, its default and its meaning in one place. `cli.ts` fills it from
 * flags, environment and a JSON file; `createCollector()` takes the parsed, frozen result and reads nothing else.
 */
const CollectorConfigFields = z.object({
  /** Interface to listen on; 0.0.0.0 accepts agents from the network. */
  host: z.string().min(1).default('127.0.0.1'),
  /** TCP port; 0 picks a free one. */
  port: z.coerce.number({ error: 'expected a port number 0..65535' }).int({ error: 'expected a port number 0..65535' }).min(0, { error: 'expected a port number 0..65535' }).max(65535, { error: 'expected a port number 0..65535' }).default(8080),
  /** Folder of the SQLite file (vawatch.db). */
  dataDir: z.string().min(1).default('./data'),
  /** Enrolment secret agents present; generated (and printed once) at first start when not given. */
  enrolmentSecret: z.string().min(12, { error: 'enrolment secret must be at least 12 characters' }).optional(),
  /** First admin's user name, created at first start. */
  adminUsername: z.string().min(1).max(64).default('admin'),
  /** First admin's password; generated and printed once when not given. */
  adminPassword: z.string().min(8, { error: 'admin password must be at least 8 characters' }).optional(),
  /** Events and state history older than this are pruned. */
  retentionDays: z.coerce.number().int().min(1).max(3650).default(90),
  /** Audit log entries older than this are pruned (with the daily prune). */
  auditRetentionDays: z.coerce.number().int().min(1).max(3650).default(365),
  /** At most this many audit log entries are kept; the oldest go first. */
  auditMaxEntries: z.coerce.number().int().min(1000).max(100_000_000).default(1_000_000),
  /** When the pruning runs (cron, UTC). */
  pruneCron: z.string().min(9).default('17 3 * * *'),
  /** A machine silent this long is retired automatically (with an event saying so). */
  retireAfterDays: z.coerce.number().int().min(1).max(3650).default(30),
  /** A machine whose agent has been silent this long may be re-enrolled by a new agent without its previous token. */
  reenrolAfterSilentHours: z.coerce.number().min(0).max(24 * 365).default(24),
  /** The report interval every agent is told to use (in each ack and enrolment answer). */
  heartbeatSeconds: z.coerce.number({ error: 'expected a whole number of seconds ≥ 10' }).int({ error: 'expected a whole number of seconds ≥ 10' }).min(10, { error: 'expected a whole number of seconds ≥ 10' }).max(7 * 24 * 3600, { error: 'expected at most a week (604800 s)' }).default(300),
  /** A machine silent this long counts as stale (summary, AgentStale); default 3 heartbeats. */
  staleAfterMinutes: z.coerce.number().min(1).optional(),
  /** Reports of concurrent requests share one SQLite transaction per this many ms (0: per turn of the event loop). */
  ingestCommitMs: z.coerce.number().int().min(0).max(1000).default(3),
  /** Largest request body accepted, in bytes (413 above). */
  bodyLimitBytes: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  /** A client must send a request's headers within this many ms (slowloris); Node checks about every quarter of it. */
  headersTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** …and the whole request, body included, within this many ms (a trickled body is cut off); ≥ headersTimeoutMs. */
  requestTimeoutMs: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /** An idle keep-alive connection is closed after this many ms (above a load balancer's idle timeout if one is in front). */
  keepAliveTimeoutMs: z.coerce.number().int().min(0).max(600_000).default(5_000),
  /** Largest request head (request line and headers) in bytes; 431 above. */
  maxHeaderBytes: z.coerce.number().int().min(1024).max(1024 * 1024).default(16 * 1024),
  /** Open connections one address may hold (0: no cap); the next is answered 503 and closed. Behind a proxy: 0. */
  maxConnectionsPerAddress: z.coerce.number().int().min(0).default(256),
  /** Largest message a dashboard socket may send, in bytes (socket.io's maxHttpBufferSize). */
  liveMaxMessageBytes: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
  /** A dashboard socket with more than this many bytes queued unsent (a browser that stopped reading) is dropped. */
  liveMaxQueuedBytes: z.coerce.number().int().min(64 * 1024).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
  /** Per-agent report rate: a bucket of this many requests… */
  agentBurst: z.coerce.number().int().min(1).default(120),
  /** …refilled at this many requests per second; beyond it, 429 with Retry-After. */
  agentRequestsPerSecond: z.coerce.number().min(0.01).default(10),
  /**
   * Failed sign-ins allowed per (user name, address) within signInWindowMinutes before 429; an address gets 4× that
   * across names, a user name 20× across addresses (not counted against addresses it signed in from before).
   */
  signInFailures: z.coerce.number().int().min(1).default(5),
  signInWindowMinutes: z.coerce.number().min(1).default(15),
  /** A session ends after this long without use. */
  sessionIdleHours: z.coerce.number().min(0.1).default(12),
  /** Coalescing period of live deltas per room. */
  deltaIntervalMs: z.coerce.number().int().min(10).max(10_000).default(250),
  /** PEM certificate and key: serve HTTPS directly (else plain HTTP, e.g. behind a reverse proxy). */
  tlsCert: z.string().optional(),
  tlsKey: z.string().optional(),
  /** Trust X-Forwarded-* from a reverse proxy (client address for rate limits; secure cookies). */
  trustProxy: z
    .preprocess((v) => (typeof v === 'string' ? ({ true: true, '1': true, yes: true, false: false, '0': false, no: false } as Record<string, boolean>)[v.toLowerCase()] ?? v : v), z.boolean({ error: 'expected true or false' }))
    .default(false),
  /** Bearer token required on /metrics when set. */
  metricsToken: z.string().optional(),
  /** Per-machine Prometheus series while the fleet has at most this many live machines (0: never). */
  metricsMachineSeries: z.coerce.number().int().min(0).default(10_000),
  /** How often per-machine series, the expiry wave and agent freshness are recomputed for /metrics. */
  metricsRefreshSeconds: z.coerce.number().min(1).max(3600).default(15),
  /** Alertmanager base URL: the collector pushes its own alerts there (none: no push). */
  alertmanagerUrl: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  /** The dashboard's address as people open it, for links in pushed alerts and webhooks. */
  publicUrl: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  /** Acknowledging an alert creates an Alertmanager silence for this many hours (0: no silence). */
  ackSilenceHours: z.coerce.number().min(0).max(24 * 90).default(24),
  /** Generic webhooks (comma-separated URLs) receiving every alert event as JSON. */
  webhookUrls: z.string().optional(),
  /** Signs webhook bodies (X-Vawatch-Signature: sha256=HMAC) when set. */
  webhookSecret: z.string().min(8, { error: 'webhook secret must be at least 8 characters' }).optional(),
  /** Built web UI (index.html and assets); a plain status page is served when it does not exist. */
  webDir: z.string().optional(),
  /** Alert thresholds, globally and per group (JSON, see dashboard/alerts/README.md); none: the catalogue defaults. */
  alertsConfig: z.string().min(1).optional(),
});

/** Heartbeats an agent may miss before it counts as stale, when staleAfterMinutes is not given. */
export const STALE_AFTER_MISSED_HEARTBEATS = 3;

export const CollectorConfig = CollectorConfigFields.transform((c) => ({
  ...c,
  staleAfterMinutes: c.staleAfterMinutes ?? (STALE_AFTER_MISSED_HEARTBEATS * c.heartbeatSeconds) / 60,
}));
export type CollectorConfig = Readonly<z.infer<typeof CollectorConfig>>;
/** What callers may pass: every field optional, defaults filled in by `parseCollectorConfig`. */
export type CollectorConfigInput = z.input<typeof CollectorConfig>;

/** Parses and freezes a configuration; throws Error with a one-line reason naming the option. */
export function parseCollectorConfig(input: CollectorConfigInput): CollectorConfig {
  const r = CollectorConfig.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${i.path.join('.') || 'config'}: ${i.message}`);
  }
  if (r.data.requestTimeoutMs < r.data.headersTimeoutMs) {
    throw new Error(`requestTimeoutMs: expected at least headersTimeoutMs (${r.data.headersTimeoutMs}), got ${r.data.requestTimeoutMs}`);
  }
  if ((r.data.tlsCert === undefined) !== (r.data.tlsKey === undefined)) {
    throw new Error('tlsCert and tlsKey: give both or neither');
  }
  return Object.freeze(r.data);
}
