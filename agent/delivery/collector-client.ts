/**
 * The agent's side of the HTTP envelope (shared/protocol.ts): enrol, and send a ReportBatch. Every answer becomes a
 * value the delivery loop can act on; nothing throws for a network error or an HTTP status.
 */
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import {
  EnrolResponse,
  ErrorBody,
  ReportAck,
  describeIssues,
  type EnrolRequest,
  type ReportBatch,
} from '../../shared/protocol.js';
import { systemClock, type Clock } from '../../shared/scheduling.js';

export type CollectorAnswer<T> =
  | { kind: 'ok'; body: T }
  | { kind: 'network'; message: string }
  | { kind: 'http'; status: number; code: string; message: string; retryAfterMs?: number };

export interface CollectorClientOptions {
  baseUrl: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** The wall clock, to read a Retry-After given as an HTTP date. */
  clock?: Clock;
}

interface RawAnswer {
  status: number;
  text: string;
  retryAfter: string | null;
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}

/**
 * node:http rather than fetch: the global fetch loads undici, about 10 MB of resident memory an agent on every
 * machine should not pay for two small POSTs.
 */
export class CollectorClient {
  readonly #base: URL;
  readonly #timeoutMs: number;
  readonly #agent: http.Agent;
  readonly #clock: Clock;

  constructor(opts: CollectorClientOptions) {
    this.#clock = opts.clock ?? systemClock;
    this.#base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#agent = this.#base.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 4 }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  enrol(req: EnrolRequest): Promise<CollectorAnswer<EnrolResponse>> {
    return this.#post('api/v1/agents/enrol', req, undefined, EnrolResponse);
  }

  sendBatch(token: string, batch: ReportBatch): Promise<CollectorAnswer<ReportAck>> {
    return this.#post('api/v1/reports', batch, token, ReportAck);
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  #request(path: string, body: string, token: string | undefined): Promise<RawAnswer> {
    const url = new URL(path, this.#base);
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (token) headers.authorization = `Bearer ${token}`;
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(url, { method: 'POST', headers, agent: this.#agent, timeout: this.#timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ra = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), retryAfter: typeof ra === 'string' ? ra : null });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async #post<T>(path: string, body: unknown, token: string | undefined, schema: z.ZodType<T>): Promise<CollectorAnswer<T>> {
    let raw: RawAnswer;
    try {
      raw = await this.#request(path, JSON.stringify(body), token);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return { kind: 'network', message: err.code ?? err.message };
    }
    let json: unknown;
    try {
      json = raw.text === '' ? undefined : JSON.parse(raw.text);
    } catch {
      json = undefined;
    }
    if (raw.status >= 200 && raw.status < 300) {
      const parsed = schema.safeParse(json);
      if (parsed.success) return { kind: 'ok', body: parsed.data };
      // A 2xx we cannot read is the collector's fault and may pass: retry like a 5xx.
      return { kind: 'http', status: 502, code: 'bad_answer', message: `unreadable answer to /${path}: ${describeIssues(parsed.error).summary}` };
    }
    const err = ErrorBody.safeParse(json);
    const answer: CollectorAnswer<T> = {
      kind: 'http',
      status: raw.status,
      code: err.success ? err.data.error.code : `http_${raw.status}`,
      message: err.success ? err.data.error.message : raw.text.slice(0, 300) || `HTTP ${raw.status}`,
    };
    const retryAfterMs = parseRetryAfter(raw.retryAfter, this.#clock.now());
    if (retryAfterMs !== undefined) answer.retryAfterMs = retryAfterMs;
    return answer;
  }
}
