import type Database from 'better-sqlite3';
import { roleAtLeast, type Role, type SessionInfo, type User } from '../../../shared/api.js';
import type { Clock } from '../../../shared/scheduling.js';
import { ApiError } from '../http/api-error.js';
import { SignInThrottle } from './failure-limiter.js';
import { DUMMY_PASSWORD_HASH, hashPassword, newPassword, newSecret, sha256, verifyPassword } from './secrets.js';

interface UserRow {
  username: string;
  role: Role;
  password_hash: string;
  created_at: number;
  last_sign_in_at: number | null;
}
interface Session {
  username: string;
  createdAt: number;
  lastUsedAt: number;
  persistedAt: number;
}

/** Last-use times are written back at most this often: a session read is not worth a write. */
const TOUCH_PERSIST_MS = 5 * 60_000;

export interface UserServiceOptions {
  clock: Clock;
  sessionIdleMs: number;
  signInFailures: number;
  signInWindowMs: number;
}

/**
 * Dashboard users (viewer / operator / admin, scrypt hashes) and their cookie sessions (random ids, stored as
 * SHA-256). Sign-in failures are limited per (user name, address), per address and per user name (SignInThrottle).
 */
export class UserService {
  #db: Database.Database;
  #opts: UserServiceOptions;
  #sessions = new Map<string, Session>();
  #throttle: SignInThrottle;
  #endedListeners = new Set<(sessionHash: string, reason: string) => void>();

  constructor(db: Database.Database, opts: UserServiceOptions) {
    this.#db = db;
    this.#opts = opts;
    // An address gets more tries than one name (several people behind one NAT); a name across all addresses many
    // more, and those never lock it out from an address it signed in from before (see SignInThrottle).
    this.#throttle = new SignInThrottle(
      { perNameAndAddress: opts.signInFailures, perAddress: opts.signInFailures * 4, perName: opts.signInFailures * 20, windowMs: opts.signInWindowMs },
      opts.clock,
    );
    const now = opts.clock.now();
    for (const s of db.prepare('SELECT * FROM sessions').all() as Array<{
      id_hash: string;
      username: string;
      created_at: number;
      last_used_at: number;
    }>) {
      if (now - s.last_used_at < opts.sessionIdleMs) {
        this.#sessions.set(s.id_hash, { username: s.username, createdAt: s.created_at, lastUsedAt: s.last_used_at, persistedAt: s.last_used_at });
      }
    }
    db.prepare('DELETE FROM sessions WHERE last_used_at < ?').run(now - opts.sessionIdleMs);
  }

  /** Creates the first admin when there is no user at all; returns the password when it generated one. */
  async ensureFirstAdmin(username: string, password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
    if (this.#all().length > 0) return { created: false };
    const pw = password ?? newPassword();
    await this.add(username, pw, 'admin');
    return password ? { created: true } : { created: true, generatedPassword: pw };
  }

  list(): User[] {
    return this.#all()
      .sort((a, b) => a.username.localeCompare(b.username))
      .map((u) => this.#view(u));
  }

  get(username: string): User | undefined {
    const u = this.#find(username);
    return u ? this.#view(u) : undefined;
  }

  async add(username: string, password: string, role: Role): Promise<User> {
    if (this.#find(username)) throw new ApiError(409, 'user-exists', `user ${username} already exists`);
    const row: UserRow = {
      username,
      role,
      password_hash: await hashPassword(password),
      created_at: this.#opts.clock.now(),
      last_sign_in_at: null,
    };
    if (this.#find(username)) throw new ApiError(409, 'user-exists', `user ${username} already exists`);
    this.#db
      .prepare('INSERT INTO users (username, role, password_hash, created_at, last_sign_in_at) VALUES (?, ?, ?, ?, NULL)')
      .run(row.username, row.role, row.password_hash, row.created_at);
    return this.#view(row);
  }

  remove(username: string): void {
    const u = this.#require(username);
    if (u.role === 'admin' && this.#adminCount() === 1) {
      throw new ApiError(409, 'last-admin', `${u.username} is the only admin; make another admin first`);
    }
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM users WHERE username = ?').run(u.username);
      this.#db.prepare('DELETE FROM sessions WHERE username = ?').run(u.username);
    })();
    this.#endSessionsOf(u.username, 'the user was removed');
  }

  async update(username: string, change: { role?: Role; password?: string }): Promise<User> {
    const u = this.#require(username);
    if (change.role && change.role !== 'admin' && u.role === 'admin' && this.#adminCount() === 1) {
      throw new ApiError(409, 'last-admin', `${u.username} is the only admin; make another admin first`);
    }
    const hash = change.password ? await hashPassword(change.password) : u.password_hash;
    const next: UserRow = { ...u, role: change.role ?? u.role, password_hash: hash };
    this.#db.prepare('UPDATE users SET role = ?, password_hash = ? WHERE username = ?').run(next.role, next.password_hash, u.username);
    if (change.password) {
      this.#db.prepare('DELETE FROM sessions WHERE username = ?').run(u.username);
      this.#endSessionsOf(u.username, 'the password was changed');
    }
    return this.#view(next);
  }

  /** Checks the password; returns the new session's cookie value. Throws 401 (wrong) or 429 (too many failures). */
  async signIn(username: string, password: string, address: string): Promise<{ cookie: string; session: SessionInfo }> {
    const wait = this.#throttle.retryAfterMs(username, address);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new ApiError(429, 'too-many-sign-in-failures', `too many failed sign-ins; try again in ${seconds} s`, {
        headers: { 'Retry-After': String(seconds) },
      });
    }
    const u = this.#find(username);
    const ok = await verifyPassword(password, u?.password_hash ?? DUMMY_PASSWORD_HASH);
    if (!u || !ok) {
      this.#throttle.fail(username, address);
      throw new ApiError(401, 'bad-credentials', 'user name or password is wrong');
    }
    this.#throttle.succeed(username, address);
    const now = this.#opts.clock.now();
    const cookie = newSecret();
    const hash = sha256(cookie);
    this.#db.transaction(() => {
      this.#db.prepare('INSERT INTO sessions (id_hash, username, created_at, last_used_at) VALUES (?, ?, ?, ?)').run(hash, u.username, now, now);
      this.#db.prepare('UPDATE users SET last_sign_in_at = ? WHERE username = ?').run(now, u.username);
    })();
    this.#sessions.set(hash, { username: u.username, createdAt: now, lastUsedAt: now, persistedAt: now });
    return { cookie, session: { username: u.username, role: u.role } };
  }

  /** The session behind a cookie value, or undefined (unknown, idle too long, user gone). Refreshes its idle time. */
  session(cookie: string): (SessionInfo & { sessionHash: string }) | undefined {
    const hash = sha256(cookie);
    const s = this.#sessions.get(hash);
    if (!s) return undefined;
    const now = this.#opts.clock.now();
    const u = this.#find(s.username);
    if (!u || now - s.lastUsedAt >= this.#opts.sessionIdleMs) {
      this.#sessions.delete(hash);
      this.#db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(hash);
      return undefined;
    }
    s.lastUsedAt = now;
    if (now - s.persistedAt > TOUCH_PERSIST_MS) {
      s.persistedAt = now;
      this.#db.prepare('UPDATE sessions SET last_used_at = ? WHERE id_hash = ?').run(now, hash);
    }
    return { username: u.username, role: u.role, sessionHash: hash };
  }

  /** When the session behind `sessionHash` ends unless used before then (undefined: it has ended); reads only. */
  sessionExpiresAt(sessionHash: string): number | undefined {
    const s = this.#sessions.get(sessionHash);
    return s ? s.lastUsedAt + this.#opts.sessionIdleMs : undefined;
  }

  signOut(cookie: string): void {
    const hash = sha256(cookie);
    this.#sessions.delete(hash);
    this.#db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(hash);
    for (const l of this.#endedListeners) l(hash, 'signed out');
  }

  /** Told when a session ends (sign-out, user removed, password changed), so live sockets can be closed. */
  onSessionEnded(listener: (sessionHash: string, reason: string) => void): () => void {
    this.#endedListeners.add(listener);
    return () => void this.#endedListeners.delete(listener);
  }

  static allows(role: Role, needed: Role): boolean {
    return roleAtLeast(role, needed);
  }

  #endSessionsOf(username: string, reason: string): void {
    for (const [hash, s] of this.#sessions) {
      if (s.username.toLowerCase() === username.toLowerCase()) {
        this.#sessions.delete(hash);
        for (const l of this.#endedListeners) l(hash, reason);
      }
    }
  }

  #adminCount(): number {
    return this.#all().filter((u) => u.role === 'admin').length;
  }

  /** Users are read from SQLite each time (a primary-key lookup), so `user …` commands act on a running collector. */
  #find(username: string): UserRow | undefined {
    return this.#db.prepare('SELECT * FROM users WHERE lower(username) = lower(?)').get(username) as UserRow | undefined;
  }

  #all(): UserRow[] {
    return this.#db.prepare('SELECT * FROM users').all() as UserRow[];
  }

  #require(username: string): UserRow {
    const u = this.#find(username);
    if (!u) throw new ApiError(404, 'not-found', `user ${username} does not exist`);
    return u;
  }

  #view(u: UserRow): User {
    return {
      username: u.username,
      role: u.role,
      createdAt: new Date(u.created_at).toISOString(),
      lastSignInAt: u.last_sign_in_at === null ? null : new Date(u.last_sign_in_at).toISOString(),
    };
  }
}
