/**
 * Wire protocol v1: what an agent sends the collector and what it gets back. One zod schema per message, with an
 * inferred type of the same name. Error messages name the field and say what was expected and what came, e.g.
 * `products[3].licenseStatus: expected 0..6, got 9`.
 */
import { z } from 'zod';
import { CHANNELS } from './channel.js';

/** The protocol version every report and batch carries. */
export const PROTOCOL_VERSION = 1;

/** The largest number of reports a batch may carry. */
export const MAX_REPORTS_PER_BATCH = 500;
/** The largest number of events one report may carry. */
export const MAX_EVENTS_PER_REPORT = 5000;

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v); // JSON would print NaN as null
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}…` : s;
  } catch {
    return typeof v;
  }
}

/** An integer in [lo, hi] whose error says `expected lo..hi, got X`. */
export function intIn(lo: number, hi: number) {
  const msg = (iss: { input?: unknown }) => `expected ${lo}..${hi}, got ${show(iss.input)}`;
  return z
    .number({ error: (iss) => `expected a number ${lo}..${hi}, got ${show(iss.input)}` })
    .int({ error: msg })
    .min(lo, { error: msg })
    .max(hi, { error: msg });
}

const UINT32_MAX = 4294967295;
/** An unsigned 32-bit integer (HRESULTs travel as this: 0xC004F00F = 3221549071). */
export const Uint32 = intIn(0, UINT32_MAX);
/** A TCP port. */
export const Port = intIn(0, 65535);
/** A count or counter that cannot be negative. */
export const Count = intIn(0, Number.MAX_SAFE_INTEGER);

// Date.parse rolls 2026-02-31 over into March; a calendar date that does not exist is refused.
function isRealDate(s: string): boolean {
  const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** An ISO-8601 instant with an offset or Z, e.g. `2026-11-29T10:00:00.000Z`. */
export const IsoInstant = z.string({ error: (iss) => `expected an ISO-8601 instant, got ${show(iss.input)}` }).refine(
  (s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)) && isRealDate(s),
  { error: (iss) => `expected an ISO-8601 instant like 2026-11-29T10:00:00Z, got ${show(iss.input)}` },
);

function text(max: number) {
  return z
    .string({ error: (iss) => `expected a string, got ${show(iss.input)}` })
    .max(max, { error: `expected at most ${max} characters` });
}
function nonEmpty(max: number) {
  return text(max).min(1, { error: 'expected a non-empty string' });
}

export const Channel = z.enum(CHANNELS, {
  error: (iss) => `expected one of ${CHANNELS.join(', ')}, got ${show(iss.input)}`,
});
export type Channel = z.infer<typeof Channel>;

export const LicenseStatus = intIn(0, 6);
export type LicenseStatus = z.infer<typeof LicenseStatus>;

export const OsInfo = z.object({
  caption: text(200),
  version: text(50),
  kind: z.enum(['client', 'server'], { error: (iss) => `expected client or server, got ${show(iss.input)}` }),
});
export type OsInfo = z.infer<typeof OsInfo>;

/** The KMS host a client uses: set by /skms (registry) or discovered through DNS. */
export const KmsHostRef = z.object({
  name: nonEmpty(255),
  port: Port,
  source: z.enum(['registry', 'dns'], { error: (iss) => `expected registry or dns, got ${show(iss.input)}` }),
});
export type KmsHostRef = z.infer<typeof KmsHostRef>;

/** One licensing product (a `SoftwareLicensingProduct` with a key installed), normalised. */
export const ProductState = z.object({
  /** The product's Activation ID (SKU GUID). */
  activationId: nonEmpty(64),
  /** ApplicationID: Windows' or Office's. */
  applicationId: text(64).optional(),
  name: text(300),
  /** The raw `Description`, which carries the channel token. */
  description: text(500).optional(),
  channel: Channel,
  /** True for the primary Windows product (slmgr's rule). */
  primary: z.boolean({ error: (iss) => `expected true or false, got ${show(iss.input)}` }),
  licenseStatus: LicenseStatus,
  /** LicenseStatusReason as an unsigned 32-bit HRESULT, or null when Windows gave none. */
  licenseStatusReason: Uint32.nullable(),
  /** Absolute end of the current period, from GracePeriodRemaining at collection; null when that was 0. */
  graceExpiresAt: IsoInstant.nullable(),
  /** Last five characters of the key, or null. */
  partialProductKey: text(5).nullable(),
  kmsHost: KmsHostRef.nullable(),
  /** Rearms left (service RemainingWindowsReArmCount for the Windows product, else RemainingSkuReArmCount). */
  rearmsRemaining: Count.nullable(),
  /** VLRenewalInterval in minutes (KMS clients), when Windows reports it. */
  renewalIntervalMinutes: Count.nullable().optional(),
  /** VLActivationInterval in minutes (KMS clients), when Windows reports it. */
  activationIntervalMinutes: Count.nullable().optional(),
  /**
   * Win8+ VLActivationType: how this product was last volume-activated (0 any, 1 Active Directory, 2 KMS, 3 token);
   * null or absent when Windows does not report it (Vista / 7, older agents).
   */
  vlActivationType: Count.nullable().optional(),
  /** The Active Directory activation object that activated this product (ADActivationObjectName / …DN), else null. */
  adActivation: z
    .object({
      objectName: text(300),
      /** The object's distinguished name, when reported. */
      objectDn: text(1000).nullable(),
    })
    .nullable()
    .optional(),
});
export type ProductState = z.infer<typeof ProductState>;

/** Cumulative request counters of a KMS host, split by the LicenseStatus the client reported; null = no data. */
export const KmsRequestCounters = z.object({
  total: Count.nullable(),
  failed: Count.nullable(),
  unlicensed: Count.nullable(),
  licensed: Count.nullable(),
  oobGrace: Count.nullable(),
  ootGrace: Count.nullable(),
  nonGenuineGrace: Count.nullable(),
  notification: Count.nullable(),
});
export type KmsRequestCounters = z.infer<typeof KmsRequestCounters>;

/**
 * One KMS host product installed on a host (Win8+ keeps KeyManagementServiceCurrentCount / RequiredClientCount per
 * product): the Windows host product and the Office host product each have their own count and threshold.
 */
export const KmsApplicationCount = z.object({
  /** ApplicationID of the host product: Windows' or Office's. */
  applicationId: nonEmpty(64),
  /** The host product's name, e.g. `Office 21, Office21KMSHostVL_KMS_Host edition`. */
  name: text(300),
  /** Unique CMIDs of this application in the last 30 days; null for the -1 / 4294967295 sentinel. */
  currentCount: Count.nullable(),
  /** The N-policy of this application's clients (25 / 5 for Windows, 5 for Office), when reported. */
  requiredClientCount: Count.nullable(),
});
export type KmsApplicationCount = z.infer<typeof KmsApplicationCount>;

/** The KMS service of a KMS host (present only on hosts). */
export const KmsServiceState = z.object({
  /** Unique CMIDs in the last 30 days (capped); null when Windows reports the -1 / 4294967295 sentinel. */
  currentCount: Count.nullable(),
  /** The N-policy this host's product needs (25 or 5), when reported. */
  requiredClientCount: Count.nullable(),
  /** The port it listens on (0 from Windows is reported as 1688). */
  listeningPort: Port,
  dnsPublishing: z.boolean(),
  lowPriority: z.boolean(),
  requests: KmsRequestCounters,
  /**
   * One entry per KMS host product (Windows, Office); absent from older agents and from Vista / 2008 hosts, whose
   * counters live on the service. `currentCount` / `requiredClientCount` above stay Windows'.
   */
  applications: z.array(KmsApplicationCount).max(20).optional(),
  /** The KMS port accepts connections (absent when the agent could not tell). */
  listening: z.boolean().optional(),
  /** The licensing service (sppsvc; slsvc on Vista / 2008) is running (absent when the agent could not tell). */
  serviceRunning: z.boolean().optional(),
});
export type KmsServiceState = z.infer<typeof KmsServiceState>;

/** Everything an agent knows about its machine's licensing at one instant. */
export const MachineSnapshot = z.object({
  /** The agent's own stable machine id (not the CMID). */
  machineId: nonEmpty(128),
  hostname: nonEmpty(255),
  /** Site / OU label from the agent's configuration. */
  group: text(100),
  os: OsInfo,
  /** The Client Machine ID the machine sends to KMS hosts. */
  cmid: text(64).nullable(),
  products: z.array(ProductState).max(200),
  kmsService: KmsServiceState.optional(),
  collectedAt: IsoInstant,
});
export type MachineSnapshot = z.infer<typeof MachineSnapshot>;

// ---- Event payloads: one per event id the agent reads ----

/** 12288 (client): the client sent an activation request. */
export const ActivationRequestPayload = z.object({
  kind: z.literal('activation-request'),
  hresult: Uint32,
  statusFlags: Uint32,
  /** `host:port` the request went to, split. */
  kmsHost: text(255).nullable(),
  kmsPort: Port.nullable(),
  cmid: text(64),
  clientTime: text(40),
  vmFlag: Count,
  licenseStatus: Count,
  minutesToExpiry: Count,
  activationId: text(64),
  nPolicy: Count,
});
/** 12289 (client): the client processed the host's response. */
export const ActivationResponsePayload = z.object({
  kind: z.literal('activation-response'),
  hresult: Uint32,
  statusFlags: Uint32,
  activated: z.boolean(),
  currentCount: Count,
  activationIntervalMinutes: Count,
  renewalIntervalMinutes: Count,
  clientTime: text(40),
  /** True when the SL_VL_BINDING_STATUS_NOT_ENOUGH_COUNT flag (0x04000000) is set. */
  notEnoughCount: z.boolean(),
});
/** 12290 (host, "Key Management Service" log): an activation request was processed. */
export const KmsRequestPayload = z.object({
  kind: z.literal('kms-request'),
  hresult: Uint32,
  nPolicy: Count,
  clientFqdn: text(255),
  cmid: text(64),
  clientTime: text(40),
  isVm: z.boolean(),
  licenseStatus: Count,
  minutesToExpiry: Count,
  activationId: text(64),
});
/** 12293 (host): publishing the SRV record failed. */
export const DnsPublishFailedPayload = z.object({
  kind: z.literal('dns-publish-failed'),
  hresult: Uint32,
  domain: text(255),
});
/** 12294 (host): publishing the SRV record succeeded. */
export const DnsPublishSucceededPayload = z.object({
  kind: z.literal('dns-publish-succeeded'),
  domain: text(255),
});
/** 12291 (host): the Key Management Service failed to initialize (wording of the message **unverified**). */
export const KmsInitFailurePayload = z.object({
  kind: z.literal('kms-init-failure'),
  hresult: Uint32,
});
/** 12292 (host): the Key Management Service failed to initialize its renewal timer. */
export const KmsRenewalTimerFailurePayload = z.object({
  kind: z.literal('kms-renewal-timer-failure'),
  hresult: Uint32,
});
/** 12308 (client): a product was activated by an Active Directory activation object. */
export const AdActivationPayload = z.object({
  kind: z.literal('ad-activation'),
  /** The activated SKU's Activation ID. */
  activationId: text(64),
  /** The activation object's name. */
  objectName: text(300),
  /** The activation object's distinguished name (null when the record did not carry it). */
  objectDn: text(1000).nullable(),
});
/** 8198: license activation (slui.exe) failed. */
export const ActivationFailedPayload = z.object({
  kind: z.literal('activation-failed'),
  hresult: Uint32,
  commandLine: text(1000).nullable(),
});
/** 1003: the Software Protection service completed a licensing status check. */
export const StatusCheckPayload = z.object({
  kind: z.literal('status-check'),
  applicationId: text(64),
  products: z
    .array(z.object({ activationId: text(64), licenseStatus: Count.nullable(), raw: text(500) }))
    .max(200),
});
/** A record the agent read but could not parse: kept, never dropped, with the reason. */
export const UnparsedPayload = z.object({
  kind: z.literal('unparsed'),
  reason: text(500),
  values: z.array(text(2000)).max(50),
});

export const EventPayload = z.discriminatedUnion('kind', [
  ActivationRequestPayload,
  ActivationResponsePayload,
  KmsRequestPayload,
  DnsPublishFailedPayload,
  DnsPublishSucceededPayload,
  KmsInitFailurePayload,
  KmsRenewalTimerFailurePayload,
  AdActivationPayload,
  ActivationFailedPayload,
  StatusCheckPayload,
  UnparsedPayload,
]);
export type EventPayload = z.infer<typeof EventPayload>;
export type ActivationRequestPayload = z.infer<typeof ActivationRequestPayload>;
export type ActivationResponsePayload = z.infer<typeof ActivationResponsePayload>;
export type KmsRequestPayload = z.infer<typeof KmsRequestPayload>;
export type DnsPublishFailedPayload = z.infer<typeof DnsPublishFailedPayload>;
export type DnsPublishSucceededPayload = z.infer<typeof DnsPublishSucceededPayload>;
export type KmsInitFailurePayload = z.infer<typeof KmsInitFailurePayload>;
export type KmsRenewalTimerFailurePayload = z.infer<typeof KmsRenewalTimerFailurePayload>;
export type AdActivationPayload = z.infer<typeof AdActivationPayload>;
export type ActivationFailedPayload = z.infer<typeof ActivationFailedPayload>;
export type StatusCheckPayload = z.infer<typeof StatusCheckPayload>;
export type UnparsedPayload = z.infer<typeof UnparsedPayload>;

/** One event-log record, typed. */
export const EventRecord = z.object({
  log: nonEmpty(100),
  provider: text(200),
  id: intIn(0, 65535),
  recordId: Count,
  time: IsoInstant,
  payload: EventPayload,
});
export type EventRecord = z.infer<typeof EventRecord>;

/** One report: a snapshot and/or new events, or a heartbeat. */
export const Report = z
  .object({
    protocol: z.literal(PROTOCOL_VERSION, { error: (iss) => `expected protocol ${PROTOCOL_VERSION}, got ${show(iss.input)}` }),
    agentId: nonEmpty(128),
    /** Starts afresh (a larger number) when the agent lost its state, so new reports are never taken for duplicates. */
    epoch: intIn(1, Number.MAX_SAFE_INTEGER),
    /** Rises by one per report within an epoch, starting at 1. */
    seq: intIn(1, Number.MAX_SAFE_INTEGER),
    sentAt: IsoInstant,
    snapshot: MachineSnapshot.optional(),
    events: z.array(EventRecord).max(MAX_EVENTS_PER_REPORT).optional(),
    heartbeat: z.boolean().optional(),
    /** Events the agent had to drop (outbox full) since its previous report: counted, never silent. */
    lostEvents: Count.optional(),
  })
  .refine((r) => r.snapshot !== undefined || (r.events?.length ?? 0) > 0 || r.heartbeat === true || (r.lostEvents ?? 0) > 0, {
    error: 'a report carries a snapshot, events, a loss count or heartbeat: true',
  });
export type Report = z.infer<typeof Report>;

/** POST /api/v1/reports body. Reports of one agent and one epoch, seq ascending. */
export const ReportBatch = z.object({
  protocol: z.literal(PROTOCOL_VERSION, { error: (iss) => `expected protocol ${PROTOCOL_VERSION}, got ${show(iss.input)}` }),
  reports: z.array(Report).min(1, { error: 'expected at least one report' }).max(MAX_REPORTS_PER_BATCH, {
    error: `expected at most ${MAX_REPORTS_PER_BATCH} reports`,
  }),
});
export type ReportBatch = z.infer<typeof ReportBatch>;

/**
 * The envelope the collector checks first, so one bad report does not sink the good ones: each element of `reports`
 * is then checked with `Report` on its own.
 */
export const ReportBatchEnvelope = z.object({
  protocol: z.literal(PROTOCOL_VERSION, { error: (iss) => `expected protocol ${PROTOCOL_VERSION}, got ${show(iss.input)}` }),
  reports: z
    .array(z.unknown())
    .min(1, { error: 'expected at least one report' })
    .max(MAX_REPORTS_PER_BATCH, { error: `expected at most ${MAX_REPORTS_PER_BATCH} reports` }),
});
export type ReportBatchEnvelope = z.infer<typeof ReportBatchEnvelope>;

/** A report the collector refused (kept by the agent in its dead-letter file). */
export const RefusedReport = z.object({
  seq: Count.nullable(),
  index: Count,
  code: text(100),
  message: text(2000),
});
export type RefusedReport = z.infer<typeof RefusedReport>;

/** The answer to a batch: the highest seq of `epoch` stored durably, all lower ones included (refused ones too, as done). */
export const ReportAck = z.object({
  epoch: intIn(1, Number.MAX_SAFE_INTEGER),
  ackedThrough: Count,
  refused: z.array(RefusedReport).optional(),
  /** The report interval the collector wants this agent to use from now on (absent from older collectors). */
  heartbeatSeconds: intIn(1, Number.MAX_SAFE_INTEGER).optional(),
});
export type ReportAck = z.infer<typeof ReportAck>;

/** The body of every 4xx / 5xx answer. */
export const ErrorBody = z.object({
  error: z.object({
    code: text(100),
    message: text(2000),
    issues: z.array(z.object({ path: text(500), message: text(1000) })).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** POST /api/v1/agents/enrol body. */
export const EnrolRequest = z.object({
  protocol: z.literal(PROTOCOL_VERSION).optional(),
  secret: nonEmpty(500),
  machineId: nonEmpty(128),
  hostname: nonEmpty(255),
  /** The token the agent held before, when it re-enrols (proves it is the same agent). */
  previousToken: text(500).optional(),
});
export type EnrolRequest = z.infer<typeof EnrolRequest>;

export const EnrolResponse = z.object({
  agentId: nonEmpty(128),
  machineId: nonEmpty(128),
  token: nonEmpty(500),
  /** The report interval the collector wants this agent to use (absent from older collectors). */
  heartbeatSeconds: intIn(1, Number.MAX_SAFE_INTEGER).optional(),
});
export type EnrolResponse = z.infer<typeof EnrolResponse>;

/** Turns a zod path into `products[3].licenseStatus`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(body)';
}

/** The issues of a failed parse as `{path, message}` pairs, and one line joining them. */
export function describeIssues(error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): {
  issues: Array<{ path: string; message: string }>;
  summary: string;
} {
  const issues = error.issues.map((i) => ({ path: formatPath([...prefix, ...i.path]), message: i.message }));
  const summary = issues
    .slice(0, 5)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  return { issues, summary: issues.length > 5 ? `${summary}; and ${issues.length - 5} more` : summary };
}
