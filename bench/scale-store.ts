/**
 * Writes the bench fixture fleet (fleet-fixture.ts) into a collector data folder: the collector's own schema, made by
 * its own migrations, then bulk INSERTs in large transactions: machines (with their snapshot), agents (token
 * SHA-256, as agent-registry.ts stores them) and their seq high-water marks, KMS hosts (with kmsService) and each
 * host's client window (one 12290 entry per KMS client). No events or state history: a bench fixture, not a
 * recorded fleet.
 *
 * The core schema is applied up to the version this file was written against, the rows are written, then every
 * later core migration and the plug-ins' migrations run over them, as they would over an upgraded real store.
 */
import { createHash } from 'node:crypto';
import { openDatabase, migrate } from '../dashboard/server/store/database.js';
import { CORE_MIGRATIONS } from '../dashboard/server/store/core-migrations.js';
import { defaultPlugins } from '../dashboard/server/default-plugins.js';
import {
  agentIdOf,
  cmidOf,
  FleetSnapshots,
  hostnameOf,
  kindOf,
  kmsHostNameOf,
  kmsHostOf,
  machineIdOf,
  SEQ_BASE,
  tokenOf,
} from './fleet-fixture.js';

/** The core schema version whose tables the INSERTs below name. */
const FIXTURE_CORE_VERSION = 2;
const ROWS_PER_TRANSACTION = 50_000;
const DAY = 86_400_000;

export interface ScaleStoreResult {
  machines: number;
  kmsClients: number;
  seconds: number;
  bytes: number;
}

/** Yields to the event loop between transactions, so Ctrl-C is handled (and the folder removed) during a long build. */
const breathe = () => new Promise<void>((r) => setImmediate(r));

export async function buildScaleStore(dataDir: string, fleet: FleetSnapshots, onProgress?: (fraction: number) => void): Promise<ScaleStoreResult> {
  const started = performance.now();
  const { shape } = fleet;
  const db = openDatabase(dataDir);
  try {
    // A throwaway file: durability buys nothing here, and WAL checkpoints of a GB-sized file cost minutes.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1048576'); // 1 GiB
    migrate(db, 'core', CORE_MIGRATIONS.filter((m) => m.version <= FIXTURE_CORE_VERSION));

    const putMachine = db.prepare(`INSERT INTO machines (machine_id, agent_id, hostname, group_override, snapshot,
      last_report_at, last_received_at, enrolled_at, retired_at, retired_reason, replaced_by, last_kms_request)
      VALUES (?, ?, ?, NULL, ?, ?, ?, ?, NULL, NULL, NULL, NULL)`);
    const putAgent = db.prepare(`INSERT INTO agents (agent_id, machine_id, hostname, token_hash, enrolled_at, revoked_at,
      last_report_at) VALUES (?, ?, ?, ?, ?, NULL, ?)`);
    const putSeq = db.prepare('INSERT INTO agent_seqs (agent_id, epoch, last_seq) VALUES (?, 1, ?)');
    const putClient = db.prepare(`INSERT INTO kms_clients (host_id, cmid, client_fqdn, last_request_at, license_status,
      hresult, n_policy, is_vm, activation_id, minutes_to_expiry, requests) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)`);
    const putHost = db.prepare(`INSERT INTO kms_hosts (id, hostname, machine_id, kms_service, service_collected_at,
      last_request_at, dns_failure, last_dns_success_at, first_seen_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)`);

    const enrolledAt = shape.anchorMs - 60 * DAY;
    const clients: Array<[number, string, number]> = [];
    // One table at a time, in key order, so each B-tree only grows at its right edge; the token hashes' unique index
    // is the one written in random order, and the large page cache keeps it in memory.
    const writeMachines = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const at = fleet.lastReportAt(i);
        putMachine.run(machineIdOf(i), agentIdOf(i), hostnameOf(i, shape), fleet.json(i, new Date(at).toISOString()), at, at, enrolledAt + (i % DAY));
        const kind = kindOf(i, shape);
        if (kind !== 'kms-host' && kind !== 'mak-laptop') clients.push([kmsHostOf(i, shape), cmidOf(i), i]);
      }
    });
    const writeAgents = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const agentId = agentIdOf(i);
        putAgent.run(agentId, machineIdOf(i), hostnameOf(i, shape), createHash('sha256').update(tokenOf(i)).digest('hex'), enrolledAt + (i % DAY), fleet.lastReportAt(i));
        putSeq.run(agentId, SEQ_BASE);
      }
    });
    for (let from = 0; from < shape.machines; from += ROWS_PER_TRANSACTION) {
      writeMachines(from, Math.min(shape.machines, from + ROWS_PER_TRANSACTION));
      await breathe();
      onProgress?.(Math.min(shape.machines, from + ROWS_PER_TRANSACTION) / shape.machines / 2);
    }
    for (let from = 0; from < shape.machines; from += ROWS_PER_TRANSACTION) {
      writeAgents(from, Math.min(shape.machines, from + ROWS_PER_TRANSACTION));
      await breathe();
      onProgress?.((shape.machines + Math.min(shape.machines, from + ROWS_PER_TRANSACTION)) / shape.machines / 2);
    }

    // Each host's client window: the 12290 requests of the last week, one entry per client CMID, in key order.
    clients.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1));
    const writeClients = db.transaction((from: number, to: number) => {
      for (let k = from; k < to; k++) {
        const [h, cmid, i] = clients[k]!;
        const product = fleet.templates[kindOf(i, shape)].products.find((p) => p.primary)!;
        const server = kindOf(i, shape) === 'server';
        putClient.run(
          kmsHostNameOf(h),
          cmid,
          hostnameOf(i, shape),
          shape.anchorMs - (i % (7 * DAY)),
          fleet.statusOf(i),
          server ? 5 : 25,
          i % 10 === 3 ? 1 : 0,
          product.activationId,
          259_200,
          1 + (i % 20),
        );
      }
    });
    for (let from = 0; from < clients.length; from += ROWS_PER_TRANSACTION) {
      writeClients(from, Math.min(clients.length, from + ROWS_PER_TRANSACTION));
      await breathe();
    }

    db.transaction(() => {
      const service = fleet.templates['kms-host'].kmsService;
      for (let h = 0; h < shape.kmsHosts; h++) {
        const at = fleet.lastReportAt(h);
        putHost.run(kmsHostNameOf(h), kmsHostNameOf(h), machineIdOf(h), JSON.stringify(service ?? null), at, at - 60_000, at - 3_600_000, shape.anchorMs - 90 * DAY);
      }
    })();

    // Later core versions and the plug-ins' tables, over the rows, as at the upgrade of a real store.
    migrate(db, 'core', CORE_MIGRATIONS);
    for (const p of defaultPlugins()) if (p.migrations) migrate(db, p.name, p.migrations);
    db.pragma('journal_mode = WAL');
    const bytes = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
    return { machines: shape.machines, kmsClients: clients.length, seconds: (performance.now() - started) / 1000, bytes };
  } finally {
    db.close();
  }
}
