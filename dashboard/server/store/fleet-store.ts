import type Database from 'better-sqlite3';
import type { MachineSnapshot } from '../../../shared/protocol.js';
import type { KmsClientEntry, KmsHostState } from '../state/kms-host-state.js';
import { storedMachine, type KmsRequestSeen, type MachineState } from '../state/machine-state.js';
import type { StoredEvent } from '../state/state-change.js';
import { readRows } from './row-reader.js';

/** A machines row as `loadMachines` reads it: an array (no object per row at a million rows), in `MACHINE_COLUMNS` order. */
type MachineRow = [
  machineId: string,
  agentId: string | null,
  hostname: string,
  groupOverride: string | null,
  snapshot: string | null,
  lastReportAt: number | null,
  lastReceivedAt: number | null,
  enrolledAt: number,
  retiredAt: number | null,
  retiredReason: string | null,
  replacedBy: string | null,
  lastKmsRequest: string | null,
];
const MACHINE_COLUMNS = `machine_id, agent_id, hostname, group_override, snapshot, last_report_at, last_received_at, enrolled_at,
  retired_at, retired_reason, replaced_by, last_kms_request`;

interface KmsHostRow {
  id: string;
  hostname: string;
  machine_id: string | null;
  kms_service: string | null;
  service_collected_at: number | null;
  last_request_at: number | null;
  dns_failure: string | null;
  last_dns_success_at: number | null;
  first_seen_at: number;
  seen_by_clients: string | null;
  service_failure: string | null;
}
/** A kms_clients row as `loadKmsClients` reads it, in `KMS_CLIENT_COLUMNS` order. */
type KmsClientRow = [
  hostId: string,
  cmid: string,
  clientFqdn: string,
  lastRequestAt: number,
  licenseStatus: number,
  hresult: number,
  nPolicy: number,
  isVm: number,
  activationId: string,
  minutesToExpiry: number,
  requests: number,
];
const KMS_CLIENT_COLUMNS =
  'host_id, cmid, client_fqdn, last_request_at, license_status, hresult, n_policy, is_vm, activation_id, minutes_to_expiry, requests';

export interface EventRow {
  id: number;
  machine_id: string;
  log: string;
  provider: string;
  event_id: number;
  record_id: number | null;
  time: number;
  received_at: number;
  kind: string;
  payload: string;
}
export interface StateHistoryRow {
  machine_id: string;
  at: number;
  activation_id: string;
  product_name: string;
  is_primary: number;
  status: number;
  status_reason: number | null;
  grace_expires_at: number | null;
}

/** A new event to store; `recordId` null for the collector's own. */
export type NewEvent = Omit<StoredEvent, 'id' | 'recordId'> & { recordId: number | null };

/**
 * The fleet's tables: prepared statements for the hot path (called inside the caller's transaction) and the
 * loaders that rebuild the in-memory state at start.
 */
export class FleetStore {
  readonly db: Database.Database;
  #upsertMachine: Database.Statement;
  #touchMachine: Database.Statement;
  #upsertKmsHost: Database.Statement;
  #upsertKmsClient: Database.Statement;
  #deleteKmsClient: Database.Statement;
  #insertCount: Database.Statement;
  #insertEvent: Database.Statement;
  #insertHistory: Database.Statement;

  constructor(db: Database.Database) {
    this.db = db;
    this.#upsertMachine = db.prepare(`INSERT INTO machines (machine_id, agent_id, hostname, group_override, snapshot,
        last_report_at, last_received_at, enrolled_at, retired_at, retired_reason, replaced_by, last_kms_request)
      VALUES (@machine_id, @agent_id, @hostname, @group_override, @snapshot, @last_report_at, @last_received_at,
        @enrolled_at, @retired_at, @retired_reason, @replaced_by, @last_kms_request)
      ON CONFLICT (machine_id) DO UPDATE SET agent_id = excluded.agent_id, hostname = excluded.hostname,
        group_override = excluded.group_override, snapshot = excluded.snapshot, last_report_at = excluded.last_report_at,
        last_received_at = excluded.last_received_at, enrolled_at = excluded.enrolled_at, retired_at = excluded.retired_at,
        retired_reason = excluded.retired_reason, replaced_by = excluded.replaced_by,
        last_kms_request = excluded.last_kms_request`);
    this.#touchMachine = db.prepare('UPDATE machines SET last_report_at = ?, last_received_at = ? WHERE machine_id = ?');
    this.#upsertKmsHost = db.prepare(`INSERT INTO kms_hosts (id, hostname, machine_id, kms_service, service_collected_at,
        last_request_at, dns_failure, last_dns_success_at, first_seen_at, seen_by_clients, service_failure)
      VALUES (@id, @hostname, @machine_id, @kms_service, @service_collected_at, @last_request_at, @dns_failure,
        @last_dns_success_at, @first_seen_at, @seen_by_clients, @service_failure)
      ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, machine_id = excluded.machine_id,
        kms_service = excluded.kms_service, service_collected_at = excluded.service_collected_at,
        last_request_at = excluded.last_request_at, dns_failure = excluded.dns_failure,
        last_dns_success_at = excluded.last_dns_success_at, seen_by_clients = excluded.seen_by_clients,
        service_failure = excluded.service_failure`);
    this.#upsertKmsClient = db.prepare(`INSERT INTO kms_clients (host_id, cmid, client_fqdn, last_request_at,
        license_status, hresult, n_policy, is_vm, activation_id, minutes_to_expiry, requests)
      VALUES (@host_id, @cmid, @client_fqdn, @last_request_at, @license_status, @hresult, @n_policy, @is_vm,
        @activation_id, @minutes_to_expiry, @requests)
      ON CONFLICT (host_id, cmid) DO UPDATE SET client_fqdn = excluded.client_fqdn,
        last_request_at = excluded.last_request_at, license_status = excluded.license_status, hresult = excluded.hresult,
        n_policy = excluded.n_policy, is_vm = excluded.is_vm, activation_id = excluded.activation_id,
        minutes_to_expiry = excluded.minutes_to_expiry, requests = excluded.requests`);
    this.#deleteKmsClient = db.prepare('DELETE FROM kms_clients WHERE host_id = ? AND cmid = ?');
    this.#insertCount = db.prepare(
      'INSERT OR REPLACE INTO kms_count_history (host_id, at, current_count) VALUES (?, ?, ?)',
    );
    this.#insertEvent = db.prepare(`INSERT OR IGNORE INTO events (machine_id, log, provider, event_id, record_id, time,
        received_at, kind, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#insertHistory = db.prepare(`INSERT INTO state_history (machine_id, at, activation_id, product_name, is_primary,
        status, status_reason, grace_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  // ---- writes (inside the caller's transaction) ----

  putMachine(m: MachineState): void {
    this.#upsertMachine.run({
      machine_id: m.machineId,
      agent_id: m.agentId,
      hostname: m.hostname,
      group_override: m.groupOverride,
      snapshot: m.snapshot ? JSON.stringify(m.snapshot) : null,
      last_report_at: m.lastReportAt,
      last_received_at: m.lastReceivedAt,
      enrolled_at: m.enrolledAt,
      retired_at: m.retired?.at ?? null,
      retired_reason: m.retired?.reason ?? null,
      replaced_by: m.retired?.replacedBy ?? null,
      last_kms_request: m.lastKmsRequest ? JSON.stringify(m.lastKmsRequest) : null,
    });
  }

  /** A heartbeat: only the report times change, so the snapshot JSON is not written again. */
  touchMachine(machineId: string, lastReportAt: number | null, lastReceivedAt: number | null): void {
    this.#touchMachine.run(lastReportAt, lastReceivedAt, machineId);
  }

  putKmsHost(h: KmsHostState): void {
    this.#upsertKmsHost.run({
      id: h.id,
      hostname: h.hostname,
      machine_id: h.machineId,
      kms_service: h.kmsService ? JSON.stringify(h.kmsService) : null,
      service_collected_at: h.serviceCollectedAt,
      last_request_at: h.lastRequestAt,
      dns_failure: h.dnsFailure ? JSON.stringify(h.dnsFailure) : null,
      last_dns_success_at: h.lastDnsSuccessAt,
      first_seen_at: h.firstSeenAt,
      seen_by_clients: h.seenByClients ? JSON.stringify(h.seenByClients) : null,
      service_failure: h.serviceFailure ? JSON.stringify(h.serviceFailure) : null,
    });
  }

  putKmsClient(hostId: string, c: KmsClientEntry): void {
    this.#upsertKmsClient.run({
      host_id: hostId,
      cmid: c.cmid,
      client_fqdn: c.clientFqdn,
      last_request_at: c.lastRequestAt,
      license_status: c.licenseStatus,
      hresult: c.hresult,
      n_policy: c.nPolicy,
      is_vm: c.isVm ? 1 : 0,
      activation_id: c.activationId,
      minutes_to_expiry: c.minutesToExpiry,
      requests: c.requests,
    });
  }

  deleteKmsClient(hostId: string, cmid: string): void {
    this.#deleteKmsClient.run(hostId, cmid);
  }

  addCountPoint(hostId: string, at: number, count: number | null): void {
    this.#insertCount.run(hostId, at, count);
  }

  /** Stores an event; returns it with its id, or null when the same record was already stored. */
  addEvent(e: NewEvent): StoredEvent | null {
    const r = this.#insertEvent.run(
      e.machineId,
      e.log,
      e.provider,
      e.eventId,
      e.recordId,
      e.time,
      e.receivedAt,
      e.payload.kind,
      JSON.stringify(e.payload),
    );
    if (r.changes === 0) return null;
    return { ...e, id: Number(r.lastInsertRowid), recordId: e.recordId ?? 0 };
  }

  addHistory(machineId: string, at: number, p: { activationId: string; name: string; primary: boolean; licenseStatus: number; licenseStatusReason: number | null; graceExpiresAt: string | null }): void {
    this.#insertHistory.run(
      machineId,
      at,
      p.activationId,
      p.name,
      p.primary ? 1 : 0,
      p.licenseStatus,
      p.licenseStatusReason,
      p.graceExpiresAt === null ? null : Date.parse(p.graceExpiresAt),
    );
  }

  // ---- loading ----

  /**
   * Every machine, a chunk at a time (a million rows are never held at once), the rows read by a second thread
   * (row-reader.ts). The stored columns by name: `*` would also compute the generated `effective_group`, a json_extract
   * of every snapshot (~4.5 s at a million machines).
   */
  async *loadMachines(): AsyncGenerator<MachineState[]> {
    for await (const rows of readRows<MachineRow>(this.db, `SELECT ${MACHINE_COLUMNS} FROM machines`)) yield rows.map(machineFromRow);
  }

  loadKmsHosts(): KmsHostState[] {
    const rows = this.db.prepare('SELECT * FROM kms_hosts').all() as KmsHostRow[];
    return rows.map((r) => ({
      id: r.id,
      hostname: r.hostname,
      machineId: r.machine_id,
      kmsService: r.kms_service ? JSON.parse(r.kms_service) : null,
      serviceCollectedAt: r.service_collected_at,
      lastRequestAt: r.last_request_at,
      dnsFailure: r.dns_failure ? JSON.parse(r.dns_failure) : null,
      lastDnsSuccessAt: r.last_dns_success_at,
      firstSeenAt: r.first_seen_at,
      seenByClients: r.seen_by_clients ? JSON.parse(r.seen_by_clients) : null,
      serviceFailure: r.service_failure ? JSON.parse(r.service_failure) : null,
    }));
  }

  /** A chunk at a time, like the machines: a million rows held at once would be a few hundred MB more at start. */
  async *loadKmsClients(): AsyncGenerator<Array<{ hostId: string; entry: KmsClientEntry }>> {
    for await (const rows of readRows<KmsClientRow>(this.db, `SELECT ${KMS_CLIENT_COLUMNS} FROM kms_clients`)) {
      yield rows.map((r) => ({ hostId: r[0], entry: clientFromRow(r) }));
    }
  }

  // ---- reads for the API ----

  eventsOfMachine(machineId: string, limit: number): EventRow[] {
    return this.db
      .prepare('SELECT * FROM events WHERE machine_id = ? ORDER BY time DESC, id DESC LIMIT ?')
      .all(machineId, limit) as EventRow[];
  }

  historyOfMachine(machineId: string, limit = 2000): StateHistoryRow[] {
    return this.db
      .prepare(
        'SELECT * FROM (SELECT * FROM state_history WHERE machine_id = ? ORDER BY at DESC LIMIT ?) ORDER BY at ASC',
      )
      .all(machineId, limit) as StateHistoryRow[];
  }

  countHistory(hostId: string, limit = 5000): Array<{ at: number; current_count: number | null }> {
    return this.db
      .prepare(
        'SELECT * FROM (SELECT at, current_count FROM kms_count_history WHERE host_id = ? ORDER BY at DESC LIMIT ?) ORDER BY at ASC',
      )
      .all(hostId, limit) as Array<{ at: number; current_count: number | null }>;
  }
}

function clientFromRow(r: KmsClientRow): KmsClientEntry {
  const [, cmid, clientFqdn, lastRequestAt, licenseStatus, hresult, nPolicy, isVm, activationId, minutesToExpiry, requests] = r;
  return { cmid, clientFqdn, lastRequestAt, licenseStatus, hresult, nPolicy, isVm: isVm === 1, activationId, minutesToExpiry, requests };
}

function machineFromRow(r: MachineRow): MachineState {
  const [machineId, agentId, hostname, groupOverride, snapshot, lastReportAt, lastReceivedAt, enrolledAt] = r;
  const retiredAt = r[8];
  const lastKmsRequest = r[11];
  return storedMachine(
    {
      machineId,
      agentId,
      hostname,
      groupOverride,
      lastKmsRequest: lastKmsRequest ? (JSON.parse(lastKmsRequest) as KmsRequestSeen) : null,
      lastReportAt,
      lastReceivedAt,
      enrolledAt,
      retired: retiredAt === null ? null : { at: retiredAt, reason: r[9] ?? '', replacedBy: r[10] },
    },
    snapshot ? (JSON.parse(snapshot) as MachineSnapshot) : null,
  );
}
