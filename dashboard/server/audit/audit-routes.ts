import type { Request, RequestHandler, Response, Router } from 'express';
import { AuditQuery, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type AuditEntry } from '../../../shared/api.js';
import { ApiError } from '../http/api-error.js';
import { parseOr400 } from '../http/parse.js';
import type { AuditLog } from './audit-log.js';

/** Rows a CSV export holds unless `limit` says otherwise (at most 100,000). */
const CSV_DEFAULT_ROWS = 10_000;
/** Rows read per slice while writing a CSV export; the loop yields between slices. */
const CSV_SLICE = 2_000;
const CSV_COLUMNS = ['id', 'time', 'actor', 'address', 'action', 'target', 'outcome', 'status', 'detail'] as const;

/**
 * One CSV cell (RFC 4180 quoting). A text starting with = + - @ (or a tab / carriage return) is prefixed with `'`
 * so a spreadsheet shows it as text instead of running it as a formula: actors, targets and details can carry
 * strings an attacker chose (a user name tried at sign-in, an alert comment).
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(e: AuditEntry): string {
  const cells = [e.id, e.at, e.actor, e.address, e.action, e.target, e.outcome, e.status, e.detail ? JSON.stringify(e.detail) : null];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function wantsCsv(req: Request, format: string | undefined): boolean {
  if (format) return format === 'csv';
  return /\btext\/csv\b/i.test(req.headers.accept ?? '');
}

/** `GET /api/v1/audit` (admins): a page as JSON, or the matching entries as CSV (`?format=csv` or `Accept: text/csv`). */
export function mountAuditRoutes(api: Router, audit: AuditLog, admin: RequestHandler): void {
  api.get('/audit', admin, async (req: Request, res: Response) => {
    const q = parseOr400(AuditQuery, req.query, 'query');
    const filter = { ...(q.actor ? { actor: q.actor } : {}), ...(q.action ? { action: q.action } : {}) };
    if (!wantsCsv(req, q.format)) {
      const limit = q.limit ?? DEFAULT_PAGE_LIMIT;
      if (limit > MAX_PAGE_LIMIT) throw new ApiError(400, 'invalid-request', `expected limit ≤ ${MAX_PAGE_LIMIT} (the CSV export takes up to 100000)`);
      res.json(audit.page({ ...filter, ...(q.before ? { before: q.before } : {}), limit }));
      return;
    }
    let left = q.limit ?? CSV_DEFAULT_ROWS;
    let before = q.before;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="vawatch-audit.csv"');
    res.setHeader('Cache-Control', 'no-store');
    res.write(`${CSV_COLUMNS.join(',')}\r\n`);
    while (left > 0) {
      const rows = audit.read({ ...filter, ...(before ? { before } : {}), limit: Math.min(CSV_SLICE, left) });
      if (rows.length === 0) break;
      res.write(rows.map(csvLine).join(''));
      left -= rows.length;
      before = rows[rows.length - 1]!.id;
      if (rows.length < CSV_SLICE) break;
      await new Promise((r) => setImmediate(r));
      if (res.destroyed) return;
    }
    res.end();
  });
}
