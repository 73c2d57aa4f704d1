import { z } from 'zod';

/** true / false, also as the strings an environment variable carries (z.coerce.boolean would read "false" as true). */
function flag() {
  return z.union([z.boolean(), z.enum(['true', 'false', '1', '0'], { error: 'expected true or false' }).transform((v) => v === 'true' || v === '1')]);
}

const HttpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

/** Where the collector sends its alerts. Nothing is sent unless a URL is configured. */
export const NotifyOptions = z.object({
  /** Alertmanager base URL (e.g. http://alertmanager:9093); the collector pushes its alerts to /api/v2/alerts. */
  alertmanagerUrl: HttpUrl.optional(),
  /** The dashboard's address as people open it: generatorURL and webhook links point here. */
  publicUrl: HttpUrl.default('http://127.0.0.1:8080'),
  /** Active alerts are pushed to Alertmanager again this often. */
  resendSeconds: z.coerce.number().min(1).max(3600).default(60),
  /** Acknowledging an alert creates an Alertmanager silence for its subject (needs alertmanagerUrl). */
  silenceOnAck: flag().default(true),
  /** How long that silence lasts. */
  ackSilenceHours: z.coerce.number().min(0.1).max(24 * 90).default(24),
  /** Generic webhooks: each alert event is POSTed as JSON, signed when a secret is given. */
  webhooks: z.array(z.object({ url: HttpUrl, secret: z.string().min(8).optional() })).default([]),
  /** Attempts per webhook delivery (network errors, 408, 429 and 5xx are retried with backoff). */
  webhookMaxAttempts: z.coerce.number().int().min(1).max(50).default(6),
});
export type NotifyOptions = Readonly<z.infer<typeof NotifyOptions>>;
export type NotifyOptionsInput = z.input<typeof NotifyOptions>;

/** Parses and freezes notify options; throws with a one-line reason naming the option. */
export function parseNotifyOptions(input: NotifyOptionsInput = {}): NotifyOptions {
  const r = NotifyOptions.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`notify.${i.path.join('.') || 'options'}: ${i.message}`);
  }
  return Object.freeze(r.data);
}
