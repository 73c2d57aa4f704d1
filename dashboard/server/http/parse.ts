import type { z } from 'zod';
import { describeIssues } from '../../../shared/protocol.js';
import { ApiError } from './api-error.js';

/** Validates a body or query with a zod schema; 400 with the issues when it does not fit. */
export function parseOr400<T extends z.ZodType>(schema: T, value: unknown, what: 'body' | 'query'): z.infer<T> {
  const r = schema.safeParse(value ?? (what === 'body' ? undefined : {}));
  if (!r.success) {
    const { issues, summary } = describeIssues(r.error);
    throw new ApiError(400, what === 'body' ? 'invalid-body' : 'invalid-query', summary || `invalid ${what}`, { issues });
  }
  return r.data;
}
