import type Database from 'better-sqlite3';
import type { AgentInfo } from '../../../shared/api.js';
import { newSecret, sameSecret, sha256, sha256Bytes } from './secrets.js';

export interface AgentRecord {
  readonly agentId: string;
  readonly machineId: string;
  readonly hostname: string;
  /** SHA-256 of the agent's token, hex. */
  readonly tokenHash: string;
  readonly enrolledAt: number;
  readonly revokedAt: number | null;
  lastReportAt: number | null;
  /** Highest seq stored per epoch: the idempotence key is (agent, epoch, seq). */
  readonly seqs: EpochSeqs;
}

/** The highest stored seq per epoch of one agent. */
export interface EpochSeqs {
  get(epoch: number): number | undefined;
  set(epoch: number, seq: number): void;
}

// The marks of epochs after an agent's first (rare: an agent whose state was reset), kept off the objects.
const laterEpochs = new WeakMap<SeqMarks, Map<number, number>>();

/**
 * The highest stored seq per epoch, standalone (for a record made outside the registry, e.g. at enrolment). Nearly
 * every agent only ever has one epoch, so that one is two numbers on the object; later ones go to `laterEpochs`.
 * An unset epoch is 0 (agents count epochs from 1).
 */
export class SeqMarks implements EpochSeqs {
  protected epoch = 0;
  protected seq = 0;

  get(epoch: number): number | undefined {
    if (epoch === this.epoch) return this.seq;
    return laterEpochs.get(this)?.get(epoch);
  }
  set(epoch: number, seq: number): void {
    if (this.epoch === 0 || epoch === this.epoch) {
      this.epoch = epoch;
      this.seq = seq;
      return;
    }
    let later = laterEpochs.get(this);
    if (!later) laterEpochs.set(this, (later = new Map()));
    later.set(epoch, seq);
  }
  /** Takes over the marks of `from` (a record being replaced). */
  takeSeqsOf(from: SeqMarks): void {
    this.epoch = from.epoch;
    this.seq = from.seq;
    const later = laterEpochs.get(from);
    if (later) laterEpochs.set(this, later);
  }
}

/** Reads an agent's stored token hash (hex) by its id. */
type TokenHashOf = (agentId: string) => string;

/**
 * An agent as the registry holds it, a million times over (~165 bytes each with the id map at start): one object with
 * the seq marks folded in (it is its own `seqs`). Its id, machine id and host name are the fleet state's own strings
 * when they match (see the registry's constructor). Immutable but for the last report and the seq marks: a new token
 * or a revocation makes a new object. The token hash is not held; `tokenHash` reads it (an enrolment with the
 * previous token).
 */
class Agent extends SeqMarks implements AgentRecord {
  constructor(
    readonly tokenHashOf: TokenHashOf,
    readonly agentId: string,
    readonly machineId: string,
    readonly hostname: string,
    readonly enrolledAt: number,
    readonly revokedAt: number | null,
    public lastReportAt: number | null,
  ) {
    super();
  }

  get tokenHash(): string {
    return this.tokenHashOf(this.agentId);
  }
  get seqs(): EpochSeqs {
    return this;
  }

  /** The same agent, revoked at `at`; it carries the seq marks over. */
  revoked(at: number): Agent {
    const next = new Agent(this.tokenHashOf, this.agentId, this.machineId, this.hostname, this.enrolledAt, at, this.lastReportAt);
    next.takeSeqsOf(this);
    return next;
  }
}

/** A machine's own id, agent id and host name strings, to share instead of holding second copies (FleetState). */
export interface MachineStrings {
  machine(machineId: string): { readonly machineId: string; readonly agentId: string | null; readonly hostname: string } | undefined;
}

/** Where a page of the agent list ends: the last agent it showed. */
export interface AgentCursor {
  readonly enrolledAt: number;
  readonly agentId: string;
}

/**
 * An agent's row as `#agent` and `byToken` read it: agent_id, machine_id, hostname, enrolled_at, revoked_at,
 * last_report_at, and one epoch's epoch and last_seq (null without any); one row per epoch.
 */
type AgentRow = [string, string, string, number, number | null, number | null, number | null, number | null];

const AGENT_WITH_SEQS = `SELECT a.agent_id, a.machine_id, a.hostname, a.enrolled_at, a.revoked_at, a.last_report_at, s.epoch, s.last_seq
  FROM agents a LEFT JOIN agent_seqs s ON s.agent_id = a.agent_id`;

const SECRET_KEY = 'enrolment_secret_sha256';

/**
 * Enrolled agents, their token hashes and seq high-water marks, and the enrolment secret (stored as its SHA-256).
 * Writes go to SQLite inside the caller's transaction; call the matching `apply…` after it committed.
 *
 * Agents are read from SQLite when first needed (an agent's first request after start, an enrolment, a page of the
 * agent list) and kept from then on: nothing is loaded at start, where a million agents cost ~8 s and ~165 MB before
 * the first of them reports. The records held mirror committed rows: one read inside a transaction (which may see its
 * own uncommitted writes) is handed out but not kept.
 */
export class AgentRegistry {
  #db: Database.Database;
  /** The agents read so far, by id. */
  #agents = new Map<string, Agent>();
  // Agents by the bytes of their token's hash (a one-byte string: 48 bytes on the heap, not 80 for the hex), filled
  // as tokens are presented: the first request of an agent finds it in SQLite's unique token index, the next ones
  // here (~0.3 µs). An entry whose record was since replaced (new token, revoked) is stale and is dropped when met.
  #byToken = new Map<string, Agent>();
  #byTokenHash: Database.Statement;
  #byId: Database.Statement;
  #exists: Database.Statement;
  #tokenHashOf: TokenHashOf;
  #machines: MachineStrings | undefined;
  /** Agents in SQLite: counted once at start, then one more per new agent applied. */
  #count: number;
  /** Agents written as new rows by a transaction not yet applied (`size` counts them once applied). */
  #inserted = new Set<string>();
  // The current agent of machines enrolled since start; older ones come from the agents_by_machine index (enrolment
  // and retirement only), which spares a million-entry map.
  #enrolledSinceStart = new Map<string, Agent>();
  #newestOfMachine: Database.Statement;
  #firstPage: Database.Statement;
  #pageAfter: Database.Statement;
  #secretHash: string | null;
  #putSeq: Database.Statement;
  #putLastReport: Database.Statement;

  /**
   * With `machines` (the fleet state), an agent read later takes its machine's id, agent id and host name strings
   * whenever they are equal, not second copies (~140 bytes an agent).
   */
  constructor(db: Database.Database, machines?: MachineStrings) {
    this.#db = db;
    this.#machines = machines;
    this.#putSeq = db.prepare(
      'INSERT INTO agent_seqs (agent_id, epoch, last_seq) VALUES (?, ?, ?) ON CONFLICT (agent_id, epoch) DO UPDATE SET last_seq = excluded.last_seq',
    );
    this.#putLastReport = db.prepare('UPDATE agents SET last_report_at = ? WHERE agent_id = ?');
    this.#byTokenHash = db.prepare(`${AGENT_WITH_SEQS} WHERE a.token_hash = ? AND a.revoked_at IS NULL`).raw(true);
    this.#byId = db.prepare(`${AGENT_WITH_SEQS} WHERE a.agent_id = ?`).raw(true);
    this.#exists = db.prepare('SELECT 1 FROM agents WHERE agent_id = ?').pluck();
    const tokenHash = db.prepare('SELECT token_hash FROM agents WHERE agent_id = ?').pluck();
    this.#tokenHashOf = (agentId) => tokenHash.get(agentId) as string;
    this.#newestOfMachine = db.prepare('SELECT agent_id FROM agents WHERE machine_id = ? ORDER BY enrolled_at DESC LIMIT 1');
    this.#firstPage = db.prepare('SELECT agent_id FROM agents ORDER BY enrolled_at DESC, agent_id DESC LIMIT ?').pluck();
    this.#pageAfter = db
      .prepare(
        `SELECT agent_id FROM agents WHERE enrolled_at < ? OR (enrolled_at = ? AND agent_id < ?)
         ORDER BY enrolled_at DESC, agent_id DESC LIMIT ?`,
      )
      .pluck();
    this.#count = db.prepare('SELECT count(*) FROM agents').pluck().get() as number;
    const secret = db.prepare('SELECT value FROM settings WHERE key = ?').get(SECRET_KEY) as { value: string } | undefined;
    this.#secretHash = secret?.value ?? null;
  }

  /** The agent with this id: the one held, else read from SQLite (and held, outside a transaction). */
  #agent(agentId: string): Agent | undefined {
    return this.#agents.get(agentId) ?? this.#held(this.#byId.all(agentId) as AgentRow[]);
  }

  /** An agent from its rows (one per epoch), held from now on when read outside a transaction. */
  #held(rows: AgentRow[]): Agent | undefined {
    const r = rows[0];
    if (!r) return undefined;
    const known = this.#agents.get(r[0]);
    if (known) return known;
    const m = this.#machines?.machine(r[1]);
    const a = new Agent(
      this.#tokenHashOf,
      m?.agentId === r[0] ? m.agentId : r[0],
      m ? m.machineId : r[1],
      m?.hostname === r[2] ? m.hostname : r[2],
      r[3],
      r[4],
      r[5],
    );
    for (const row of rows) if (row[6] !== null) a.set(row[6], row[7]!);
    if (!this.#db.inTransaction) this.#agents.set(a.agentId, a);
    return a;
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

  /**
   * The live agent a token belongs to. Both the map and the index compare the token's full hash, never the token:
   * which hash is near a stored one tells nothing of a token. Called outside transactions (at a request's start), so
   * the index shows committed rows, which the records mirror.
   */
  byToken(token: string): AgentRecord | undefined {
    const key = sha256Bytes(token);
    const known = this.#byToken.get(key);
    if (known && this.#agents.get(known.agentId) === known) return known;
    if (known) this.#byToken.delete(key);
    const a = this.#held(this.#byTokenHash.all(Buffer.from(key, 'latin1').toString('hex')) as AgentRow[]);
    if (!a || a.revokedAt !== null) return undefined;
    this.#byToken.set(key, a);
    return a;
  }
  get(agentId: string): AgentRecord | undefined {
    return this.#agent(agentId);
  }
  /** The newest agent enrolled for a machine (revoked or not). */
  currentOf(machineId: string): AgentRecord | undefined {
    const recent = this.#enrolledSinceStart.get(machineId);
    if (recent) return recent;
    const row = this.#newestOfMachine.get(machineId) as { agent_id: string } | undefined;
    return row ? this.#agent(row.agent_id) : undefined;
  }
  /** How many agents have enrolled (revoked ones included). */
  get size(): number {
    return this.#count;
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
      const a = this.#agent(id);
      if (a) items.push(agentInfo(a));
    }
    const last = rows.length > opts.limit ? this.#agent(rows[opts.limit - 1]!) : undefined;
    if (last) next = { enrolledAt: last.enrolledAt, agentId: last.agentId };
    return { items, next };
  }
  /** One agent as the API shows it (O(1), unlike finding it in `list()`). */
  info(agentId: string): AgentInfo | undefined {
    const a = this.#agent(agentId);
    return a && agentInfo(a);
  }

  /** Writes a new agent (in the caller's transaction). */
  writeAgent(a: AgentRecord): void {
    if (!this.#agents.has(a.agentId) && this.#exists.get(a.agentId) === undefined) this.#inserted.add(a.agentId);
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
    if (this.#inserted.delete(a.agentId)) this.#count++;
    // One not read since start: its row, committed now, already carries what the old record would pass on.
    const old = this.#agents.get(a.agentId);
    const read = old ? undefined : this.#agent(a.agentId);
    if (read) {
      this.#enrolledSinceStart.set(a.machineId, read);
      return;
    }
    // A re-tokened agent keeps its seq marks and last report; the old record's token map entry is now stale.
    const next = new Agent(this.#tokenHashOf, a.agentId, a.machineId, a.hostname, a.enrolledAt, a.revokedAt, old ? old.lastReportAt : a.lastReportAt);
    const seqs = old ?? a.seqs;
    if (seqs instanceof SeqMarks) next.takeSeqsOf(seqs);
    this.#agents.set(next.agentId, next);
    // An enrolment always makes its agent the machine's current one.
    this.#enrolledSinceStart.set(a.machineId, next);
  }
  applyRevoked(agentId: string, at: number): void {
    const a = this.#agents.get(agentId); // one not held is read from its (revoked) row when needed
    if (!a || a.revokedAt !== null) return;
    const next = a.revoked(at); // its token map entry, if any, is now stale
    this.#agents.set(agentId, next);
    if (this.#enrolledSinceStart.get(a.machineId) === a) this.#enrolledSinceStart.set(a.machineId, next);
  }
  applySeq(agentId: string, epoch: number, seq: number): void {
    this.#agents.get(agentId)?.set(epoch, seq);
  }
  applyLastReport(agentId: string, at: number): void {
    const a = this.#agents.get(agentId);
    if (a) a.lastReportAt = at;
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
