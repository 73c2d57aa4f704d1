/**
 * REST routes of the alert engine under /api/v1: the alert list and detail (any signed-in user), acknowledge,
 * comment and silence (operators and admins), and the forecasts.
 */
import type { Router } from 'express';
import { z } from 'zod';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../../shared/api.js';
import { describeIssues, IsoInstant } from '../../shared/protocol.js';
import type { Clock } from '../../shared/scheduling.js';
import { blastRadius } from '../forecast/blast-radius.js';
import { expiryWave } from '../forecast/expiry-wave.js';
import { forecastForHost, hasOffice } from '../forecast/kms-count-forecast.js';
import { audited, noteAudit } from '../server/audit/audit-http.js';
import { ApiError } from '../server/http/api-error.js';
import type { PluginContext } from '../server/plugin.js';
import { AlertActionError, type AlertBook, type AlertRecord } from './alert-book.js';
import { alertDetail, alertListItem, blastRadiusView, expiryWaveView, forecastView } from './alert-views.js';
import { agentNow } from './agent-time.js';
import { canonicalHostName } from './host-names.js';
import { RULE_NAMES, type FleetView, type KmsHostView } from './model.js';

const ListQuery = z.strictObject({
  state: z.enum(['new', 'acknowledged', 'resolved', 'active', 'silenced']).optional(),
  severity: z.enum(['warning', 'critical']).optional(),
  rule: z.enum(RULE_NAMES).optional(),
  group: z.string().min(1).max(100).optional(),
  kmsHost: z.string().min(1).max(255).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
});
const Comment = z.string().trim().min(1, { error: 'expected a non-empty comment' }).max(2000);
const AckBody = z.strictObject({ comment: Comment.optional() });
const CommentBody = z.strictObject({ comment: Comment });
const SilenceBody = z
  .strictObject({
    until: IsoInstant.optional(),
    minutes: z.number().int().min(1).max(365 * 24 * 60).optional(),
    reason: z.string().trim().min(1, { error: 'expected a reason' }).max(2000),
  })
  .refine((b) => (b.until === undefined) !== (b.minutes === undefined), { error: 'give either until or minutes' });
const WaveQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(366).default(60) });

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input ?? {});
  if (!r.success) {
    const d = describeIssues(r.error);
    throw new ApiError(400, 'invalid-request', d.summary, { issues: d.issues });
  }
  return r.data;
}

function mapActionError(e: unknown): never {
  if (e instanceof AlertActionError) {
    const status = e.reason === 'not-found' ? 404 : e.reason === 'conflict' ? 409 : 400;
    throw new ApiError(status, e.reason === 'invalid' ? 'invalid-request' : e.reason, e.message);
  }
  throw e;
}

export interface AlertRouteDeps {
  api: Router;
  book: AlertBook;
  clock: Clock;
  requireRole: PluginContext['requireRole'];
  sessionOf: PluginContext['sessionOf'];
  fleet: () => FleetView;
  /** A host no agent reports, as its clients show it (basis `clients`), or undefined. */
  inferredHost: (id: string, now: number) => KmsHostView | undefined;
  hostIdentity: (id: string) => { hostId: string; hostname: string; machineId: string | null } | undefined;
  /** Called with each alert an operator changed, to publish it. */
  changed: (a: AlertRecord) => void;
}

export function mountAlertRoutes(d: AlertRouteDeps): void {
  const { api, book, clock } = d;
  api.get('/alerts', (req, res) => {
    const q = parse(ListQuery, req.query);
    const page = book.query(q, clock.now());
    res.json({ items: page.items.map(alertListItem), total: page.total });
  });
  api.get('/alerts/:id', (req, res) => {
    const a = book.get(req.params.id as string);
    if (!a) throw new ApiError(404, 'not-found', `alert ${req.params.id} does not exist`);
    res.json(alertDetail(a, book.history(a.id), book.previousOccurrences(a)));
  });
  api.post('/alerts/:id/ack', audited('alert.ack'), d.requireRole('operator'), (req, res) => {
    const body = parse(AckBody, req.body);
    if (body.comment) noteAudit(req, { detail: { comment: body.comment.slice(0, 200) } });
    try {
      const a = book.acknowledge(req.params.id as string, d.sessionOf(req).username, body.comment ?? null, clock.now());
      d.changed(a);
      res.json(alertListItem(a));
    } catch (e) {
      mapActionError(e);
    }
  });
  api.post('/alerts/:id/comment', audited('alert.comment'), d.requireRole('operator'), (req, res) => {
    const body = parse(CommentBody, req.body);
    noteAudit(req, { detail: { comment: body.comment.slice(0, 200) } });
    try {
      const a = book.comment(req.params.id as string, d.sessionOf(req).username, body.comment, clock.now());
      d.changed(a);
      res.json(alertListItem(a));
    } catch (e) {
      mapActionError(e);
    }
  });
  api.post('/alerts/:id/silence', audited('alert.silence'), d.requireRole('operator'), (req, res) => {
    const body = parse(SilenceBody, req.body);
    const now = clock.now();
    const until = body.until !== undefined ? Date.parse(body.until) : now + body.minutes! * 60_000;
    noteAudit(req, { detail: { until: new Date(until).toISOString(), reason: body.reason.slice(0, 200) } });
    try {
      const a = book.silence(req.params.id as string, d.sessionOf(req).username, until, body.reason, now);
      d.changed(a);
      res.json(alertListItem(a));
    } catch (e) {
      mapActionError(e);
    }
  });

  api.get('/kms-hosts/:id/forecast', (req, res) => {
    const id = canonicalHostName(req.params.id as string);
    const fleet = d.fleet();
    const host = fleet.kmsHosts.find((h) => h.hostId === id) ?? d.inferredHost(id, clock.now());
    if (!host) throw new ApiError(404, 'not-found', `KMS host ${id} does not exist`);
    const now = agentNow(host, clock.now());
    const windows = forecastForHost(fleet, host, now);
    const office = hasOffice(host) ? forecastForHost(fleet, host, now, { application: 'office' }) : null;
    res.json({ ...forecastView(windows), applications: [windows, ...(office ? [office] : [])].map(forecastView) });
  });
  api.get('/kms-hosts/:id/blast-radius', (req, res) => {
    const identity = d.hostIdentity(canonicalHostName(req.params.id as string));
    if (!identity) throw new ApiError(404, 'not-found', `KMS host ${req.params.id} does not exist`);
    res.json(blastRadiusView(blastRadius(d.fleet(), identity, clock.now())));
  });
  api.get('/forecast/expiry', (req, res) => {
    const q = parse(WaveQuery, req.query);
    res.json(expiryWaveView(expiryWave(d.fleet(), clock.now(), q.days)));
  });
}
