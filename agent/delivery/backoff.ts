/** Capped, jittered exponential backoff ("equal jitter"), honouring a server's Retry-After when it asks for longer. */
export interface BackoffPolicy {
  /** First delay (default 1 s). */
  baseMs: number;
  /** Largest delay (default 5 min). */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 5 * 60_000 };

/**
 * The delay before retry number `attempt` (1 for the first retry): uniform in [ceiling/2, ceiling] where the ceiling
 * doubles per attempt up to the cap, so a fleet that lost its collector does not come back in lockstep; never shorter
 * than Retry-After.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}
