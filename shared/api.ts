/**
 * The collector's REST read API (`/api/v1/…`): zod schemas of what the browser receives and sends, each with an
 * inferred type of the same name. The socket.io event maps in `socket-events.ts` reuse these shapes, so a screen
 * renders a REST answer and a live delta with the same code.
 *
 * Conventions: instants are ISO-8601 strings; lists are `Page<T>` = `{items, total}` paged by `offset` / `limit`;
 * every 4xx / 5xx body is the protocol's `ErrorBody`. Ids in URLs are URL-encoded machine ids and KMS host ids.
 */
import { z } from 'zod';
import {
  Channel,
  EventPayload,
  IsoInstant,
  KmsServiceState,
  LicenseStatus,
  OsInfo,
  ProductState,
  PROTOCOL_VERSION,
} from './protocol.js';
import { CHANNELS } from './channel.js';

// ---- building blocks ----

/** Health in the SCOM manner; the worst state wins when rolling up machine → KMS host → group → fleet. */
export const HEALTH_STATES = ['healthy', 'warning', 'critical', 'unknown'] as const;
export const Health = z.enum(HEALTH_STATES);
export type Health = z.infer<typeof Health>;

/** Dashboard roles: viewers read; operators also acknowledge, comment and silence; admins also manage. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** True when `role` may do what `needed` may (admin ⊃ operator ⊃ viewer). */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** A paged list: the items of the requested slice and how many match in all. */
export function Page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int().min(0) });
}
export type Page<T> = { items: T[]; total: number };

/** Largest `limit` a list accepts. */
export const MAX_PAGE_LIMIT = 1000;
/** `limit` when a list request gives none. */
export const DEFAULT_PAGE_LIMIT = 50;

/** The licence status a machine is filed under: its primary Windows product's LicenseStatus, or `none` without one. */
export const MachineStatusKey = z.union([LicenseStatus, z.literal('none')]);
export type MachineStatusKey = z.infer<typeof MachineStatusKey>;

/** A count per LicenseStatus `"0"`…`"6"` plus `"none"` (machines without a primary Windows product). */
export const StatusCounts = z.record(z.string(), z.number().int().min(0));
export type StatusCounts = z.infer<typeof StatusCounts>;

// ---- machines ----

/** One row of the machine grid. `status` / `channel` / `graceExpiresAt` / `kmsHost` come from the primary product. */
export const MachineListItem = z.object({
  machineId: z.string(),
  hostname: z.string(),
  group: z.string(),
  osKind: z.enum(['client', 'server']).nullable(),
  osCaption: z.string().nullable(),
  cmid: z.string().nullable(),
  /** Primary Windows product's LicenseStatus, or null when the machine has none (or has not sent a snapshot yet). */
  status: LicenseStatus.nullable(),
  /** LicenseStatusReason (an HRESULT) as a number, and as Windows prints it (`0xC004F00F`); null when none. */
  statusReason: z.number().int().nullable(),
  statusReasonHex: z.string().nullable(),
  channel: Channel.nullable(),
  graceExpiresAt: IsoInstant.nullable(),
  /** KMS host id (lower-case FQDN) the primary product last used, or null (never for an AD-based activation). */
  kmsHost: z.string().nullable(),
  /** True when this machine is itself a KMS host (its snapshot carries a kmsService). */
  isKmsHost: z.boolean(),
  /** The volume Office product installed, by name (e.g. `Office LTSC Professional Plus 2021`), or null (the collector always sends it). */
  office: z.string().nullable().optional(),
  productCount: z.number().int().min(0),
  /** `sentAt` of the newest report stored (agent's clock; the demo fast-forwards it). */
  lastReportAt: IsoInstant.nullable(),
  /** When the collector received that report (collector's clock). */
  lastReceivedAt: IsoInstant.nullable(),
  /** `collectedAt` of the snapshot shown. */
  collectedAt: IsoInstant.nullable(),
  retired: z.boolean(),
  health: Health,
});
export type MachineListItem = z.infer<typeof MachineListItem>;

/** A point of a machine's state history: one product's status from a given instant on. */
export const StateHistoryPoint = z.object({
  at: IsoInstant,
  activationId: z.string(),
  productName: z.string(),
  primary: z.boolean(),
  status: LicenseStatus,
  statusReason: z.number().int().nullable(),
  statusReasonHex: z.string().nullable(),
  graceExpiresAt: IsoInstant.nullable(),
});
export type StateHistoryPoint = z.infer<typeof StateHistoryPoint>;

/** What the collector itself records about a machine (retirement, replacement, re-enrolment…). */
export const COLLECTOR_EVENT_CODES = [
  'machine-enrolled',
  'machine-re-enrolled',
  'machine-retired',
  'machine-replaced',
  'machine-reactivated',
  'agent-revoked',
  'events-lost',
] as const;
export const CollectorEventPayload = z.object({
  kind: z.literal('collector'),
  code: z.enum(COLLECTOR_EVENT_CODES),
  message: z.string(),
});
export type CollectorEventPayload = z.infer<typeof CollectorEventPayload>;

/** The `log` of events the collector writes itself (Windows events carry their real log name). */
export const COLLECTOR_EVENT_LOG = 'vawatch';

/** One event: a Windows event an agent reported, or one the collector wrote (`log` = `vawatch`). */
export const EventListItem = z.object({
  /** The collector's own row id: increases with arrival, so `id` orders arrivals. */
  id: z.number().int(),
  machineId: z.string(),
  hostname: z.string(),
  group: z.string(),
  log: z.string(),
  provider: z.string(),
  eventId: z.number().int(),
  /** Windows record id (0 for collector events). */
  recordId: z.number().int(),
  /** When it happened (the event's own time). */
  time: IsoInstant,
  receivedAt: IsoInstant,
  payload: z.union([EventPayload, CollectorEventPayload]),
  /** The payload's HRESULT as Windows prints it (`0xC004F074`; the payload keeps the number), or null when it has none. */
  hresultHex: z.string().nullable(),
});
export type EventListItem = z.infer<typeof EventListItem>;

/** Everything a machine's detail pane shows. */
export const MachineDetail = MachineListItem.extend({
  agentId: z.string().nullable(),
  os: OsInfo.nullable(),
  /** As the agent reported them, with each LicenseStatusReason also as Windows prints it. */
  products: z.array(ProductState.extend({ licenseStatusReasonHex: z.string().nullable() })),
  kmsService: KmsServiceState.nullable(),
  retiredAt: IsoInstant.nullable(),
  retiredReason: z.string().nullable(),
  /** Machine id of the machine that replaced this one (same hostname, reinstalled), when that retired it. */
  replacedBy: z.string().nullable(),
  /** Newest first, at most 100. */
  events: z.array(EventListItem),
  /** Oldest first: every status change of every product. */
  stateHistory: z.array(StateHistoryPoint),
});
export type MachineDetail = z.infer<typeof MachineDetail>;

// ---- KMS hosts ----

/**
 * Where a KMS host's figures come from: `host` = its own agent reports its KMS service; `clients` = nobody runs an agent
 * on it, and what is shown is inferred from its clients' requests and answers (12288 / 12289): the count it last
 * answered with, and the CMIDs seen asking it (a lower bound of its window: clients without an agent are not seen).
 */
export const KmsHostBasis = z.enum(['host', 'clients']);
export type KmsHostBasis = z.infer<typeof KmsHostBasis>;

/** The licensing applications a KMS host keeps a count for: Windows (threshold 25 or 5) and volume Office (5). */
export const KMS_APPLICATIONS = ['windows', 'office'] as const;
export const KmsApplication = z.enum(KMS_APPLICATIONS);
export type KmsApplication = z.infer<typeof KmsApplication>;

/** One application's count on a KMS host, against its own threshold. */
export const KmsApplicationCountItem = z.object({
  application: KmsApplication,
  /** `Windows`, `Office`, or the host product's name as the host reports it. */
  name: z.string(),
  /** The count (null: no data), from the host's own report or, with basis `clients`, from its newest answer to a client. */
  currentCount: z.number().int().nullable(),
  /** When that count was true. */
  countAt: IsoInstant.nullable(),
  /** The threshold it is judged by: Office 5; Windows 25 while client OS machines depend on the host, else 5. */
  threshold: z.number().int().min(1),
  /** RequiredClientCount as the host reports it for this application (null: not reported). */
  requiredClientCount: z.number().int().nullable(),
  /** Unique CMIDs of this application seen asking the host in the last 30 days (12290 on the host, or clients' 12288). */
  windowCount: z.number().int().min(0),
  /** currentCount is below threshold. */
  belowThreshold: z.boolean(),
});
export type KmsApplicationCountItem = z.infer<typeof KmsApplicationCountItem>;

/** One KMS host. Known either from its own agent (kmsService) or only because clients name it. */
export const KmsHostListItem = z.object({
  /** Lower-case FQDN: the key in URLs and rooms. */
  id: z.string(),
  hostname: z.string(),
  /** The machine whose agent reports this host's KMS service, or null when only clients name it. */
  machineId: z.string().nullable(),
  group: z.string().nullable(),
  /** KeyManagementServiceCurrentCount as the host last reported it (null: no data / not reported). */
  currentCount: z.number().int().nullable(),
  requiredClientCount: z.number().int().nullable(),
  /** Unique CMIDs seen in 12290 events within the last 30 days (the collector's own view of the window). */
  windowCount: z.number().int().min(0),
  /** Machines (not retired) whose primary product last used this host, and how many of them run a client OS. */
  clientsUsing: z.number().int().min(0),
  clientOsUsing: z.number().int().min(0),
  lastRequestAt: IsoInstant.nullable(),
  dnsPublishing: z.boolean().nullable(),
  /** A 12293 with no later 12294: when, and the HRESULT. */
  dnsPublishFailedAt: IsoInstant.nullable(),
  dnsPublishFailedHresult: z.number().int().nullable(),
  dnsPublishFailedHresultHex: z.string().nullable(),
  lastReportAt: IsoInstant.nullable(),
  health: Health,
  /** `host`: from its own agent; `clients`: inferred from its clients (no agent runs on it). */
  basis: KmsHostBasis,
  /** When `currentCount` was true (the host's snapshot, or the client answer it comes from). */
  countAt: IsoInstant.nullable(),
  /** With basis `clients`: the machine whose answer (12289) gave `currentCount`. */
  countSeenBy: z.object({ machineId: z.string(), hostname: z.string() }).nullable(),
  /** Each application's count against its own threshold; Windows first. */
  applications: z.array(KmsApplicationCountItem),
  /**
   * The KMS service as the host's agent last saw it: `running` (sppsvc) and `listening` (the KMS port), null when not
   * reported; `failure`: its newest 12291 / 12292 while no later report has come from the host (KmsServiceFailing).
   */
  service: z.object({
    running: z.boolean().nullable(),
    listening: z.boolean().nullable(),
    failure: z.object({ eventId: z.number().int(), at: IsoInstant, hresult: z.number().int() }).nullable(),
  }),
});
export type KmsHostListItem = z.infer<typeof KmsHostListItem>;

/** A client in a KMS host's window, from its newest 12290 on that host. */
export const KmsClientWindowEntry = z.object({
  cmid: z.string(),
  /** The application the request was for (a machine asking for Windows and Office is in both windows). */
  application: KmsApplication,
  clientFqdn: z.string(),
  lastRequestAt: IsoInstant,
  /** lastRequestAt + 30 days: when this CMID drops out of the count unless it asks again. */
  agesOutAt: IsoInstant,
  licenseStatus: z.number().int(),
  hresult: z.number().int(),
  hresultHex: z.string(),
  nPolicy: z.number().int(),
  isVm: z.boolean(),
  requests: z.number().int().min(0),
});
export type KmsClientWindowEntry = z.infer<typeof KmsClientWindowEntry>;

export const KmsCountPoint = z.object({ at: IsoInstant, currentCount: z.number().int().nullable() });
export type KmsCountPoint = z.infer<typeof KmsCountPoint>;

export const KmsHostDetail = KmsHostListItem.extend({
  kmsService: KmsServiceState.nullable(),
  /** Oldest first: the reported count each time it changed. */
  countHistory: z.array(KmsCountPoint),
  /** Clients seen in the last 30 days, soonest to age out first. */
  clientWindow: z.array(KmsClientWindowEntry),
  /** Newest first, at most 100: 12290 / 12293 / 12294 from the host. */
  events: z.array(EventListItem),
});
export type KmsHostDetail = z.infer<typeof KmsHostDetail>;

// ---- summary ----

export const GroupSummary = z.object({
  group: z.string(),
  total: z.number().int().min(0),
  byStatus: StatusCounts,
  health: Health,
});
export type GroupSummary = z.infer<typeof GroupSummary>;

/** Alert counts the alert engine fills in (zeros until it runs). */
export const AlertCounts = z.object({
  active: z.number().int().min(0),
  critical: z.number().int().min(0),
  warning: z.number().int().min(0),
  acknowledged: z.number().int().min(0),
});
export type AlertCounts = z.infer<typeof AlertCounts>;

/** GET /api/v1/summary: the Overview. Counts include active (not retired) machines only. */
export const Summary = z.object({
  generatedAt: IsoInstant,
  machines: z.object({
    total: z.number().int().min(0),
    retired: z.number().int().min(0),
    /** Machines that have sent no report for longer than the stale threshold. */
    stale: z.number().int().min(0),
  }),
  byStatus: StatusCounts,
  /** Count per channel of the primary product, plus `none`. */
  byChannel: z.record(z.string(), z.number().int().min(0)),
  /** What the fleet runs: active machines per Windows edition (OS caption) and per volume Office product, most first (at most 12 each). */
  byProduct: z
    .object({
      windows: z.array(z.object({ name: z.string(), count: z.number().int().min(0) })),
      office: z.array(z.object({ name: z.string(), count: z.number().int().min(0) })),
    })
    .optional(),
  byGroup: z.array(GroupSummary),
  kmsHosts: z.array(KmsHostListItem),
  health: z.object({ fleet: Health }),
  alerts: AlertCounts,
});
export type Summary = z.infer<typeof Summary>;

// ---- alerts (shape shared with the alert engine; it may add fields) ----

export const AlertSeverity = z.enum(['warning', 'critical']);
export type AlertSeverity = z.infer<typeof AlertSeverity>;
export const AlertState = z.enum(['new', 'acknowledged', 'resolved']);
export type AlertState = z.infer<typeof AlertState>;

/** One alert as lists and the socket's `alerts` room carry it. Loose: the alert engine adds its own fields. */
export const AlertListItem = z.looseObject({
  id: z.string(),
  rule: z.string(),
  severity: AlertSeverity,
  state: AlertState,
  /** What it is about (`cmid`: machines sharing one Client Machine ID). */
  subject: z.object({ kind: z.enum(['machine', 'kms-host', 'cmid', 'group', 'fleet']), id: z.string(), name: z.string() }),
  group: z.string().nullable(),
  kmsHost: z.string().nullable(),
  title: z.string(),
  raisedAt: IsoInstant,
  updatedAt: IsoInstant,
  resolvedAt: IsoInstant.nullable(),
  silencedUntil: IsoInstant.nullable(),
});
export type AlertListItem = z.infer<typeof AlertListItem>;

/** One rule's thresholds: `rule` names it, every other field is a threshold (a number) or a switch (`enabled`). */
export const AlertRuleEntry = z.looseObject({ rule: z.string().min(1) });
export type AlertRuleEntry = z.infer<typeof AlertRuleEntry> & Record<string, unknown>;

/** PUT /api/v1/alerts/settings body (admins): the alert configuration file's format; the collector checks each rule. */
export const AlertSettingsBody = z.strictObject({
  rules: z.array(AlertRuleEntry).default([]),
  groups: z.record(z.string().min(1).max(100), z.array(AlertRuleEntry)).default({}),
});
export type AlertSettingsBody = z.infer<typeof AlertSettingsBody>;

/** Where the thresholds in force came from: the catalogue, the --alerts-config file, or an admin (wins over the file). */
export const AlertSettingsSource = z.enum(['defaults', 'file', 'admin']);
export type AlertSettingsSource = z.infer<typeof AlertSettingsSource>;

/** GET /api/v1/alerts/settings: every rule's effective global entry, the catalogue defaults and the group overrides. */
export const AlertSettingsView = z.object({
  source: AlertSettingsSource,
  updatedAt: IsoInstant.nullable(),
  updatedBy: z.string().nullable(),
  rules: z.array(AlertRuleEntry),
  defaults: z.array(AlertRuleEntry),
  groups: z.record(z.string(), z.array(AlertRuleEntry)),
});
export type AlertSettingsView = z.infer<typeof AlertSettingsView>;

// ---- users, sessions, agents ----

export const Username = z
  .string()
  .min(1, { error: 'expected a user name' })
  .max(64, { error: 'expected at most 64 characters' })
  .regex(/^[A-Za-z0-9._@-]+$/, { error: 'expected letters, digits and . _ @ - only' });
/** At least 8 characters: the collector hashes with scrypt; length is what makes a password strong. */
export const Password = z
  .string()
  .min(8, { error: 'expected a password of at least 8 characters' })
  .max(200, { error: 'expected at most 200 characters' });

/** POST /api/v1/session body. */
export const SignInRequest = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });
export type SignInRequest = z.infer<typeof SignInRequest>;

/** GET /api/v1/session and the answer to a sign-in. */
export const SessionInfo = z.object({ username: z.string(), role: Role });
export type SessionInfo = z.infer<typeof SessionInfo>;

export const User = z.object({
  username: z.string(),
  role: Role,
  createdAt: IsoInstant,
  lastSignInAt: IsoInstant.nullable(),
});
export type User = z.infer<typeof User>;

/** POST /api/v1/users (admin). */
export const CreateUserRequest = z.object({ username: Username, password: Password, role: Role });
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;
/** PATCH /api/v1/users/:username (admin; a user may change their own password). */
export const UpdateUserRequest = z
  .object({ role: Role.optional(), password: Password.optional() })
  .refine((u) => u.role !== undefined || u.password !== undefined, { error: 'expected role or password' });
export type UpdateUserRequest = z.infer<typeof UpdateUserRequest>;

/** An enrolled agent (GET /api/v1/agents, admin). Tokens are never shown again after enrolment. */
export const AgentInfo = z.object({
  agentId: z.string(),
  machineId: z.string(),
  hostname: z.string(),
  enrolledAt: IsoInstant,
  lastReportAt: IsoInstant.nullable(),
  revokedAt: IsoInstant.nullable(),
});
export type AgentInfo = z.infer<typeof AgentInfo>;

/** GET /api/v1/agents (admin) query: a page of agents, newest enrolment first; `after` is the previous page's `next`. */
export const AgentListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().regex(/^\d{1,16}_.{1,200}$/, 'expected the `next` of a previous page').optional(),
});
export type AgentListQuery = z.infer<typeof AgentListQuery>;

/** GET /api/v1/agents answer: one page, how many agents there are in all, and the cursor of the next page (or null). */
export const AgentPage = z.object({ items: z.array(AgentInfo), total: z.number().int(), next: z.string().nullable() });
export type AgentPage = z.infer<typeof AgentPage>;

/** POST /api/v1/enrolment-secret/rotate (admin): the new secret, shown this once. */
export const EnrolmentSecretRotated = z.object({ secret: z.string(), rotatedAt: IsoInstant });
export type EnrolmentSecretRotated = z.infer<typeof EnrolmentSecretRotated>;

/** POST /api/v1/machines/:id/retire (admin) body. */
export const RetireRequest = z.object({ reason: z.string().max(500).optional() });
export type RetireRequest = z.infer<typeof RetireRequest>;

/** GET /api/v1/info: what is running (no sign-in needed). */
export const ServerInfo = z.object({
  name: z.literal('vawatch'),
  version: z.string(),
  protocol: z.literal(PROTOCOL_VERSION),
  startedAt: IsoInstant,
  serverTime: IsoInstant,
});
export type ServerInfo = z.infer<typeof ServerInfo>;

// ---- query parameters of the lists (query strings: numbers and lists arrive as text) ----

function csv<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v),
    z.array(item),
  );
}
const Offset = z.coerce.number().int().min(0, { error: 'expected offset ≥ 0' }).default(0);
const Limit = z.coerce
  .number()
  .int()
  .min(1, { error: 'expected limit ≥ 1' })
  .max(MAX_PAGE_LIMIT, { error: `expected limit ≤ ${MAX_PAGE_LIMIT}` })
  .default(DEFAULT_PAGE_LIMIT);
const StatusFilter = z.union([z.literal('none'), z.coerce.number().int().min(0).max(6, { error: 'expected 0..6 or none' })]);

export const MACHINE_SORT_KEYS = ['hostname', 'group', 'status', 'channel', 'graceExpiresAt', 'lastReportAt', 'kmsHost'] as const;
/** GET /api/v1/machines?status=0,5&channel=kms-client&kmsHost=kms01.contoso.com&group=HQ&q=ws-0&sort=-lastReportAt */
export const MachineListQuery = z.object({
  /** LicenseStatus values of the primary product, comma-separated; `none` = no primary product. */
  status: csv(StatusFilter).optional(),
  channel: csv(z.enum([...CHANNELS, 'none'])).optional(),
  kmsHost: z.string().max(255).optional(),
  group: z.string().max(100).optional(),
  /** Case-insensitive substring of hostname, machine id or CMID. */
  q: z.string().max(255).optional(),
  /** `active` (default), `retired` or `all`. */
  retired: z.enum(['active', 'retired', 'all']).default('active'),
  /** A sort key, `-` prefix for descending; ties by hostname, then machine id, in the same direction. */
  sort: z
    .string()
    .refine((s) => (MACHINE_SORT_KEYS as readonly string[]).includes(s.replace(/^-/, '')), {
      error: `expected one of ${MACHINE_SORT_KEYS.join(', ')} (optionally prefixed with -)`,
    })
    .default('hostname'),
  offset: Offset,
  limit: Limit,
});
export type MachineListQuery = z.infer<typeof MachineListQuery>;

export const KMS_HOST_SORT_KEYS = ['hostname', 'currentCount', 'clientsUsing', 'lastRequestAt'] as const;
export const KmsHostListQuery = z.object({
  q: z.string().max(255).optional(),
  sort: z
    .string()
    .refine((s) => (KMS_HOST_SORT_KEYS as readonly string[]).includes(s.replace(/^-/, '')), {
      error: `expected one of ${KMS_HOST_SORT_KEYS.join(', ')} (optionally prefixed with -)`,
    })
    .default('hostname'),
  offset: Offset,
  limit: Limit,
});
export type KmsHostListQuery = z.infer<typeof KmsHostListQuery>;

/** GET /api/v1/events: newest first. */
export const EventListQuery = z.object({
  machineId: z.string().max(128).optional(),
  /** Events of the machine that is this KMS host. */
  kmsHost: z.string().max(255).optional(),
  group: z.string().max(100).optional(),
  /** Windows event ids, comma-separated (e.g. 12288,12289). */
  eventId: csv(z.coerce.number().int().min(0).max(65535)).optional(),
  /** Payload kinds, comma-separated (e.g. kms-request,collector). */
  kind: csv(z.string().max(50)).optional(),
  since: IsoInstant.optional(),
  until: IsoInstant.optional(),
  q: z.string().max(255).optional(),
  offset: Offset,
  limit: Limit,
});
export type EventListQuery = z.infer<typeof EventListQuery>;

// ---- API keys and the audit log ----

/** Roles an API key may carry: scripts read or operate; administration stays with signed-in people. */
export const ApiKeyRole = z.enum(['viewer', 'operator']);
export type ApiKeyRole = z.infer<typeof ApiKeyRole>;

/** A key's name: what the script or system using it is (shown in the audit log as `api-key:<name>`). */
export const ApiKeyName = z
  .string()
  .trim()
  .min(1, { error: 'expected a key name' })
  .max(64, { error: 'expected at most 64 characters' })
  .regex(/^[A-Za-z0-9._@-]+$/, { error: 'expected letters, digits and . _ @ - only' });

/** POST /api/v1/api-keys (admin) body. */
export const CreateApiKeyRequest = z.strictObject({
  name: ApiKeyName,
  role: ApiKeyRole,
  /** When the key stops working; none: it works until revoked. */
  expiresAt: IsoInstant.nullable().optional(),
});
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

/** An API key as listed (GET /api/v1/api-keys, admin): never the key or its hash. */
export const ApiKeyInfo = z.object({
  id: z.string(),
  name: z.string(),
  role: ApiKeyRole,
  createdAt: IsoInstant,
  createdBy: z.string(),
  expiresAt: IsoInstant.nullable(),
  revokedAt: IsoInstant.nullable(),
  lastUsedAt: IsoInstant.nullable(),
  lastUsedFrom: z.string().nullable(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

/** The answer to POST /api/v1/api-keys: the key itself, shown this once (`Authorization: Bearer <key>`). */
export const CreatedApiKey = ApiKeyInfo.extend({ key: z.string() });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const AuditOutcome = z.enum(['ok', 'refused']);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

/** One audit log entry: who (user name or `api-key:<name>`), when, from where, what, and how it ended. */
export const AuditEntry = z.object({
  id: z.number().int(),
  at: IsoInstant,
  actor: z.string(),
  address: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  /** What changed, short; never a secret, password or key. */
  detail: z.record(z.string(), z.unknown()).nullable(),
  outcome: AuditOutcome,
  status: z.number().int(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** GET /api/v1/audit (admin): newest first; `before` is the `id` of the last entry of the previous page. */
export const AuditQuery = z.strictObject({
  actor: z.string().min(1).max(100).optional(),
  action: z.string().min(1).max(100).optional(),
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100_000, { error: 'expected limit ≤ 100000' }).optional(),
  format: z.enum(['json', 'csv']).optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

/** A page of the audit log; `nextBefore` fetches the next (older) page, null at the end. */
export const AuditPage = z.object({ items: z.array(AuditEntry), nextBefore: z.number().int().nullable() });
export type AuditPage = z.infer<typeof AuditPage>;
