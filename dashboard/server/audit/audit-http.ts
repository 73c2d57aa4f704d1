import type { Request, RequestHandler } from 'express';
import type { AuditLog } from './audit-log.js';

const NOTE = Symbol('vawatch.audit');

/** What a route says about the request it handles, for its audit entry. */
export interface AuditNote {
  action?: string;
  target?: string | null;
  detail?: Record<string, unknown>;
  /** Who, when the request carries no session (sign-in: the name that was tried). */
  actor?: string;
  /** Not recorded at all (e.g. a sign-out without a live session). */
  skip?: boolean;
}
type WithNote = Request & { [NOTE]?: AuditNote };

/** Adds to the request's audit note (later calls win per field; details merge). */
export function noteAudit(req: Request, note: AuditNote): void {
  const r = req as WithNote;
  const prev = r[NOTE] ?? {};
  r[NOTE] = { ...prev, ...note, ...(note.detail || prev.detail ? { detail: { ...prev.detail, ...note.detail } } : {}) };
}

/**
 * Names a route's action before anything else in the route runs, so a refusal by the role check (403) or by
 * validation (400) is recorded under the same action as a success. The target defaults to the route's `:id`-like
 * parameter.
 */
export function audited(action: string, target: (req: Request) => string | null = firstParam): RequestHandler {
  return (req, _res, next) => {
    noteAudit(req, { action, target: target(req) });
    next();
  };
}

function firstParam(req: Request): string | null {
  const v = Object.values(req.params ?? {})[0];
  return typeof v === 'string' ? v : null;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Records every changing request (anything but GET/HEAD/OPTIONS) under /api/v1 when it finishes: who (the session's
 * user, `api-key:<name>`, or the note's actor), from which address, what (the note's action, else method and path),
 * and the outcome (ok below 400, refused with the status otherwise). A request nobody can be named for (no session,
 * no key, no note) is not recorded: it did nothing and names nobody. Mount it before the routes.
 */
export function recordChanges(audit: AuditLog, actorOf: (req: Request) => string | undefined): RequestHandler {
  return (req, res, next) => {
    if (READS.has(req.method)) {
      next();
      return;
    }
    const path = req.originalUrl.split('?')[0] ?? req.originalUrl;
    res.once('finish', () => {
      const note = (req as WithNote)[NOTE] ?? {};
      if (note.skip) return;
      const actor = note.actor ?? actorOf(req);
      if (actor === undefined) return;
      audit.append({
        actor,
        address: req.ip ?? req.socket.remoteAddress ?? '',
        action: note.action ?? `${req.method} ${path}`,
        target: note.target ?? null,
        detail: note.detail ?? null,
        outcome: res.statusCode < 400 ? 'ok' : 'refused',
        status: res.statusCode,
      });
    });
    next();
  };
}
