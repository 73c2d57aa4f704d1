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

/** The ErrorBody code of a body-parser refusal (413 too large, malformed JSON…), or undefined for anything else. */
export function bodyErrorCode(err: unknown): string | undefined {
  const type = err && typeof err === 'object' ? (err as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? BODY_ERRORS[type]?.[1] : undefined;
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
    } else if (err && typeof err === 'object' && typeof (err as { type?: unknown }).type === 'string' && BODY_ERRORS[(err as { type: string }).type]) {
      const [s, code, message] = BODY_ERRORS[(err as { type: string }).type]!;
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
