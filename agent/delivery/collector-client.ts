/**
 * The agent's side of the HTTP envelope (shared/protocol.ts): enrol, and send a ReportBatch. Every answer becomes a
 * value the delivery loop can act on; nothing throws for a network error or an HTTP status.
 */
import { z } from 'zod';
import {
  EnrolResponse,
  ErrorBody,
  ReportAck,
  describeIssues,
  type EnrolRequest,
  type ReportBatch,
} from '../../shared/protocol.js';

export type CollectorAnswer<T> =
  | { kind: 'ok'; body: T }
  | { kind: 'network'; message: string }
  | { kind: 'http'; status: number; code: string; message: string; retryAfterMs?: number };

export interface CollectorClientOptions {
  baseUrl: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}

export class CollectorClient {
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(opts: CollectorClientOptions) {
    this.#base = opts.baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#fetch = opts.fetch ?? fetch;
  }

  enrol(req: EnrolRequest): Promise<CollectorAnswer<EnrolResponse>> {
    return this.#post('/api/v1/agents/enrol', req, undefined, EnrolResponse);
  }

  sendBatch(token: string, batch: ReportBatch): Promise<CollectorAnswer<ReportAck>> {
    return this.#post('/api/v1/reports', batch, token, ReportAck);
  }

  async #post<T>(path: string, body: unknown, token: string | undefined, schema: z.ZodType<T>): Promise<CollectorAnswer<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(`${this.#base}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return { kind: 'network', message: cause?.code ?? cause?.message ?? (e as Error).message };
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.ok) {
      const parsed = schema.safeParse(json);
      if (parsed.success) return { kind: 'ok', body: parsed.data };
      // A 2xx we cannot read is the collector's fault and may pass: retry like a 5xx.
      return { kind: 'http', status: 502, code: 'bad_answer', message: `unreadable answer to ${path}: ${describeIssues(parsed.error).summary}` };
    }
    const err = ErrorBody.safeParse(json);
    const answer: CollectorAnswer<T> = {
      kind: 'http',
      status: res.status,
      code: err.success ? err.data.error.code : `http_${res.status}`,
      message: err.success ? err.data.error.message : (text.slice(0, 300) || res.statusText),
    };
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
    if (retryAfterMs !== undefined) answer.retryAfterMs = retryAfterMs;
    return answer;
  }
}
