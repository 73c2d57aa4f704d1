import type { Request, RequestHandler } from 'express';
import { roleAtLeast, type Role, type SessionInfo } from '../../../shared/api.js';
import { API_KEY_PREFIX, apiKeyActor, type ApiKeyService } from '../identity/api-keys.js';
import type { UserService } from '../identity/user-service.js';
import { ApiError } from './api-error.js';
import { readCookie, SESSION_COOKIE } from './cookies.js';

const SESSION = Symbol('vawatch.session');
const REFUSED_KEY = Symbol('vawatch.refusedApiKey');
type WithSession = Request & { [SESSION]?: SessionInfo & { sessionHash?: string }; [REFUSED_KEY]?: string };

const KEY_REFUSALS = {
  malformed: 'the Bearer value is not a vawatch API key (vw_…)',
  unknown: 'unknown API key',
  revoked: 'this API key was revoked',
  expired: 'this API key has expired',
} as const;

/**
 * Refuses (401) a request without a live session cookie or a valid API key (`Authorization: Bearer vw_…`);
 * remembers who it is on the request. A key acts as `api-key:<name>` with its role.
 */
export function requireSession(users: UserService, apiKeys?: ApiKeyService): RequestHandler {
  return (req, _res, next) => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    // A Bearer that is no vawatch key beside a session cookie is someone else's (e.g. an SSO proxy's): the cookie
    // decides. A vw_ key always decides by itself.
    const cookiePresent = readCookie(req.headers.cookie, SESSION_COOKIE) !== undefined;
    if (bearer !== undefined && apiKeys && (bearer.startsWith(API_KEY_PREFIX) || !cookiePresent)) {
      const check = apiKeys.check(bearer, req.ip ?? '');
      if (!check.ok) {
        if (check.name) (req as WithSession)[REFUSED_KEY] = apiKeyActor(check.name);
        next(new ApiError(401, 'bad-api-key', KEY_REFUSALS[check.reason]));
        return;
      }
      (req as WithSession)[SESSION] = check.session;
      next();
      return;
    }
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    const session = cookie ? users.session(cookie) : undefined;
    if (!session) {
      next(new ApiError(401, 'not-signed-in', 'sign in first (POST /api/v1/session)'));
      return;
    }
    (req as WithSession)[SESSION] = session;
    next();
  };
}

export function sessionOf(req: Request): SessionInfo {
  const s = (req as WithSession)[SESSION];
  if (!s) throw new ApiError(401, 'not-signed-in', 'sign in first (POST /api/v1/session)');
  return { username: s.username, role: s.role };
}

export function requireRole(role: Role): RequestHandler {
  return (req, _res, next) => {
    const s = sessionOf(req);
    if (!roleAtLeast(s.role, role)) {
      next(new ApiError(403, 'forbidden', `this needs the ${role} role; ${s.username} is ${s.role}`));
      return;
    }
    next();
  };
}

/** Who a request acts as, for the audit log: its session's user or key, or a known key that was refused. */
export function actorOf(req: Request): string | undefined {
  const r = req as WithSession;
  return r[SESSION]?.username ?? r[REFUSED_KEY];
}
