/**
 * What every event parser shares: reading the `Get-WinEvent` envelope, turning property values into text, and
 * field readers whose failures become an error value naming the event id, the record id and what is wrong.
 */
import { EventRecord, describeIssues, type EventPayload } from '../protocol.js';
import { parseHresult } from '../hresult.js';

/** What a parser returns: the typed record, or why the raw record could not be read (never a throw). */
export type EventParseResult = { ok: true; event: EventRecord } | { ok: false; error: string };

/** A raw record's envelope, checked, with its property values as text. */
export interface EventEnvelope {
  id: number;
  recordId: number;
  log: string;
  provider: string;
  /** TimeCreated as a normalised ISO instant (`…Z`). */
  time: string;
  /** `Properties[i].Value` as text (numbers printed in decimal, null as ''). */
  values: string[];
}

/** Thrown by the field readers inside a parser and turned into an error value by `runEventParser`; never escapes. */
export class EventFieldError extends Error {}

function fail(message: string): never {
  throw new EventFieldError(message);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A property value as text: strings as they are, numbers in decimal, null / undefined as '', anything else as JSON. */
export function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** The property values of a raw record as text; tolerant of a single property printed without its array. */
export function propertyValues(raw: unknown): string[] {
  if (!isRecord(raw)) return [];
  const props = raw['Properties'];
  const list = Array.isArray(props) ? props : props === undefined || props === null ? [] : [props];
  return list.map((p) => valueText(isRecord(p) && 'Value' in p ? p['Value'] : p));
}

function integerOf(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : null;
  if (typeof v === 'string' && /^\s*\d{1,15}\s*$/.test(v)) return Number(v);
  return null;
}

/** TimeCreated as an ISO instant: an ISO string with an offset or Z, or PowerShell's `/Date(ms)/`; else null. */
export function timeCreatedOf(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const ms = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(v.trim());
  let t: number;
  if (ms) t = Number(ms[1]);
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i.test(v.trim())) {
    // Date.parse does not take more than millisecond precision everywhere; .NET prints 7 digits.
    t = Date.parse(v.trim().replace(/(\.\d{3})\d+/, '$1'));
    // Date.parse rolls 2026-02-31 over into March: such a date is not a real one.
    const [y, m, d] = v.trim().slice(0, 10).split('-').map(Number) as [number, number, number];
    const day = new Date(Date.UTC(y, m - 1, d));
    if (day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return null;
  } else return null;
  if (!Number.isFinite(t)) return null;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** Checks the envelope (Id, RecordId, LogName, ProviderName, TimeCreated, Properties) of a raw record. */
export function readEnvelope(raw: unknown): { ok: true; envelope: EventEnvelope } | { ok: false; error: string } {
  if (!isRecord(raw)) return { ok: false, error: `event record is not an object (got ${raw === null ? 'null' : typeof raw})` };
  const id = integerOf(raw['Id']);
  const recordId = integerOf(raw['RecordId']);
  const where = `event ${id ?? (valueText(raw['Id']) || '?')} record ${recordId ?? (valueText(raw['RecordId']) || '?')}`;
  const problems: string[] = [];
  if (id === null || id > 65535) problems.push(`Id must be an integer 0..65535, got ${JSON.stringify(raw['Id']) ?? 'nothing'}`);
  if (recordId === null) problems.push(`RecordId must be a non-negative integer, got ${JSON.stringify(raw['RecordId']) ?? 'nothing'}`);
  const log = raw['LogName'];
  if (typeof log !== 'string' || log.trim() === '') problems.push('LogName is missing');
  const provider = raw['ProviderName'];
  if (provider !== undefined && provider !== null && typeof provider !== 'string') problems.push('ProviderName is not a string');
  const time = timeCreatedOf(raw['TimeCreated']);
  if (time === null) problems.push(`TimeCreated is not an ISO instant: ${JSON.stringify(raw['TimeCreated']) ?? 'nothing'}`);
  const props = raw['Properties'];
  if (props !== undefined && props !== null && !Array.isArray(props) && !isRecord(props)) problems.push('Properties is not a list');
  if (problems.length > 0 || id === null || recordId === null || time === null || typeof log !== 'string') {
    return { ok: false, error: `${where}: ${problems.join('; ')}` };
  }
  return {
    ok: true,
    envelope: { id, recordId, log, provider: typeof provider === 'string' ? provider : '', time, values: propertyValues(raw) },
  };
}

/**
 * Runs one event's payload reader on a raw record: checks the envelope and the event id, catches the field readers'
 * complaints, and checks the result against the wire schema, so what comes back always passes `EventRecord`.
 */
export function runEventParser(
  raw: unknown,
  expectedId: number,
  readPayload: (values: string[]) => EventPayload,
): EventParseResult {
  const env = readEnvelope(raw);
  if (!env.ok) return env;
  const { id, recordId, log, provider, time, values } = env.envelope;
  const where = `event ${id} record ${recordId}`;
  if (id !== expectedId) return { ok: false, error: `${where}: expected event id ${expectedId}` };
  let payload: EventPayload;
  try {
    payload = readPayload(values);
  } catch (e) {
    return { ok: false, error: `${where}: ${e instanceof Error ? e.message : String(e)}` };
  }
  const checked = EventRecord.safeParse({ log, provider, id, recordId, time, payload });
  if (!checked.success) return { ok: false, error: `${where}: ${describeIssues(checked.error).summary}` };
  return { ok: true, event: checked.data };
}

// ---- field readers: each throws EventFieldError with a message a person can act on ----

function shown(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/** The value at `index`, or a complaint that the record has too few properties. */
export function at(values: readonly string[], index: number, what: string): string {
  const v = values[index];
  if (v === undefined) fail(`${what} (Properties[${index}]) is missing: the record has ${values.length} properties`);
  return v;
}

/**
 * The fields of an event that Windows writes either as one comma-separated string (12288, 12289) or as separate
 * properties: one property is split at its commas; exactly `count` properties are taken as they are.
 */
export function commaFields(values: readonly string[], count: number): string[] {
  if (values.length === 1) {
    const fields = values[0]!.split(',').map((s) => s.trim());
    if (fields.length !== count) fail(`expected ${count} comma-separated fields in Properties[0], got ${fields.length}: ${shown(values[0]!)}`);
    return fields;
  }
  if (values.length === count) return values.map((s) => s.trim());
  fail(`expected one property holding ${count} comma-separated fields, got ${values.length} properties`);
}

/** An HRESULT field (`0x0`, `0xC004F06C`, `hr=0x…`, decimal) as its unsigned 32-bit number. */
export function hresultField(text: string, what: string): number {
  const n = parseHresult(text);
  if (n === null) fail(`${what} is not an HRESULT: ${shown(text)}`);
  return n;
}

/** A non-negative integer field (decimal, or `0x` hex). */
export function countField(text: string, what: string): number {
  const s = text.trim();
  if (/^\d{1,15}$/.test(s)) return Number(s);
  if (/^0x[0-9a-f]{1,8}$/i.test(s)) return Number.parseInt(s.slice(2), 16);
  fail(`${what} must be a non-negative integer, got ${shown(text)}`);
}

/** A LicenseStatus field: 0..6. */
export function licenseStatusField(text: string, what: string): number {
  const n = countField(text, what);
  if (n > 6) fail(`${what} must be a LicenseStatus 0..6, got ${n}`);
  return n;
}

/** A 1 / 0 flag field. */
export function flagField(text: string, what: string): boolean {
  const s = text.trim().toLowerCase();
  if (s === '1' || s === 'true') return true;
  if (s === '0' || s === 'false') return false;
  fail(`${what} must be 1 or 0, got ${shown(text)}`);
}

/** A text field that must not be empty. */
export function requiredText(text: string, what: string): string {
  const s = text.trim();
  if (s === '') fail(`${what} is empty`);
  return s;
}

/** `host:port` (also `[v6]:port`, a bare host, or empty) split into name and port. */
export function hostPortField(text: string, what: string): { host: string | null; port: number | null } {
  const s = text.trim();
  if (s === '') return { host: null, port: null };
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  // `:1688` (no host found, port known) reads as no host and the port.
  const plain = /^([^:]*)(?::(\d+))?$/.exec(s);
  const m = bracketed ?? plain;
  if (!m) {
    // A bare IPv6 address has several colons and no port.
    if (/^[0-9a-f]*:[0-9a-f]*:[0-9a-f:.]*$/i.test(s)) return { host: s, port: null };
    fail(`${what} is not host:port: ${shown(text)}`);
  }
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && port > 65535) fail(`${what} has a port outside 0..65535: ${shown(text)}`);
  return { host: m[1]!.trim() === '' ? null : m[1]!.trim(), port };
}
