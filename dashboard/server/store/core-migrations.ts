import type { Migration } from '../plugin.js';

/** The collector's own schema, numbered. Times are integer milliseconds since the epoch; snapshots are JSON. */
export const CORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'machines, agents, KMS hosts and their clients, events, state history, users, sessions, settings',
    up: `
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

      CREATE TABLE users (
        username TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL, last_sign_in_at INTEGER) WITHOUT ROWID;
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY, username TEXT NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE agents (
        agent_id TEXT PRIMARY KEY, machine_id TEXT NOT NULL, hostname TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
        enrolled_at INTEGER NOT NULL, revoked_at INTEGER, last_report_at INTEGER) WITHOUT ROWID;
      CREATE INDEX agents_by_machine ON agents (machine_id);
      CREATE TABLE agent_seqs (
        agent_id TEXT NOT NULL, epoch INTEGER NOT NULL, last_seq INTEGER NOT NULL,
        PRIMARY KEY (agent_id, epoch)) WITHOUT ROWID;

      CREATE TABLE machines (
        machine_id TEXT PRIMARY KEY, agent_id TEXT, hostname TEXT NOT NULL, group_override TEXT,
        snapshot TEXT, last_report_at INTEGER, last_received_at INTEGER, enrolled_at INTEGER NOT NULL,
        retired_at INTEGER, retired_reason TEXT, replaced_by TEXT) WITHOUT ROWID;

      CREATE TABLE kms_hosts (
        id TEXT PRIMARY KEY, hostname TEXT NOT NULL, machine_id TEXT, kms_service TEXT, service_collected_at INTEGER,
        last_request_at INTEGER, dns_failure TEXT, last_dns_success_at INTEGER, first_seen_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE kms_clients (
        host_id TEXT NOT NULL, cmid TEXT NOT NULL, client_fqdn TEXT NOT NULL, last_request_at INTEGER NOT NULL,
        license_status INTEGER NOT NULL, hresult INTEGER NOT NULL, n_policy INTEGER NOT NULL, is_vm INTEGER NOT NULL,
        activation_id TEXT NOT NULL, minutes_to_expiry INTEGER NOT NULL, requests INTEGER NOT NULL,
        PRIMARY KEY (host_id, cmid)) WITHOUT ROWID;
      CREATE TABLE kms_count_history (
        host_id TEXT NOT NULL, at INTEGER NOT NULL, current_count INTEGER,
        PRIMARY KEY (host_id, at)) WITHOUT ROWID;

      -- record_id is NULL for the collector's own events; the unique index drops an event an agent sends twice
      -- (e.g. after it lost its bookmark and started a new epoch).
      CREATE TABLE events (
        id INTEGER PRIMARY KEY, machine_id TEXT NOT NULL, log TEXT NOT NULL, provider TEXT NOT NULL,
        event_id INTEGER NOT NULL, record_id INTEGER, time INTEGER NOT NULL, received_at INTEGER NOT NULL,
        kind TEXT NOT NULL, payload TEXT NOT NULL);
      CREATE UNIQUE INDEX events_by_record ON events (machine_id, log, record_id);
      CREATE INDEX events_by_time ON events (time);

      CREATE TABLE state_history (
        machine_id TEXT NOT NULL, at INTEGER NOT NULL, activation_id TEXT NOT NULL, product_name TEXT NOT NULL,
        is_primary INTEGER NOT NULL, status INTEGER NOT NULL, status_reason INTEGER, grace_expires_at INTEGER);
      CREATE INDEX state_history_by_machine ON state_history (machine_id, at);
      CREATE INDEX state_history_by_time ON state_history (at);
    `,
  },
  {
    version: 2,
    description: "a machine's newest activation request (12288), for the KMS host it uses when Windows does not say",
    up: 'ALTER TABLE machines ADD COLUMN last_kms_request TEXT',
  },
  {
    version: 3,
    description: "a KMS host's count as its clients last heard it (12289) and its newest service failure (12291 / 12292)",
    up: 'ALTER TABLE kms_hosts ADD COLUMN seen_by_clients TEXT; ALTER TABLE kms_hosts ADD COLUMN service_failure TEXT',
  },
  {
    version: 4,
    description: 'API keys (SHA-256 of the secret part) and the audit log',
    up: `
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, key_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL, created_by TEXT NOT NULL, expires_at INTEGER,
        revoked_at INTEGER, revoked_by TEXT, last_used_at INTEGER, last_used_from TEXT) WITHOUT ROWID;
      -- A name names one live key; a revoked key keeps its row (and its name) for the audit trail.
      CREATE UNIQUE INDEX api_keys_live_name ON api_keys (lower(name)) WHERE revoked_at IS NULL;

      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, address TEXT NOT NULL,
        action TEXT NOT NULL, target TEXT, detail TEXT, outcome TEXT NOT NULL, status INTEGER NOT NULL);
      CREATE INDEX audit_log_by_time ON audit_log (at);
      CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
      CREATE INDEX audit_log_by_action ON audit_log (action, id);
    `,
  },
  {
    version: 5,
    description: 'agents newest enrolment first, for the paged agent list',
    up: 'CREATE INDEX agents_by_enrolment ON agents (enrolled_at, agent_id)',
  },
  {
    version: 6,
    description: "machines by effective group, for the events list's group filter",
    // Computed from the columns every writer already sets (the override, else the snapshot's group), so no writer
    // changes and a heartbeat, which writes neither, leaves the index alone. Replaces a group → machines map in memory.
    up: `
      ALTER TABLE machines ADD COLUMN effective_group TEXT
        GENERATED ALWAYS AS (coalesce(group_override, json_extract(snapshot, '$.group'), '')) VIRTUAL;
      CREATE INDEX machines_by_group ON machines (effective_group);
    `,
  },
];
