import type { EventRecord } from '../protocol.js';
import type { RawEventRecord } from '../wmi-shapes.js';
import { EVENT_ID } from './event-ids.js';
import { propertyValues, readEnvelope, timeCreatedOf, valueText, type EventParseResult } from './event-fields.js';
import { parseActivationRequestEvent } from './activation-request.js';
import { parseActivationResponseEvent } from './activation-response.js';
import { parseKmsRequestEvent } from './kms-request.js';
import { parseDnsPublishFailedEvent } from './dns-publish-failed.js';
import { parseDnsPublishSucceededEvent } from './dns-publish-succeeded.js';
import { parseActivationFailedEvent } from './activation-failed.js';
import { parseStatusCheckEvent } from './status-check.js';
import { parseKmsInitFailureEvent, parseKmsRenewalTimerFailureEvent } from './kms-failure.js';
import { parseAdActivationEvent } from './ad-activation.js';

/** A pure parser from one raw record to a typed record or an error value. */
export type EventParser = (raw: RawEventRecord) => EventParseResult;

/** The parser of each event id vawatch reads. */
export const EVENT_PARSERS: ReadonlyMap<number, EventParser> = new Map<number, EventParser>([
  [EVENT_ID.ACTIVATION_REQUEST, parseActivationRequestEvent],
  [EVENT_ID.ACTIVATION_RESPONSE, parseActivationResponseEvent],
  [EVENT_ID.KMS_REQUEST, parseKmsRequestEvent],
  [EVENT_ID.DNS_PUBLISH_FAILED, parseDnsPublishFailedEvent],
  [EVENT_ID.DNS_PUBLISH_SUCCEEDED, parseDnsPublishSucceededEvent],
  [EVENT_ID.KMS_INIT_FAILURE, parseKmsInitFailureEvent],
  [EVENT_ID.KMS_RENEWAL_TIMER_FAILURE, parseKmsRenewalTimerFailureEvent],
  [EVENT_ID.AD_ACTIVATION, parseAdActivationEvent],
  [EVENT_ID.ACTIVATION_FAILED, parseActivationFailedEvent],
  [EVENT_ID.STATUS_CHECK, parseStatusCheckEvent],
]);

/**
 * Parses a raw `Get-WinEvent` record with the parser of its Id. Never throws: a malformed record, or an id without a
 * parser, gives `{ok: false, error}` naming the event id, the record id and what is wrong.
 */
export function parseEventRecord(raw: unknown): EventParseResult {
  const env = readEnvelope(raw);
  if (!env.ok) return env;
  const parser = EVENT_PARSERS.get(env.envelope.id);
  if (!parser) return { ok: false, error: `event ${env.envelope.id} record ${env.envelope.recordId}: no parser for event id ${env.envelope.id}` };
  try {
    return parser(raw as RawEventRecord);
  } catch (e) {
    // The parsers do not throw; this keeps the promise even if one ever does.
    return { ok: false, error: `event ${env.envelope.id} record ${env.envelope.recordId}: ${e instanceof Error ? e.message : String(e)}` };
  }
}

const REASON_MAX = 500;
const VALUE_MAX = 2000;
const VALUES_MAX = 50;
/** The instant an unparsed record gets when its own TimeCreated is unreadable and the caller gave none. */
const EPOCH_ISO = '1970-01-01T00:00:00.000Z';

function field(raw: unknown, key: string): unknown {
  return typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[key] : undefined;
}

function intOr(v: unknown, max: number): number {
  const n = typeof v === 'string' && /^\s*\d{1,15}\s*$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= max ? n : 0;
}

/**
 * Always an `EventRecord`, so the agent never loses a record: the typed record when it parses, else one with the
 * `unparsed` payload carrying the reason and the property values as text. Envelope fields that are themselves
 * unreadable fall back to log `unknown`, id / record id 0 and `fallbackTime` (the reason says what was wrong).
 */
export function toEventRecordOrUnparsed(raw: unknown, fallbackTime: string = EPOCH_ISO): EventRecord {
  const parsed = parseEventRecord(raw);
  if (parsed.ok) return parsed.event;
  const log = valueText(field(raw, 'LogName')).trim();
  const provider = valueText(field(raw, 'ProviderName'));
  return {
    log: log === '' ? 'unknown' : log.slice(0, 100),
    provider: provider.slice(0, 200),
    id: intOr(field(raw, 'Id'), 65535),
    recordId: intOr(field(raw, 'RecordId'), Number.MAX_SAFE_INTEGER),
    time: timeCreatedOf(field(raw, 'TimeCreated')) ?? timeCreatedOf(fallbackTime) ?? EPOCH_ISO,
    payload: {
      kind: 'unparsed',
      reason: parsed.error.slice(0, REASON_MAX),
      values: propertyValues(raw)
        .slice(0, VALUES_MAX)
        .map((v) => v.slice(0, VALUE_MAX)),
    },
  };
}
