import { randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ApiKeyInfo, ApiKeyRole, CreatedApiKey, SessionInfo } from '../../../shared/api.js';
import type { Clock } from '../../../shared/scheduling.js';
import { ApiError } from '../http/api-error.js';
import { newSecret, sha256 } from './secrets.js';

/** Every key starts with this, so a leaked one is recognisable (secret scanners, logs) and told from other tokens. */
export const API_KEY_PREFIX = 'vw_';
/** `vw_<12 hex id>_<43 base64url secret>`: the id finds the row (one primary-key read), the secret is checked. */
const KEY_SHAPE = /^vw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
/** A key's last use is written back at most this often: a request is not worth a SQLite write. */
const LAST_USE_PERSIST_MS = 60_000;

interface ApiKeyRow {
  id: string;
  name: string;
  role: ApiKeyRole;
  key_hash: string;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
  last_used_at: number | null;
  last_used_from: string | null;
}

/** What a Bearer API key is: a signed-in-like identity, or a refusal naming the key when it is known. */
export type ApiKeyCheck =
  | { ok: true; session: SessionInfo; keyId: string }
  | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'expired'; name?: string };

/** The name a key acts under in sessions and the audit log. */
export function apiKeyActor(name: string): string {
  return `api-key:${name}`;
}

/**
 * API keys for scripts (SIEM, reports, Grafana's JSON sources): named, a role (viewer or operator), an optional
 * expiry, revocable. Only the SHA-256 of the secret part is stored (a 32-byte random secret needs no slow hash);
 * it is compared in constant time. Rows are read from SQLite on each use (a primary-key read), so `api-key revoke`
 * on the command line acts on a running collector at once.
 */
export class ApiKeyService {
  #db: Database.Database;
  #clock: Clock;
  #byId: Database.Statement<[string], ApiKeyRow>;
  #lastUse = new Map<string, { at: number; from: string; persistedAt: number }>();

  constructor(db: Database.Database, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
    this.#byId = db.prepare('SELECT * FROM api_keys WHERE id = ?');
  }

  create(input: { name: string; role: ApiKeyRole; expiresAt?: string | null }, by: string): CreatedApiKey {
    const now = this.#clock.now();
    const expiresAt = input.expiresAt ? Date.parse(input.expiresAt) : null;
    if (expiresAt !== null && expiresAt <= now) {
      throw new ApiError(400, 'invalid-request', `expiresAt ${input.expiresAt} is not in the future`, {
        issues: [{ path: 'body.expiresAt', message: 'expected an instant in the future' }],
      });
    }
    if (this.#db.prepare('SELECT 1 FROM api_keys WHERE lower(name) = lower(?) AND revoked_at IS NULL').get(input.name)) {
      throw new ApiError(409, 'api-key-exists', `a key named ${input.name} exists; revoke it first or pick another name`);
    }
    const id = randomBytes(6).toString('hex');
    const secret = newSecret(32);
    const row: ApiKeyRow = {
      id,
      name: input.name,
      role: input.role,
      key_hash: sha256(secret),
      created_at: now,
      created_by: by,
      expires_at: expiresAt,
      revoked_at: null,
      revoked_by: null,
      last_used_at: null,
      last_used_from: null,
    };
    this.#db
      .prepare(
        `INSERT INTO api_keys (id, name, role, key_hash, created_at, created_by, expires_at)
         VALUES (@id, @name, @role, @key_hash, @created_at, @created_by, @expires_at)`,
      )
      .run(row);
    return { ...this.#view(row), key: `${API_KEY_PREFIX}${id}_${secret}` };
  }

  /** Live keys first (newest first), then revoked ones; never a key or a hash. */
  list(): ApiKeyInfo[] {
    const rows = this.#db.prepare('SELECT * FROM api_keys ORDER BY revoked_at IS NOT NULL, created_at DESC, id').all() as ApiKeyRow[];
    return rows.map((r) => this.#view(r));
  }

  get(id: string): ApiKeyInfo | undefined {
    const r = this.#byId.get(id);
    return r ? this.#view(r) : undefined;
  }

  /** Revokes a key by id (or by its live name); a revoked key is refused from the next request on. */
  revoke(idOrName: string, by: string): ApiKeyInfo {
    const row =
      this.#byId.get(idOrName) ??
      (this.#db.prepare('SELECT * FROM api_keys WHERE lower(name) = lower(?) AND revoked_at IS NULL').get(idOrName) as ApiKeyRow | undefined);
    if (!row) throw new ApiError(404, 'not-found', `API key ${idOrName} does not exist`);
    if (row.revoked_at !== null) throw new ApiError(409, 'already-revoked', `API key ${row.name} was revoked already`);
    const now = this.#clock.now();
    this.#db.prepare('UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE id = ?').run(now, by, row.id);
    return this.#view({ ...row, revoked_at: now, revoked_by: by });
  }

  /** Checks a Bearer value; records its use (written back at most once a minute per key). */
  check(bearer: string, address: string): ApiKeyCheck {
    const m = KEY_SHAPE.exec(bearer);
    if (!m) return { ok: false, reason: 'malformed' };
    const row = this.#byId.get(m[1]!);
    if (!row) return { ok: false, reason: 'unknown' };
    const given = Buffer.from(sha256(m[2]!), 'hex');
    const stored = Buffer.from(row.key_hash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return { ok: false, reason: 'unknown' };
    if (row.revoked_at !== null) return { ok: false, reason: 'revoked', name: row.name };
    const now = this.#clock.now();
    if (row.expires_at !== null && now >= row.expires_at) return { ok: false, reason: 'expired', name: row.name };
    this.#touch(row.id, now, address);
    return { ok: true, session: { username: apiKeyActor(row.name), role: row.role }, keyId: row.id };
  }

  /** Writes every remembered last use (at close, and before a listing is read from SQLite). */
  flushLastUse(): void {
    const update = this.#db.prepare('UPDATE api_keys SET last_used_at = ?, last_used_from = ? WHERE id = ?');
    this.#db.transaction(() => {
      for (const [id, u] of this.#lastUse) {
        if (u.persistedAt === u.at) continue;
        update.run(u.at, u.from, id);
        u.persistedAt = u.at;
      }
    })();
  }

  #touch(id: string, now: number, from: string): void {
    const u = this.#lastUse.get(id);
    if (u) {
      u.at = now;
      u.from = from;
    } else this.#lastUse.set(id, { at: now, from, persistedAt: -Infinity });
    const entry = this.#lastUse.get(id)!;
    if (now - entry.persistedAt >= LAST_USE_PERSIST_MS) {
      this.#db.prepare('UPDATE api_keys SET last_used_at = ?, last_used_from = ? WHERE id = ?').run(now, from, id);
      entry.persistedAt = now;
    }
  }

  #view(r: ApiKeyRow): ApiKeyInfo {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const use = this.#lastUse.get(r.id);
    const lastUsedAt = use && (r.last_used_at === null || use.at > r.last_used_at) ? use.at : r.last_used_at;
    return {
      id: r.id,
      name: r.name,
      role: r.role,
      createdAt: iso(r.created_at)!,
      createdBy: r.created_by,
      expiresAt: iso(r.expires_at),
      revokedAt: iso(r.revoked_at),
      lastUsedAt: iso(lastUsedAt),
      lastUsedFrom: use && use.at === lastUsedAt ? use.from : r.last_used_from,
    };
  }
}
