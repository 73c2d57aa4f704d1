import express, { type RequestHandler, type Router } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
  /** Where an unexpected error on the reports fast path is logged (it answers 500 without details). */
  onError?: (e: unknown) => void;
}

/**
 * The agent routes: an express router, and the fast path for `POST /api/v1/reports` that the HTTP server tries first.
 * The fast path takes only the ordinary request (a known token within its rate, JSON without content encoding, a
 * Content-Length within the limit) and answers it without express's router and wrappers, about a tenth of a report's
 * cost at fleet scale; anything else (no token, a refusal before the body, gzip, chunked) falls through to the router,
 * which answers it exactly as before.
 */
export interface AgentRoutes {
  router: Router;
  /** Handles the request and returns true, or returns false having touched nothing (the router takes it). */
  fastReports(req: IncomingMessage, res: ServerResponse): boolean;
}

const AGENT = Symbol('vawatch.agent');

/** POST /api/v1/agents/enrol and POST /api/v1/reports. */
export function agentRoutes(deps: AgentRouteDeps): AgentRoutes {
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

  /** Ingests a parsed body for an authenticated agent; the ack, or the ApiError (counted) thrown. */
  const ingest = async (agent: AgentRecord, body: unknown) => {
    try {
      const started = performance.now();
      const result = await ingestBatch(deps.ingest, agent, body);
      const durationMs = performance.now() - started;
      deps.onIngest?.({ stored: result.stored, duplicates: result.duplicates, refused: result.ack.refused?.length ?? 0, durationMs });
      return result.ack;
    } catch (e) {
      if (e instanceof ApiError) deps.onRefusal?.(e.code);
      throw e;
    }
  };

  // Async: the ack waits for the group commit's transaction (a few ms) while other requests are parsed and queued.
  router.post('/reports', authenticate, json, async (req, res) => {
    const agent = (req as unknown as Record<symbol, AgentRecord>)[AGENT]!;
    if (req.body === undefined) throw refuse(new ApiError(415, 'expected-json', 'send the batch as Content-Type: application/json'));
    res.json(await ingest(agent, req.body));
  });

  const fastReports = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST' || req.url !== '/api/v1/reports') return false;
    const type = req.headers['content-type']?.toLowerCase();
    if (type !== 'application/json' && type !== 'application/json; charset=utf-8') return false;
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
    const length = Number(req.headers['content-length']);
    if (!Number.isSafeInteger(length) || length < 0 || length > deps.bodyLimitBytes) return false;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const agent = m ? deps.agents.byToken(m[1]!) : undefined;
    // A refused token or rate goes to the router, which refuses it (take() spends nothing when it refuses).
    if (!agent || buckets.take(agent.agentId) > 0) return false;
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= length) chunks.push(c);
    });
    req.on('end', () => {
      if (size !== length) {
        deps.onRefusal?.('bad-length');
        send(res, 400, { error: { code: 'bad-length', message: 'the request body does not match its Content-Length' } });
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
      } catch {
        deps.onRefusal?.('malformed-json');
        send(res, 400, { error: { code: 'malformed-json', message: 'the request body is not valid JSON' } });
        return;
      }
      ingest(agent, body).then(
        (ack) => send(res, 200, ack),
        (e: unknown) => {
          if (e instanceof ApiError) {
            for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
            send(res, e.status, e.toBody());
            return;
          }
          deps.onError?.(e);
          send(res, 500, { error: { code: 'internal', message: 'internal error; the collector logged the details' } });
        },
      );
    });
    return true;
  };
  return { router, fastReports };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
