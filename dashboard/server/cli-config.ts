import { readFileSync } from 'node:fs';
import { parseCollectorConfig, type CollectorConfig, type CollectorConfigInput } from './config.js';

/** One option: its flag, its environment variable, its key in the config file, its default and what it does. */
export interface OptionSpec {
  key: keyof CollectorConfigInput;
  flag: string;
  env: string;
  default: string;
  help: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'host', flag: '--host', env: 'HOST', default: '127.0.0.1', help: 'interface to listen on (0.0.0.0 accepts agents from the network)' },
  { key: 'port', flag: '--port', env: 'PORT', default: '8080', help: 'TCP port (0 = any free port)' },
  { key: 'dataDir', flag: '--data', env: 'VAWATCH_DATA', default: './data', help: 'folder of the SQLite file vawatch.db' },
  { key: 'enrolmentSecret', flag: '--enrolment-secret', env: 'VAWATCH_ENROLMENT_SECRET', default: 'generated and printed at first start', help: 'secret agents present to enrol (≥ 12 characters); applied at every start' },
  { key: 'adminUsername', flag: '--admin-user', env: 'VAWATCH_ADMIN_USER', default: 'admin', help: 'first admin, created at first start' },
  { key: 'adminPassword', flag: '--admin-password', env: 'VAWATCH_ADMIN_PASSWORD', default: 'generated and printed at first start', help: "first admin's password (≥ 8 characters)" },
  { key: 'retentionDays', flag: '--retention-days', env: 'VAWATCH_RETENTION_DAYS', default: '90', help: 'events and state history older than this are pruned' },
  { key: 'auditRetentionDays', flag: '--audit-retention-days', env: 'VAWATCH_AUDIT_RETENTION_DAYS', default: '365', help: 'audit log entries older than this are pruned' },
  { key: 'auditMaxEntries', flag: '--audit-max-entries', env: 'VAWATCH_AUDIT_MAX_ENTRIES', default: '1000000', help: 'at most this many audit log entries are kept (oldest pruned first)' },
  { key: 'pruneCron', flag: '--prune-cron', env: 'VAWATCH_PRUNE_CRON', default: '17 3 * * *', help: 'when pruning runs (cron, UTC)' },
  { key: 'retireAfterDays', flag: '--retire-after-days', env: 'VAWATCH_RETIRE_AFTER_DAYS', default: '30', help: 'a machine silent this long is retired automatically' },
  { key: 'reenrolAfterSilentHours', flag: '--reenrol-after-hours', env: 'VAWATCH_REENROL_AFTER_HOURS', default: '24', help: 'a machine silent this long may be re-enrolled without its previous token' },
  { key: 'heartbeatSeconds', flag: '--heartbeat-seconds', env: 'VAWATCH_HEARTBEAT_SECONDS', default: '300', help: 'report interval agents are told to use, in every ack and enrolment answer (integer ≥ 10)' },
  { key: 'staleAfterMinutes', flag: '--stale-after-minutes', env: 'VAWATCH_STALE_AFTER_MINUTES', default: '3 heartbeats (15 with the default heartbeat)', help: 'a machine silent this long counts as stale (summary, AgentStale alert)' },
  { key: 'ingestCommitMs', flag: '--ingest-commit-ms', env: 'VAWATCH_INGEST_COMMIT_MS', default: '3', help: 'concurrent report requests share one SQLite transaction per this many ms (group commit); acks go out after it' },
  { key: 'bodyLimitBytes', flag: '--body-limit', env: 'VAWATCH_BODY_LIMIT', default: '1048576', help: 'largest request body in bytes (413 above)' },
  { key: 'headersTimeoutMs', flag: '--headers-timeout-ms', env: 'VAWATCH_HEADERS_TIMEOUT_MS', default: '10000', help: 'a client must send its request headers within this time (slowloris clients are cut off: 408)' },
  { key: 'requestTimeoutMs', flag: '--request-timeout-ms', env: 'VAWATCH_REQUEST_TIMEOUT_MS', default: '60000', help: 'and the whole request, body included (a trickled body is cut off); at least the headers timeout' },
  { key: 'keepAliveTimeoutMs', flag: '--keep-alive-timeout-ms', env: 'VAWATCH_KEEP_ALIVE_TIMEOUT_MS', default: '5000', help: 'idle keep-alive connections are closed after this time (set above a load balancer\'s idle timeout)' },
  { key: 'maxHeaderBytes', flag: '--max-header-bytes', env: 'VAWATCH_MAX_HEADER_BYTES', default: '16384', help: 'largest request line plus headers in bytes (431 above)' },
  { key: 'maxConnectionsPerAddress', flag: '--max-connections-per-address', env: 'VAWATCH_MAX_CONNECTIONS_PER_ADDRESS', default: '256', help: 'open connections one client address may hold (0 = no cap); the next gets 503 and is closed. Behind a reverse proxy every connection comes from it: use 0 and cap at the proxy' },
  { key: 'liveMaxMessageBytes', flag: '--live-max-message-bytes', env: 'VAWATCH_LIVE_MAX_MESSAGE_BYTES', default: '65536', help: 'largest message a dashboard socket may send (socket.io maxHttpBufferSize)' },
  { key: 'liveMaxQueuedBytes', flag: '--live-max-queued-bytes', env: 'VAWATCH_LIVE_MAX_QUEUED_BYTES', default: '16777216', help: 'a dashboard socket with more unsent bytes queued than this (a browser that stopped reading) is dropped' },
  { key: 'agentBurst', flag: '--agent-burst', env: 'VAWATCH_AGENT_BURST', default: '120', help: 'requests an agent may send in a burst…' },
  { key: 'agentRequestsPerSecond', flag: '--agent-rate', env: 'VAWATCH_AGENT_RATE', default: '10', help: '…and per second after it (429 + Retry-After beyond)' },
  { key: 'signInFailures', flag: '--sign-in-failures', env: 'VAWATCH_SIGN_IN_FAILURES', default: '5', help: 'failed sign-ins per (user name, address) within the window before 429; an address gets 4× across names, a name 20× across addresses (never counted against an address it signed in from)' },
  { key: 'signInWindowMinutes', flag: '--sign-in-window-minutes', env: 'VAWATCH_SIGN_IN_WINDOW_MINUTES', default: '15', help: 'window for counting failed sign-ins' },
  { key: 'sessionIdleHours', flag: '--session-idle-hours', env: 'VAWATCH_SESSION_IDLE_HOURS', default: '12', help: 'a session ends after this long unused' },
  { key: 'deltaIntervalMs', flag: '--delta-interval-ms', env: 'VAWATCH_DELTA_INTERVAL_MS', default: '250', help: 'live updates are coalesced and sent at most this often per room' },
  { key: 'tlsCert', flag: '--tls-cert', env: 'VAWATCH_TLS_CERT', default: 'none (plain HTTP)', help: 'PEM certificate file: serve HTTPS directly' },
  { key: 'tlsKey', flag: '--tls-key', env: 'VAWATCH_TLS_KEY', default: 'none', help: 'PEM private key file for --tls-cert' },
  { key: 'trustProxy', flag: '--trust-proxy', env: 'VAWATCH_TRUST_PROXY', default: 'false', help: 'trust X-Forwarded-* from a reverse proxy that terminates TLS' },
  { key: 'metricsToken', flag: '--metrics-token', env: 'VAWATCH_METRICS_TOKEN', default: 'none (open)', help: 'bearer token required on /metrics' },
  { key: 'metricsMachineSeries', flag: '--metrics-machine-series', env: 'VAWATCH_METRICS_MACHINE_SERIES', default: '10000', help: 'per-machine series on /metrics up to this many machines (0 = never); above it, aggregates only' },
  { key: 'metricsRefreshSeconds', flag: '--metrics-refresh-seconds', env: 'VAWATCH_METRICS_REFRESH_SECONDS', default: '15', help: 'how often the per-machine series and the expiry wave are recomputed' },
  { key: 'alertmanagerUrl', flag: '--alertmanager-url', env: 'VAWATCH_ALERTMANAGER_URL', default: 'none (no push)', help: 'Alertmanager to push the collector\'s alerts to, e.g. http://alertmanager:9093' },
  { key: 'publicUrl', flag: '--public-url', env: 'VAWATCH_PUBLIC_URL', default: 'http://127.0.0.1:PORT', help: 'the dashboard address people open (links in pushed alerts and webhooks)' },
  { key: 'ackSilenceHours', flag: '--ack-silence-hours', env: 'VAWATCH_ACK_SILENCE_HOURS', default: '24', help: 'an acknowledgement silences the alert in Alertmanager this long (0 = no silence)' },
  { key: 'webhookUrls', flag: '--webhooks', env: 'VAWATCH_WEBHOOKS', default: 'none', help: 'comma-separated URLs that receive every alert event as JSON (retried with backoff)' },
  { key: 'webhookSecret', flag: '--webhook-secret', env: 'VAWATCH_WEBHOOK_SECRET', default: 'none (unsigned)', help: 'HMAC-SHA256 key signing webhook bodies (X-Vawatch-Signature)' },
  { key: 'alertsConfig', flag: '--alerts-config', env: 'VAWATCH_ALERTS_CONFIG', default: 'none (catalogue defaults)', help: 'JSON file of alert thresholds, globally and per group (dashboard/alerts/README.md); thresholds an admin saved in the dashboard win over it' },
  { key: 'webDir', flag: '--web-dir', env: 'VAWATCH_WEB_DIR', default: 'dashboard/web/dist', help: 'built web UI to serve' },
];

/** Splits `--flag value` / `--flag=value` pairs; throws a one-line reason for anything it does not know. */
export function parseFlags(args: readonly string[], known: readonly string[]): { flags: Map<string, string>; rest: string[] } {
  const flags = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!known.includes(name)) throw new Error(`unknown option ${name} (see --help)`);
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new Error(`option ${name} needs a value`);
    flags.set(name, value);
  }
  return { flags, rest };
}

/**
 * Flags over environment over the config file over defaults. Throws Error with a one-line reason naming the option
 * the user wrote (flag, variable or file key).
 */
export function loadConfig(flags: Map<string, string>, env: NodeJS.ProcessEnv, defaults: Partial<CollectorConfigInput>): CollectorConfig {
  const file = flags.get('--config') ?? env.VAWATCH_CONFIG;
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`config file ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    try {
      fromFile = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new Error(`config file ${file}: not valid JSON`);
    }
    if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) throw new Error(`config file ${file}: expected a JSON object`);
    const keys = OPTIONS.map((o) => o.key as string);
    for (const k of Object.keys(fromFile)) if (!keys.includes(k)) throw new Error(`config file ${file}: unknown key "${k}" (known: ${keys.join(', ')})`);
  }
  const input: Record<string, unknown> = { ...defaults };
  const source = new Map<string, string>();
  for (const o of OPTIONS) {
    if (fromFile[o.key] !== undefined) {
      input[o.key] = fromFile[o.key];
      source.set(o.key, `${file}: ${o.key}`);
    }
    const e = env[o.env];
    if (e !== undefined && e !== '') {
      input[o.key] = e;
      source.set(o.key, o.env);
    }
    const f = flags.get(o.flag);
    if (f !== undefined) {
      input[o.key] = f;
      source.set(o.key, o.flag);
    }
  }
  try {
    return parseCollectorConfig(input as CollectorConfigInput);
  } catch (e) {
    const msg = (e as Error).message;
    const key = msg.split(':')[0]!;
    const where = source.get(key);
    throw new Error(where ? `${where}: ${msg.slice(key.length + 2)}` : msg);
  }
}

export function optionsHelp(): string {
  return OPTIONS.map((o) => `  ${`${o.flag} VALUE`.padEnd(30)} env ${o.env.padEnd(30)} default: ${o.default}\n  ${''.padEnd(30)} ${o.help}`).join('\n');
}
