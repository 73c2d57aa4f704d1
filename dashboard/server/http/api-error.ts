import type { ErrorBody } from '../../../shared/protocol.js';

/**
 * A refusal with an HTTP status, a stable code and a message a person can act on. Throw it from any route (the
 * collector's or a plug-in's); the one error mapper turns it into an `ErrorBody`. Anything else thrown is a bug:
 * logged, answered 500 without details.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: ErrorBody['error']['issues'];
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: { issues?: ErrorBody['error']['issues']; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = extra.issues;
    this.headers = extra.headers ?? {};
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) } };
  }
}

export const notFound = (what: string) => new ApiError(404, 'not-found', `${what} does not exist`);
