import { createHmac } from 'node:crypto';
import type { Clock, Scheduler } from '../../shared/scheduling.js';
import type { FetchLike } from './alertmanager-client.js';
import type { NotifyLog } from './alertmanager-pusher.js';
import { alertPageUrl, type AlertEventKind, type NotifiableAlert } from './notifiable-alert.js';

export interface WebhookTarget {
  url: string;
  /** When set, each body is signed: `X-Vawatch-Signature: sha256=<hex HMAC of the body>`. */
  secret?: string;
}

export interface WebhookRetry {
  /** Attempts per delivery, the first included. */
  maxAttempts: number;
  /** Delay before the first retry; doubled each time, capped at maxDelayMs, ±20 % jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_WEBHOOK_RETRY: WebhookRetry = { maxAttempts: 6, baseDelayMs: 2_000, maxDelayMs: 5 * 60_000 };

/** The JSON body every webhook receives. */
export interface WebhookBody {
  version: 1;
  event: AlertEventKind;
  sentAt: string;
  alert: {
    id: string;
    rule: string;
    severity: string;
    state: string;
    subject: { kind: string; id: string; name: string };
    group: string | null;
    kmsHost: string | null;
    title: string;
    knowledge: NotifiableAlert['knowledge'] | null;
    machineCount: number | null;
    raisedAt: string;
    resolvedAt: string | null;
    url: string;
  };
  /** Who acknowledged, for `acknowledged`. */
  by?: { username: string; comment: string | null };
}

/** Retry only what can succeed later: no answer, 408, 429 and 5xx. Any other 4xx is a bug to log, not to repeat. */
export function isRetryable(status: number | null): boolean {
  return status === null || status === 408 || status === 429 || status >= 500;
}

/** Delay before attempt `attempt` (2 = first retry): Retry-After when the receiver gave one, else capped doubling with jitter. */
export function retryDelayMs(attempt: number, retry: WebhookRetry, retryAfterSeconds: number | null, random: () => number): number {
  if (retryAfterSeconds !== null) return Math.min(retryAfterSeconds * 1000, retry.maxDelayMs);
  const base = Math.min(retry.baseDelayMs * 2 ** (attempt - 2), retry.maxDelayMs);
  return Math.round(base * (0.8 + 0.4 * random()));
}

function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

type WebhookFetch = (url: string, init: Parameters<FetchLike>[1]) => Promise<{ ok: boolean; status: number; headers: { get(name: string): string | null } }>;

/**
 * Posts alert events to generic webhooks (chat bridges, ticketing, scripts), each delivery retried with capped,
 * jittered backoff on the injected scheduler, honouring Retry-After.
 */
export class WebhookNotifier {
  readonly #targets: readonly WebhookTarget[];
  readonly #clock: Clock;
  readonly #scheduler: Scheduler;
  readonly #log: NotifyLog;
  readonly #publicUrl: string;
  readonly #retry: WebhookRetry;
  readonly #fetch: WebhookFetch;
  readonly #random: () => number;
  readonly #timeoutMs: number;
  #inFlight = new Set<Promise<void>>();
  #closed = false;

  constructor(d: {
    targets: readonly WebhookTarget[];
    clock: Clock;
    scheduler: Scheduler;
    log: NotifyLog;
    publicUrl: string;
    retry?: Partial<WebhookRetry>;
    fetch?: WebhookFetch;
    random?: () => number;
    timeoutMs?: number;
  }) {
    this.#targets = d.targets;
    this.#clock = d.clock;
    this.#scheduler = d.scheduler;
    this.#log = d.log;
    this.#publicUrl = d.publicUrl;
    this.#retry = { ...DEFAULT_WEBHOOK_RETRY, ...d.retry };
    this.#fetch = d.fetch ?? ((url, init) => fetch(url, init));
    this.#random = d.random ?? Math.random;
    this.#timeoutMs = d.timeoutMs ?? 10_000;
  }

  /** Announces an alert event to every target. Returns once each first attempt is done (retries run later). */
  notify(event: AlertEventKind, alert: NotifiableAlert, by?: { username: string; comment?: string | null }): Promise<void> {
    if (this.#closed || this.#targets.length === 0) return Promise.resolve();
    const body: WebhookBody = {
      version: 1,
      event,
      sentAt: new Date(this.#clock.now()).toISOString(),
      alert: {
        id: alert.id,
        rule: alert.rule,
        severity: alert.severity,
        state: alert.state,
        subject: { ...alert.subject },
        group: alert.group,
        kmsHost: alert.kmsHost,
        title: alert.title,
        knowledge: alert.knowledge ?? null,
        machineCount: alert.machineCount ?? null,
        raisedAt: new Date(alert.raisedAt).toISOString(),
        resolvedAt: alert.resolvedAt === null ? null : new Date(alert.resolvedAt).toISOString(),
        url: alertPageUrl(this.#publicUrl, alert.id),
      },
      ...(by ? { by: { username: by.username, comment: by.comment ?? null } } : {}),
    };
    const text = JSON.stringify(body);
    return Promise.all(this.#targets.map((t) => this.#attempt(t, text, 1))).then(() => undefined);
  }

  /** Stops scheduling retries and waits for requests in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#inFlight]);
  }

  #attempt(target: WebhookTarget, text: string, attempt: number): Promise<void> {
    const p = this.#send(target, text, attempt);
    this.#inFlight.add(p);
    return p.finally(() => this.#inFlight.delete(p));
  }

  async #send(target: WebhookTarget, text: string, attempt: number): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'vawatch-webhook/1' };
    if (target.secret) headers['x-vawatch-signature'] = `sha256=${createHmac('sha256', target.secret).update(text).digest('hex')}`;
    let status: number | null = null;
    let retryAfter: number | null = null;
    let reason = '';
    try {
      const res = await this.#fetch(target.url, { method: 'POST', headers, body: text, signal: AbortSignal.timeout(this.#timeoutMs) });
      if (res.ok) return;
      status = res.status;
      retryAfter = parseRetryAfter(res.headers.get('retry-after'), this.#clock.now());
      reason = `answered ${res.status}`;
    } catch (e) {
      reason = `unreachable: ${(e as Error).message}`;
    }
    if (!isRetryable(status)) {
      this.#log.warn(`webhook ${target.url} refused the delivery (${reason}); not retried`);
      return;
    }
    if (attempt >= this.#retry.maxAttempts || this.#closed) {
      this.#log.warn(`webhook ${target.url} ${reason}; gave up after ${attempt} attempts`);
      return;
    }
    const delay = retryDelayMs(attempt + 1, this.#retry, retryAfter, this.#random);
    this.#scheduler.at(this.#clock.now() + delay, () => (this.#closed ? undefined : this.#attempt(target, text, attempt + 1)));
  }
}
