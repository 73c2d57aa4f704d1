import express, { type RequestHandler, type Router } from 'express';
import { EnrolRequest } from '../../../shared/protocol.js';
import type { Clock } from '../../../shared/scheduling.js';
import { enrol, type EnrolDeps } from '../ingest/enrolment.js';
import { ingestBatch, type IngestDeps } from '../ingest/report-ingest.js';
import type { AgentRecord, AgentRegistry } from '../identity/agent-registry.js';
import { FailureLimiter } from '../identity/failure-limiter.js';
import { TokenBuckets } from '../identity/token-bucket.js';
import { ApiError } from './api-error.js';
import { bodyErrorCode } from './error-mapper.js';
import { parseOr400 } from './parse.js';

export interface AgentRouteDeps {
  agents: AgentRegistry;
  clock: Clock;
  ingest: IngestDeps;
  enrol: EnrolDeps;
  bodyLimitBytes: number;
  agentBurst: number;
  agentRequestsPerSecond: number;
  /** Counts for the metrics helper: accepted reports, duplicates, refusals by code. */
  onIngest?: (result: { stored: number; duplicates: number; refused: number; durationMs: number }) => void;
  onRefusal?: (code: string) => void;
}

const AGENT = Symbol('vawatch.agent');

/** POST /api/v1/agents/enrol and POST /api/v1/reports. */
export function agentRoutes(deps: AgentRouteDeps): Router {
  const router = express.Router();
  const parseJson = express.json({ limit: deps.bodyLimitBytes });
  // body-parser's refusals (too large, malformed) go straight to the error mapper: count them on the way.
  const json: RequestHandler = (req, res, next) =>
    parseJson(req, res, (err?: unknown) => {
      const code = bodyErrorCode(err);
      if (code) deps.onRefusal?.(code);
      next(err);
    });
  const buckets = new TokenBuckets(deps.agentBurst, deps.agentRequestsPerSecond, deps.clock);
  // Wrong secrets per address: the secret is long and random, but there is no reason to let anyone guess for free.
  const enrolFailures = new FailureLimiter(20, 15 * 60_000, deps.clock);

  const refuse = (e: ApiError): ApiError => {
    deps.onRefusal?.(e.code);
    return e;
  };

  const authenticate: RequestHandler = (req, _res, next) => {
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) {
      next(refuse(new ApiError(401, 'missing-token', 'send the agent token as Authorization: Bearer <token>')));
      return;
    }
    const agent = deps.agents.byToken(m[1]!);
    if (!agent) {
      next(refuse(new ApiError(401, 'bad-token', 'the agent token is unknown or was revoked; enrol again')));
      return;
    }
    const wait = buckets.take(agent.agentId);
    if (wait > 0) {
      next(refuse(new ApiError(429, 'too-many-requests', `this agent is sending too fast; retry in ${wait} s`, { headers: { 'Retry-After': String(wait) } })));
      return;
    }
    (req as unknown as Record<symbol, AgentRecord>)[AGENT] = agent;
    next();
  };

  router.post('/agents/enrol', (req, _res, next) => {
    const wait = enrolFailures.retryAfterMs(req.ip ?? '');
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      next(refuse(new ApiError(429, 'too-many-enrolment-failures', `too many wrong enrolment secrets; retry in ${s} s`, { headers: { 'Retry-After': String(s) } })));
      return;
    }
    next();
  }, json, (req, res) => {
    const body = parseOr400(EnrolRequest, req.body, 'body');
    try {
      res.status(201).json(enrol(deps.enrol, body));
    } catch (e) {
      if (e instanceof ApiError && e.code === 'bad-enrolment-secret') enrolFailures.fail(req.ip ?? '');
      if (e instanceof ApiError) deps.onRefusal?.(e.code);
      throw e;
    }
  });

  // Async: the ack waits for the group commit's transaction (a few ms) while other requests are parsed and queued.
  router.post('/reports', authenticate, json, async (req, res) => {
    const agent = (req as unknown as Record<symbol, AgentRecord>)[AGENT]!;
    if (req.body === undefined) throw refuse(new ApiError(415, 'expected-json', 'send the batch as Content-Type: application/json'));
    try {
      const started = performance.now();
      const result = await ingestBatch(deps.ingest, agent, req.body);
      const durationMs = performance.now() - started;
      deps.onIngest?.({ stored: result.stored, duplicates: result.duplicates, refused: result.ack.refused?.length ?? 0, durationMs });
      res.json(result.ack);
    } catch (e) {
      if (e instanceof ApiError) deps.onRefusal?.(e.code);
      throw e;
    }
  });
  return router;
}
