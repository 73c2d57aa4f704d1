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
  readonly seqs: SeqMarks;
}

/**
 * The highest stored seq per epoch of one agent. Nearly every agent only ever has one epoch, so that one is two
 * numbers on the object; a Map appears only with a second epoch (a Map per agent is ~175 MB at a million agents).
 */
export class SeqMarks {
  #epoch = 0;
  #seq = 0;
  #more: Map<number, number> | null = null;

  get(epoch: number): number | undefined {
    if (epoch === this.#epoch) return this.#seq;
    return this.#more?.get(epoch);
  }
  set(epoch: number, seq: number): void {
    if (this.#epoch === 0 || epoch === this.#epoch) {
      this.#epoch = epoch;
      this.#seq = seq;
    } else {
      (this.#more ??= new Map()).set(epoch, seq);
    }
  }
}

/** Where a page of the agent list ends: the last agent it showed. */
export interface AgentCursor {
  readonly enrolledAt: number;
  readonly agentId: string;
}

/** A row of `agents` as read at start: agent_id, machine_id, hostname, token_hash, enrolled_at, revoked_at, last_report_at. */
type AgentRow = [string, string, string, string, number, number | null, number | null];
/** A row of `agent_seqs`: agent_id, epoch, last_seq. */
type SeqRow = [string, number, number];

const SECRET_KEY = 'enrolment_secret_sha256';

/**
 * Enrolled agents, their token hashes and seq high-water marks, and the enrolment secret (stored as its SHA-256).
 * Writes go to SQLite inside the caller's transaction; call the matching `apply…` after it committed.
 */
export class AgentRegistry {
  #db: Database.Database;
  #agents = new Map<string, AgentRecord>();
  // Records, not ids: one lookup per request. A record is replaced only by applyAgent and applyRevoked, which keep
  // these maps in step.
  #byToken = new Map<string, AgentRecord>();
  // The current agent of machines enrolled since start; older ones come from the agents_by_machine index (enrolment
  // and retirement only), which spares a third million-entry map at start.
  #enrolledSinceStart = new Map<string, AgentRecord>();
  #newestOfMachine: Database.Statement;
  #firstPage: Database.Statement;
  #pageAfter: Database.Statement;
  #secretHash: string | null;
  #putSeq: Database.Statement;
  #putLastReport: Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#putSeq = db.prepare(
      'INSERT INTO agent_seqs (agent_id, epoch, last_seq) VALUES (?, ?, ?) ON CONFLICT (agent_id, epoch) DO UPDATE SET last_seq = excluded.last_seq',
    );
    this.#putLastReport = db.prepare('UPDATE agents SET last_report_at = ? WHERE agent_id = ?');
    this.#newestOfMachine = db.prepare('SELECT agent_id FROM agents WHERE machine_id = ? ORDER BY enrolled_at DESC LIMIT 1');
    this.#firstPage = db.prepare('SELECT agent_id FROM agents ORDER BY enrolled_at DESC, agent_id DESC LIMIT ?').pluck();
    this.#pageAfter = db
      .prepare(
        `SELECT agent_id FROM agents WHERE enrolled_at < ? OR (enrolled_at = ? AND agent_id < ?)
         ORDER BY enrolled_at DESC, agent_id DESC LIMIT ?`,
      )
      .pluck();
    // One pass over both tables at once, rows as arrays, no sort: at a million agents this is on the start-up's
    // critical path. Both are keyed by agent_id, so their rows come in the same order and a seq row is matched to its
    // agent without a lookup; one that is not (another collation order, an orphan) is applied by id at the end.
    const agents = db
      .prepare('SELECT agent_id, machine_id, hostname, token_hash, enrolled_at, revoked_at, last_report_at FROM agents')
      .raw(true);
    const seqRows = db.prepare('SELECT agent_id, epoch, last_seq FROM agent_seqs').raw(true).iterate() as IterableIterator<SeqRow>;
    const unmatched: SeqRow[] = [];
    let s = seqRows.next();
    for (const r of agents.iterate() as IterableIterator<AgentRow>) {
      const seqs = new SeqMarks();
      while (!s.done && s.value[0] < r[0]) {
        unmatched.push(s.value);
        s = seqRows.next();
      }
      while (!s.done && s.value[0] === r[0]) {
        seqs.set(s.value[1], s.value[2]);
        s = seqRows.next();
      }
      this.#remember({
        agentId: r[0],
        machineId: r[1],
        hostname: r[2],
        tokenHash: r[3],
        enrolledAt: r[4],
        revokedAt: r[5],
        lastReportAt: r[6],
        seqs,
      });
    }
    for (; !s.done; s = seqRows.next()) unmatched.push(s.value);
    for (const [agentId, epoch, seq] of unmatched) this.#agents.get(agentId)?.seqs.set(epoch, seq);
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
    return this.#byToken.get(sha256(token));
  }
  get(agentId: string): AgentRecord | undefined {
    return this.#agents.get(agentId);
  }
  /** The newest agent enrolled for a machine (revoked or not). */
  currentOf(machineId: string): AgentRecord | undefined {
    const recent = this.#enrolledSinceStart.get(machineId);
    if (recent) return recent;
    const row = this.#newestOfMachine.get(machineId) as { agent_id: string } | undefined;
    return row ? this.#agents.get(row.agent_id) : undefined;
  }
  /** How many agents have enrolled (revoked ones included). */
  get size(): number {
    return this.#agents.size;
  }
  /**
   * One page of agents, newest enrolment first, from the `agents_by_enrolment` index: `limit` rows after the cursor
   * (the last row of the previous page), never a sort of every agent. `next` is the cursor of the page after, or null.
   */
  page(opts: { limit: number; after?: AgentCursor }): { items: AgentInfo[]; next: AgentCursor | null } {
    const rows = (
      opts.after
        ? this.#pageAfter.all(opts.after.enrolledAt, opts.after.enrolledAt, opts.after.agentId, opts.limit + 1)
        : this.#firstPage.all(opts.limit + 1)
    ) as string[];
    const items: AgentInfo[] = [];
    let next: AgentCursor | null = null;
    for (const id of rows.slice(0, opts.limit)) {
      const a = this.#agents.get(id);
      if (a) items.push(agentInfo(a));
    }
    const last = rows.length > opts.limit ? this.#agents.get(rows[opts.limit - 1]!) : undefined;
    if (last) next = { enrolledAt: last.enrolledAt, agentId: last.agentId };
    return { items, next };
  }
  /** One agent as the API shows it (O(1), unlike finding it in `list()`). */
  info(agentId: string): AgentInfo | undefined {
    const a = this.#agents.get(agentId);
    return a && agentInfo(a);
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
    const next = old ? { ...a, seqs: old.seqs, lastReportAt: old.lastReportAt } : a;
    this.#remember(next);
    // An enrolment always makes its agent the machine's current one.
    this.#enrolledSinceStart.set(a.machineId, next);
  }
  applyRevoked(agentId: string, at: number): void {
    const a = this.#agents.get(agentId);
    if (!a || a.revokedAt !== null) return;
    this.#byToken.delete(a.tokenHash);
    const next = { ...a, revokedAt: at };
    this.#agents.set(agentId, next);
    if (this.#enrolledSinceStart.get(a.machineId) === a) this.#enrolledSinceStart.set(a.machineId, next);
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
    if (a.revokedAt === null) this.#byToken.set(a.tokenHash, a);
  }
}

function agentInfo(a: AgentRecord): AgentInfo {
  return {
    agentId: a.agentId,
    machineId: a.machineId,
    hostname: a.hostname,
    enrolledAt: new Date(a.enrolledAt).toISOString(),
    lastReportAt: a.lastReportAt === null ? null : new Date(a.lastReportAt).toISOString(),
    revokedAt: a.revokedAt === null ? null : new Date(a.revokedAt).toISOString(),
  };
}
