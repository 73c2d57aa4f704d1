import type Database from 'better-sqlite3';
import type { AgentInfo } from '../../../shared/api.js';
import { newSecret, sameSecret, sha256 } from './secrets.js';

export interface AgentRecord {
  readonly agentId: string;
  readonly machineId: string;
  readonly hostname: string;
  readonly tokenHash: string;
  readonly enrolledAt: number;
  readonly revokedAt: number | null;
  lastReportAt: number | null;
  /** Highest seq stored per epoch: the idempotence key is (agent, epoch, seq). */
  readonly seqs: Map<number, number>;
}

/** A row of `agents` as read at start: agent_id, machine_id, hostname, token_hash, enrolled_at, revoked_at, last_report_at. */
type AgentRow = [string, string, string, string, number, number | null, number | null];

const SECRET_KEY = 'enrolment_secret_sha256';

/**
 * Enrolled agents, their token hashes and seq high-water marks, and the enrolment secret (stored as its SHA-256).
 * Writes go to SQLite inside the caller's transaction; call the matching `apply…` after it committed.
 */
export class AgentRegistry {
  #db: Database.Database;
  #agents = new Map<string, AgentRecord>();
  #byToken = new Map<string, string>();
  #byMachine = new Map<string, string>();
  #secretHash: string | null;
  #putSeq: Database.Statement;
  #putLastReport: Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#putSeq = db.prepare(
      'INSERT INTO agent_seqs (agent_id, epoch, last_seq) VALUES (?, ?, ?) ON CONFLICT (agent_id, epoch) DO UPDATE SET last_seq = excluded.last_seq',
    );
    this.#putLastReport = db.prepare('UPDATE agents SET last_report_at = ? WHERE agent_id = ?');
    // One pass over each table, rows as arrays, no sort: at a million agents this is the start-up's critical path.
    // (#remember keeps the newest agent per machine whatever the order.)
    const agents = db
      .prepare('SELECT agent_id, machine_id, hostname, token_hash, enrolled_at, revoked_at, last_report_at FROM agents')
      .raw(true);
    for (const r of agents.iterate() as IterableIterator<AgentRow>) {
      this.#remember({
        agentId: r[0],
        machineId: r[1],
        hostname: r[2],
        tokenHash: r[3],
        enrolledAt: r[4],
        revokedAt: r[5],
        lastReportAt: r[6],
        seqs: new Map(),
      });
    }
    const seqs = db.prepare('SELECT agent_id, epoch, last_seq FROM agent_seqs').raw(true);
    for (const [agentId, epoch, seq] of seqs.iterate() as IterableIterator<[string, number, number]>) {
      this.#agents.get(agentId)?.seqs.set(epoch, seq);
    }
    const secret = db.prepare('SELECT value FROM settings WHERE key = ?').get(SECRET_KEY) as { value: string } | undefined;
    this.#secretHash = secret?.value ?? null;
  }

  // ---- enrolment secret ----

  /** Sets the secret from configuration, or generates one at first start; returns it when generated (print it once). */
  ensureSecret(configured: string | undefined): string | undefined {
    if (configured !== undefined) {
      this.#setSecret(configured);
      return undefined;
    }
    if (this.#secretHash) return undefined;
    const s = newSecret(18);
    this.#setSecret(s);
    return s;
  }

  /** A new secret; agents already enrolled keep their tokens. */
  rotateSecret(): string {
    const s = newSecret(18);
    this.#setSecret(s);
    return s;
  }

  secretMatches(secret: string): boolean {
    return this.#secretHash !== null && sameSecret(secret, this.#secretHash);
  }

  #setSecret(secret: string): void {
    this.#secretHash = sha256(secret);
    this.#db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(SECRET_KEY, this.#secretHash);
  }

  // ---- agents ----

  byToken(token: string): AgentRecord | undefined {
    const id = this.#byToken.get(sha256(token));
    return id === undefined ? undefined : this.#agents.get(id);
  }
  get(agentId: string): AgentRecord | undefined {
    return this.#agents.get(agentId);
  }
  /** The newest agent enrolled for a machine (revoked or not). */
  currentOf(machineId: string): AgentRecord | undefined {
    const id = this.#byMachine.get(machineId);
    return id === undefined ? undefined : this.#agents.get(id);
  }
  list(): AgentInfo[] {
    return [...this.#agents.values()]
      .sort((a, b) => b.enrolledAt - a.enrolledAt)
      .map((a) => ({
        agentId: a.agentId,
        machineId: a.machineId,
        hostname: a.hostname,
        enrolledAt: new Date(a.enrolledAt).toISOString(),
        lastReportAt: a.lastReportAt === null ? null : new Date(a.lastReportAt).toISOString(),
        revokedAt: a.revokedAt === null ? null : new Date(a.revokedAt).toISOString(),
      }));
  }

  /** Writes a new agent (in the caller's transaction). */
  writeAgent(a: AgentRecord): void {
    this.#db
      .prepare(
        `INSERT INTO agents (agent_id, machine_id, hostname, token_hash, enrolled_at, revoked_at, last_report_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (agent_id) DO UPDATE SET token_hash = excluded.token_hash, revoked_at = excluded.revoked_at,
           hostname = excluded.hostname`,
      )
      .run(a.agentId, a.machineId, a.hostname, a.tokenHash, a.enrolledAt, a.revokedAt, a.lastReportAt);
  }
  writeRevoked(agentId: string, at: number): void {
    this.#db.prepare('UPDATE agents SET revoked_at = ? WHERE agent_id = ? AND revoked_at IS NULL').run(at, agentId);
  }
  writeSeq(agentId: string, epoch: number, seq: number): void {
    this.#putSeq.run(agentId, epoch, seq);
  }
  writeLastReport(agentId: string, at: number): void {
    this.#putLastReport.run(at, agentId);
  }

  /** After commit: remembers a new or re-tokened agent. */
  applyAgent(a: AgentRecord): void {
    const old = this.#agents.get(a.agentId);
    if (old) this.#byToken.delete(old.tokenHash);
    this.#remember(old ? { ...a, seqs: old.seqs, lastReportAt: old.lastReportAt } : a);
  }
  applyRevoked(agentId: string, at: number): void {
    const a = this.#agents.get(agentId);
    if (!a || a.revokedAt !== null) return;
    this.#byToken.delete(a.tokenHash);
    this.#agents.set(agentId, { ...a, revokedAt: at });
  }
  applySeq(agentId: string, epoch: number, seq: number): void {
    this.#agents.get(agentId)?.seqs.set(epoch, seq);
  }
  applyLastReport(agentId: string, at: number): void {
    const a = this.#agents.get(agentId);
    if (a) a.lastReportAt = at;
  }

  #remember(a: AgentRecord): void {
    this.#agents.set(a.agentId, a);
    if (a.revokedAt === null) this.#byToken.set(a.tokenHash, a.agentId);
    const current = this.#byMachine.get(a.machineId);
    const cur = current === undefined ? undefined : this.#agents.get(current);
    if (!cur || cur.agentId === a.agentId || cur.enrolledAt <= a.enrolledAt) this.#byMachine.set(a.machineId, a.agentId);
  }
}
