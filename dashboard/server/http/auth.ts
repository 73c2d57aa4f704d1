import type { Request, RequestHandler } from 'express';
import { roleAtLeast, type Role, type SessionInfo } from '../../../shared/api.js';
import type { UserService } from '../identity/user-service.js';
import { ApiError } from './api-error.js';
import { readCookie, SESSION_COOKIE } from './cookies.js';

const SESSION = Symbol('vawatch.session');
type WithSession = Request & { [SESSION]?: SessionInfo & { sessionHash: string } };

/** Refuses (401) a request without a live session cookie; remembers the session on the request. */
export function requireSession(users: UserService): RequestHandler {
  return (req, _res, next) => {
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
