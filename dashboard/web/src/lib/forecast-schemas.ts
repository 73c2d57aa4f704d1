// Schemas for the forecast and alert-detail answers, which the alert engine defines (dashboard/forecast,
// dashboard/alerts). They are parsed loosely on purpose: instants may travel as ISO strings or epoch milliseconds,
// and fields this screen does not show are kept but not required.
import { z } from 'zod';
import { AlertListItem } from '../../../../shared/api.js';

/** An instant as ISO-8601 or epoch milliseconds, turned into milliseconds. */
const Instant = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const t = typeof v === 'number' ? v : Date.parse(v);
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: `expected an instant, got ${String(v)}` });
    return z.NEVER;
  }
  return t;
});
const MaybeInstant = Instant.nullable().optional().transform((v) => v ?? null);

export const ExpiryWaveMachine = z.looseObject({
  machineId: z.string(),
  hostname: z.string(),
  group: z.string().optional().default(''),
  product: z.string().optional().default(''),
  notificationAt: Instant,
  kmsHost: z.string().nullable().optional().default(null),
});
export type ExpiryWaveMachine = z.infer<typeof ExpiryWaveMachine>;

export const ExpiryWave = z.looseObject({
  at: MaybeInstant,
  days: z.array(
    z.looseObject({
      date: z.string(),
      count: z.number().int(),
      machines: z.array(ExpiryWaveMachine).optional().default([]),
    }),
  ),
  alreadyInNotification: z.number().int().optional().default(0),
});
export type ExpiryWave = z.infer<typeof ExpiryWave>;

const KmsCountForecastOne = z.looseObject({
  /** `windows` or `office`: each has its own count and threshold on the host. */
  application: z.string().optional().default('windows'),
  /** `clients`: no agent runs on the host; the forecast is built from what its clients showed (a lower bound). */
  basis: z.string().optional().default('host'),
  modelledCount: z.number().optional(),
  reportedCount: z.number().nullable().optional(),
  days: z.array(z.looseObject({ at: Instant, count: z.number() })),
  crossings: z
    .array(
      z.looseObject({
        threshold: z.number(),
        alreadyBelow: z.boolean().optional().default(false),
        at: MaybeInstant,
        causedBy: z
          .array(z.looseObject({ cmid: z.string(), clientFqdn: z.string(), lastSeenAt: MaybeInstant, agesOutAt: MaybeInstant }))
          .optional()
          .default([]),
        unnamedCausing: z.number().optional().default(0),
      }),
    )
    .optional()
    .default([]),
  clients: z
    .array(
      z.looseObject({
        cmid: z.string(),
        clientFqdn: z.string(),
        lastSeenAt: MaybeInstant,
        status: z.string().optional().default('renewing'),
        agesOutAt: MaybeInstant,
      }),
    )
    .optional()
    .default([]),
});
export type KmsCountForecastOne = z.infer<typeof KmsCountForecastOne>;

/** GET /api/v1/kms-hosts/:id/forecast: Windows' forecast at the top level, and one per application in `applications`. */
export const KmsCountForecast = KmsCountForecastOne.extend({ applications: z.array(KmsCountForecastOne).optional().default([]) });
export type KmsCountForecast = z.infer<typeof KmsCountForecast>;

const BlastMachine = z.looseObject({
  machineId: z.string(),
  hostname: z.string(),
  group: z.string().optional().default(''),
  product: z.string().optional().default(''),
  licenseStatus: z.union([z.string(), z.number()]).optional(),
  ootGraceAt: MaybeInstant,
  notificationAt: MaybeInstant,
  alreadyInNotification: z.boolean().optional().default(false),
  failoverHost: z.string().nullable().optional().default(null),
});
export const BlastRadius = z.looseObject({
  affected: z.array(BlastMachine).default([]),
  coveredByFailover: z.array(BlastMachine).optional().default([]),
  byDay: z.array(z.looseObject({ date: z.string(), ootGrace: z.number(), notification: z.number() })).optional().default([]),
  firstNotificationAt: MaybeInstant,
});
export type BlastRadius = z.infer<typeof BlastRadius>;

export const Knowledge = z.looseObject({
  meaning: z.string().optional().default(''),
  cause: z.string().optional().default(''),
  action: z.string().optional().default(''),
  hresult: z.looseObject({ code: z.string(), text: z.string() }).nullable().optional(),
  commands: z.array(z.string()).optional().default([]),
});
export type Knowledge = z.infer<typeof Knowledge>;

const HistoryEntry = z.looseObject({
  at: Instant,
  /** raised, changed, acknowledged, commented, silenced, resolved. */
  kind: z.string().optional().default('changed'),
  actor: z.string().nullable().optional().default(null),
  comment: z.string().nullable().optional().default(null),
  detail: z.string().nullable().optional().default(null),
});

/** GET /api/v1/alerts/:id — the list item plus knowledge, affected machines and history. */
export const AlertDetail = AlertListItem.extend({
  summary: z.string().optional(),
  knowledge: Knowledge.optional(),
  machines: z.array(z.looseObject({ machineId: z.string(), hostname: z.string(), detail: z.string().optional().default('') })).optional().default([]),
  history: z.array(HistoryEntry).optional().default([]),
  acknowledgedBy: z.string().nullable().optional(),
  acknowledgedAt: MaybeInstant,
  silencedBy: z.string().nullable().optional(),
  silenceReason: z.string().nullable().optional(),
  occurrence: z.number().optional(),
});
export type AlertDetail = z.infer<typeof AlertDetail>;

/** Fields an alert list item may carry beyond the shared shape (the engine adds them). */
export function alertExtras(a: AlertListItem): { machineCount: number; acknowledgedBy: string | null; summary: string | null } {
  const r = a as Record<string, unknown>;
  const machines = Array.isArray(r['machines']) ? r['machines'].length : typeof r['machineCount'] === 'number' ? (r['machineCount'] as number) : 0;
  const ackBy = r['acknowledgedBy'];
  const summary = r['summary'];
  return {
    machineCount: machines,
    acknowledgedBy: typeof ackBy === 'string' ? ackBy : null,
    summary: typeof summary === 'string' ? summary : null,
  };
}
