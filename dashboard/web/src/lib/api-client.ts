// The browser's side of the REST API: same-origin fetch with the session cookie, answers validated with the shared
// zod schemas at the edge (a collector that answers something else is reported, not rendered half-way).
import type { z } from 'zod';
import { ErrorBody } from '../../../../shared/protocol.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Which fields the collector refused and why (ErrorBody.issues), for showing next to each input. */
    readonly issues: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | undefined | null | readonly (string | number)[]>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) {
      if (v.length) params.set(k, v.join(','));
    } else params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

export class ApiClient {
  readonly #fetch: typeof fetch;
  /** Called once per 401 so the shell can show the sign-in page. */
  onUnauthorized: () => void = () => {};

  constructor(fetchImpl: typeof fetch = (...a) => fetch(...a)) {
    this.#fetch = fetchImpl;
  }

  get<S extends z.ZodType>(path: string, schema: S, query?: Query): Promise<z.infer<S>> {
    return this.request('GET', withQuery(path, query), schema);
  }
  post<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    return this.request('POST', path, schema, body);
  }
  patch<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    return this.request('PATCH', path, schema, body);
  }
  delete<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> {
    return this.request('DELETE', path, schema);
  }

  async request<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    let res: Response;
    try {
      res = await this.#fetch(path, {
        method,
        credentials: 'same-origin',
        headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'network', 'The collector cannot be reached.');
    }
    const text = await res.text();
    let json: unknown = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (!res.ok) {
      const parsed = ErrorBody.safeParse(json);
      const err = parsed.success
        ? new ApiError(res.status, parsed.data.error.code, parsed.data.error.message, parsed.data.error.issues ?? [])
        : new ApiError(res.status, `http-${res.status}`, `${method} ${path} failed with HTTP ${res.status}`);
      if (res.status === 401 && !path.startsWith('/api/v1/session')) this.onUnauthorized();
      throw err;
    }
    const parsed = schema.safeParse(json ?? {});
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first ? `${first.path.join('.') || '(body)'}: ${first.message}` : 'unexpected shape';
      throw new ApiError(res.status, 'bad-response', `Unexpected answer from ${method} ${path.split('?')[0]} (${where})`);
    }
    return parsed.data;
  }
}
