/**
 * Alertmanager's API v2, the two calls vawatch makes: `POST /api/v2/alerts` and `POST /api/v2/silences`.
 * https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml
 */

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface PostableSilence {
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal }) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

export class AlertmanagerError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export class AlertmanagerClient {
  readonly #base: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: { fetch?: FetchLike; timeoutMs?: number } = {}) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  get baseUrl(): string {
    return this.#base;
  }

  async postAlerts(alerts: PostableAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.#post('/api/v2/alerts', alerts);
  }

  /** Creates a silence; returns its id. */
  async postSilence(silence: PostableSilence): Promise<string> {
    const body = await this.#post('/api/v2/silences', silence);
    try {
      const id = (JSON.parse(body) as { silenceID?: unknown }).silenceID;
      if (typeof id === 'string') return id;
    } catch {
      // fall through
    }
    throw new AlertmanagerError(`Alertmanager answered the silence without a silenceID: ${body.slice(0, 200)}`, null);
  }

  async #post(path: string, payload: unknown): Promise<string> {
    let res;
    try {
      res = await this.#fetch(`${this.#base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (e) {
      throw new AlertmanagerError(`Alertmanager at ${this.#base} unreachable: ${(e as Error).message}`, null);
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new AlertmanagerError(`Alertmanager ${path} answered ${res.status}: ${text.slice(0, 200)}`, res.status);
    return text;
  }
}
