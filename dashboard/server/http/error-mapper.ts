import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ErrorBody } from '../../../shared/protocol.js';
import type { Logger } from '../log.js';
import { ApiError } from './api-error.js';

/** body-parser's error types, mapped to what the client did wrong. */
const BODY_ERRORS: Record<string, [number, string, string]> = {
  'entity.too.large': [413, 'body-too-large', 'the request body is larger than the collector accepts'],
  'entity.parse.failed': [400, 'malformed-json', 'the request body is not valid JSON'],
  'encoding.unsupported': [415, 'unsupported-encoding', 'the request body encoding is not supported'],
  'charset.unsupported': [415, 'unsupported-charset', 'the request body charset is not supported'],
  'request.aborted': [400, 'request-aborted', 'the request was aborted before its body arrived'],
  'request.size.invalid': [400, 'bad-length', 'the request body does not match its Content-Length'],
  'stream.encoding.set': [500, 'internal', 'internal error'],
};

/**
 * A body-parser refusal as [status, code, message]: one of its known types, or another client error it raises as an
 * exposed 4xx (a gzip body that does not inflate carries zlib's code and no type); undefined for anything else.
 */
function bodyError(err: unknown): [number, string, string] | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { type?: unknown; status?: unknown; expose?: unknown; code?: unknown };
  if (typeof e.type === 'string' && BODY_ERRORS[e.type]) return BODY_ERRORS[e.type];
  // The router's: a path parameter that is not valid percent-encoding (`/api/v1/machines/%`).
  if (err instanceof URIError && e.status === 400) return [400, 'bad-path', 'the URL path is not valid percent-encoding'];
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true) {
    if (typeof e.code === 'string' && e.code.startsWith('Z_')) return [400, 'bad-encoding', 'the request body does not decompress (Content-Encoding says gzip or deflate)'];
    return [e.status, 'bad-request', 'the request body could not be read'];
  }
  return undefined;
}

/** The ErrorBody code of a body-parser refusal (413 too large, malformed JSON…), or undefined for anything else. */
export function bodyErrorCode(err: unknown): string | undefined {
  return bodyError(err)?.[1];
}

/**
 * The one place errors become HTTP answers: ApiError → its status and ErrorBody; a body-parser refusal → 4xx; anything
 * else is a bug → logged with its stack, answered 500 without details.
 */
export function errorMapper(log: Logger, limitBytes: number): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let status: number;
    let body: ErrorBody;
    if (err instanceof ApiError) {
      status = err.status;
      body = err.toBody();
      for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    } else if (bodyError(err)) {
      const [s, code, message] = bodyError(err)!;
      status = s;
      body = { error: { code, message: code === 'body-too-large' ? `${message} (${limitBytes} bytes)` : message } };
    } else {
      status = 500;
      body = { error: { code: 'internal', message: 'internal error; the collector logged the details' } };
      log.error('unhandled error', { method: req.method, path: req.path, error: err instanceof Error ? err.stack : String(err) });
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(body);
  };
}

/** Unknown /api paths answer 404 with an ErrorBody (not the web UI's index.html). */
export const apiNotFound: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not-found', `no such API path: ${req.method} ${req.originalUrl.split('?')[0]}`));
};
