import { describe, expect, it } from 'vitest';
import { EventRecord, type EventPayload } from '../../shared/protocol.js';
import type { RawEventRecord } from '../../shared/wmi-shapes.js';
import {
  EVENT_ID,
  EVENT_PARSERS,
  parseActivationFailedEvent,
  parseActivationRequestEvent,
  parseActivationResponseEvent,
  parseDnsPublishFailedEvent,
  parseDnsPublishSucceededEvent,
  parseKmsInitFailureEvent,
  parseKmsRenewalTimerFailureEvent,
  parseAdActivationEvent,
  parseEventRecord,
  parseKmsRequestEvent,
  parseStatusCheckEvent,
  toEventRecordOrUnparsed,
  type EventParseResult,
} from '../../shared/events/index.js';
import { parseClientTime, formatClientTime } from '../../shared/events/client-time.js';
import { T0_ISO, rawEvent } from '../support/shared-fixtures.js';

const CMID = '36f27b39-0b4a-4d8b-a8b8-8d0e9a1e2f3c';
const ACT = '68531fb9-5511-4989-97be-d11a0f55633f';
const REQ_12288 = `0xC004F06C, 0x00000000, kms01.contoso.com:1688, ${CMID}, 2010/09/29 17:52, 0, 2, 41760, ${ACT}, 5`;
const STATUS_1003 = [
  '1: 04fa0286-fa74-401e-bbe3-fbfbfa4c7c8b, 1, 1 [(0 [0x00000000, 0, 0], [( 1 0x00000000)(?)( 1 0x00000000 0 0 msft:rm/algorithm/hwid/4.0 0x00000000 0)(?)])(1 )(2 )]',
  `2: ${ACT}, 5, 0 [(0 [0xC004F00F, 0, 0])]`,
  '3: 2ffd8952-423e-4903-b993-72a1aa44cf82, 9, 0 [(0 [0x00000000, 0, 0])]',
].join('\r\n');

function payloadOf(r: EventParseResult): EventPayload {
  if (!r.ok) throw new Error(`expected a parsed record, got: ${r.error}`);
  expect(EventRecord.safeParse(r.event).success).toBe(true);
  return r.event.payload;
}

type Parser = (raw: RawEventRecord) => EventParseResult;

describe('event parsers: good records become typed payloads', () => {
  it.each<[string, Parser, RawEventRecord, EventPayload]>([
    [
      '12288 (KB 974998 example: clock skew)',
      parseActivationRequestEvent,
      rawEvent(12288, [REQ_12288]),
      {
        kind: 'activation-request',
        hresult: 0xc004f06c,
        statusFlags: 0,
        kmsHost: 'kms01.contoso.com',
        kmsPort: 1688,
        cmid: CMID,
        clientTime: '2010/09/29 17:52',
        vmFlag: 0,
        licenseStatus: 2,
        minutesToExpiry: 41760,
        activationId: ACT,
        nPolicy: 5,
      },
    ],
    [
      '12288 with no host found (empty host:port)',
      parseActivationRequestEvent,
      rawEvent(12288, [`0x8007232B, 0x0, , ${CMID}, 2026/11/29 10:00, 0, 2, 43200, ${ACT}, 25`]),
      {
        kind: 'activation-request',
        hresult: 0x8007232b,
        statusFlags: 0,
        kmsHost: null,
        kmsPort: null,
        cmid: CMID,
        clientTime: '2026/11/29 10:00',
        vmFlag: 0,
        licenseStatus: 2,
        minutesToExpiry: 43200,
        activationId: ACT,
        nPolicy: 25,
      },
    ],
    [
      '12288 with a port but no host name, and an IPv6 host',
      parseActivationRequestEvent,
      rawEvent(12288, [`0xC004F074, 0x0, :1688, ${CMID}, 2026/11/29 10:00, 0, 2, 43200, ${ACT}, 25`]),
      {
        kind: 'activation-request',
        hresult: 0xc004f074,
        statusFlags: 0,
        kmsHost: null,
        kmsPort: 1688,
        cmid: CMID,
        clientTime: '2026/11/29 10:00',
        vmFlag: 0,
        licenseStatus: 2,
        minutesToExpiry: 43200,
        activationId: ACT,
        nPolicy: 25,
      },
    ],
    [
      '12289 (count too low: NOT_ENOUGH_COUNT set)',
      parseActivationResponseEvent,
      rawEvent(12289, ['0x0, 0x4000000, 0, 0, 4, 120, 10080, 2006/01/14 02:30']),
      {
        kind: 'activation-response',
        hresult: 0,
        statusFlags: 0x04000000,
        activated: false,
        currentCount: 4,
        activationIntervalMinutes: 120,
        renewalIntervalMinutes: 10080,
        clientTime: '2006/01/14 02:30',
        notEnoughCount: true,
      },
    ],
    [
      '12289 (activated at count 25)',
      parseActivationResponseEvent,
      rawEvent(12289, ['0x0, 0x0, 1, 0, 25, 120, 10080, 2026/11/29 10:00']),
      {
        kind: 'activation-response',
        hresult: 0,
        statusFlags: 0,
        activated: true,
        currentCount: 25,
        activationIntervalMinutes: 120,
        renewalIntervalMinutes: 10080,
        clientTime: '2026/11/29 10:00',
        notEnoughCount: false,
      },
    ],
    [
      '12290 (ten properties, leading item ignored)',
      parseKmsRequestEvent,
      rawEvent(12290, ['', '0xC004F06C', '5', 'srv01.contoso.com', CMID, '2010/9/29 21:46', '0', '2', '41520', ACT]),
      {
        kind: 'kms-request',
        hresult: 0xc004f06c,
        nPolicy: 5,
        clientFqdn: 'srv01.contoso.com',
        cmid: CMID,
        clientTime: '2010/9/29 21:46',
        isVm: false,
        licenseStatus: 2,
        minutesToExpiry: 41520,
        activationId: ACT,
      },
    ],
    [
      '12290 (nine properties, numbers as numbers, a VM)',
      parseKmsRequestEvent,
      rawEvent(12290, ['0x0', 25, 'pc7.contoso.com', CMID, '2026/11/29 10:00', 1, 1, 259200, ACT]),
      {
        kind: 'kms-request',
        hresult: 0,
        nPolicy: 25,
        clientFqdn: 'pc7.contoso.com',
        cmid: CMID,
        clientTime: '2026/11/29 10:00',
        isVm: true,
        licenseStatus: 1,
        minutesToExpiry: 259200,
        activationId: ACT,
      },
    ],
    [
      '12293 (BADSIG)',
      parseDnsPublishFailedEvent,
      rawEvent(12293, ['0x80072338', 'contoso.com']),
      { kind: 'dns-publish-failed', hresult: 0x80072338, domain: 'contoso.com' },
    ],
    [
      '12291 (KMS initialization failure)',
      parseKmsInitFailureEvent,
      rawEvent(12291, ['0xC004F015']),
      { kind: 'kms-init-failure', hresult: 0xc004f015 },
    ],
    [
      '12292 (renewal timer failure), hr= spelling',
      parseKmsRenewalTimerFailureEvent,
      rawEvent(12292, ['hr=0x80070005']),
      { kind: 'kms-renewal-timer-failure', hresult: 0x80070005 },
    ],
    [
      '12308 (AD-based activation)',
      parseAdActivationEvent,
      rawEvent(12308, ['{73111121-5638-40F6-BC11-F1D7B0D64300}', 'VA-Win-2025', 'CN=VA-Win-2025,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=contoso,DC=com']),
      {
        kind: 'ad-activation',
        activationId: '73111121-5638-40f6-bc11-f1d7b0d64300',
        objectName: 'VA-Win-2025',
        objectDn: 'CN=VA-Win-2025,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=contoso,DC=com',
      },
    ],
    [
      '12308 without the distinguished name',
      parseAdActivationEvent,
      rawEvent(12308, ['73111121-5638-40f6-bc11-f1d7b0d64300', 'VA-Win-2025']),
      { kind: 'ad-activation', activationId: '73111121-5638-40f6-bc11-f1d7b0d64300', objectName: 'VA-Win-2025', objectDn: null },
    ],
    [
      '12294',
      parseDnsPublishSucceededEvent,
      rawEvent(12294, ['contoso.com']),
      { kind: 'dns-publish-succeeded', domain: 'contoso.com' },
    ],
    [
      '8198 with hr= and a command line',
      parseActivationFailedEvent,
      rawEvent(8198, ['hr=0xC004F074', 'slui.exe 0x2a 0xC004F074']),
      { kind: 'activation-failed', hresult: 0xc004f074, commandLine: 'slui.exe 0x2a 0xC004F074' },
    ],
    [
      '8198 with the bare hex and no command line',
      parseActivationFailedEvent,
      rawEvent(8198, ['0xC0020017']),
      { kind: 'activation-failed', hresult: 0xc0020017, commandLine: null },
    ],
    [
      '1003 (status 9 is not a LicenseStatus: null)',
      parseStatusCheckEvent,
      rawEvent(1003, ['55c92734-d682-4d71-983e-d6ec3f16059f', STATUS_1003]),
      {
        kind: 'status-check',
        applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
        products: [
          { activationId: '04fa0286-fa74-401e-bbe3-fbfbfa4c7c8b', licenseStatus: 1, raw: expect.stringMatching(/^1: 04fa0286/) },
          { activationId: ACT, licenseStatus: 5, raw: `2: ${ACT}, 5, 0 [(0 [0xC004F00F, 0, 0])]` },
          { activationId: '2ffd8952-423e-4903-b993-72a1aa44cf82', licenseStatus: null, raw: expect.stringMatching(/^3: /) },
        ],
      },
    ],
  ])('%s', (_what, parse, raw, expected) => {
    const payload = payloadOf(parse(raw));
    expect(payload).toEqual(expected);
    // The dispatcher picks the same parser by Id.
    expect(payloadOf(parseEventRecord(raw))).toEqual(expected);
  });

  it('keeps the envelope: log, provider, id, record id, time', () => {
    const r = parseEventRecord(
      rawEvent(12288, [REQ_12288], { RecordId: 99, ProviderName: 'Microsoft-Windows-Security-Licensing-SLC', TimeCreated: '2026-11-29T11:00:00+01:00' }),
    );
    expect(r.ok && r.event).toMatchObject({
      log: 'Application',
      provider: 'Microsoft-Windows-Security-Licensing-SLC',
      id: 12288,
      recordId: 99,
      time: T0_ISO,
    });
  });

  it.each([
    ['2026-11-29T10:00:00.1234567+00:00', '2026-11-29T10:00:00.123Z'],
    ['2026-11-29T10:00:00Z', '2026-11-29T10:00:00.000Z'],
    [`/Date(${Date.parse(T0_ISO)})/`, T0_ISO],
  ])('reads TimeCreated %s as %s', (timeCreated, iso) => {
    const r = parseEventRecord(rawEvent(12294, ['contoso.com'], { TimeCreated: timeCreated }));
    expect(r.ok && r.event.time).toBe(iso);
  });

  it('has a parser for every event id the agent reads', () => {
    expect([...EVENT_PARSERS.keys()].sort()).toEqual(Object.values(EVENT_ID).sort());
  });
});

describe('event parsers: malformed records give an error value naming the event, the record and the problem', () => {
  it.each<[string, RawEventRecord, RegExp]>([
    ['12288 with 7 fields', rawEvent(12288, ['0x0, 0x0, kms:1688, cmid, 2010/09/29 17:52, 0, 2']), /expected 10 comma-separated fields in Properties\[0\], got 7/],
    ['12288 with no properties', rawEvent(12288, []), /expected one property holding 10 comma-separated fields, got 0 properties/],
    ['12288 with a bad HRESULT', rawEvent(12288, [REQ_12288.replace('0xC004F06C', 'oops')]), /the HRESULT \(field 1\) is not an HRESULT: "oops"/],
    ['12288 with LicenseStatus 9', rawEvent(12288, [REQ_12288.replace(', 2, 41760', ', 9, 41760')]), /LicenseStatus \(field 7\) must be a LicenseStatus 0..6, got 9/],
    ['12288 with a bad port', rawEvent(12288, [REQ_12288.replace(':1688', ':99999')]), /port outside 0..65535/],
    ['12288 with an empty CMID', rawEvent(12288, [REQ_12288.replace(CMID, '')]), /the CMID \(field 4\) is empty/],
    ['12288 with a negative minutes', rawEvent(12288, [REQ_12288.replace('41760', '-5')]), /minutes to expiry \(field 8\) must be a non-negative integer, got "-5"/],
    ['12289 with activated = yes', rawEvent(12289, ['0x0, 0x0, yes, 0, 25, 120, 10080, 2026/11/29 10:00']), /activated flag \(field 3\) must be 1 or 0, got "yes"/],
    ['12289 with a bad count', rawEvent(12289, ['0x0, 0x0, 1, 0, many, 120, 10080, 2026/11/29 10:00']), /current count \(field 5\) must be a non-negative integer/],
    ['12290 with 4 properties', rawEvent(12290, ['', '0x0', '25', 'pc']), /expected 10 properties \(or 9 without the leading item\), got 4/],
    ['12290 with an empty FQDN', rawEvent(12290, ['', '0x0', '25', '', CMID, 't', '0', '1', '0', ACT]), /client FQDN \(item 3\) is empty/],
    ['12290 with VM flag 2', rawEvent(12290, ['', '0x0', '25', 'pc', CMID, 't', '2', '1', '0', ACT]), /VM flag \(item 6\) must be 1 or 0, got "2"/],
    ['12293 without the domain', rawEvent(12293, ['0x8007232A']), /the domain \(Properties\[1\]\) is missing: the record has 1 properties/],
    ['12294 without properties', rawEvent(12294, []), /the domain \(Properties\[0\]\) is missing/],
    ['12291 without an HRESULT', rawEvent(12291, ['not a code']), /the HRESULT \(Properties\[0\]\) is not an HRESULT: "not a code"/],
    ['12292 without properties', rawEvent(12292, []), /the HRESULT \(Properties\[0\]\) is missing: the record has 0 properties/],
    ['12308 without the object name', rawEvent(12308, ['73111121-5638-40f6-bc11-f1d7b0d64300', '  ']), /the activation object name \(Properties\[1\]\) is empty/],
    ['8198 without a code', rawEvent(8198, ['no code at all']), /the error code \(Properties\[0\]\) holds no HRESULT/],
    ['1003 without product lines', rawEvent(1003, ['55c92734-d682-4d71-983e-d6ec3f16059f', 'nothing here']), /has no product line/],
    ['1003 without the status text', rawEvent(1003, ['55c92734-d682-4d71-983e-d6ec3f16059f']), /licensing status text \(Properties\[1\]\) is missing/],
    ['a CMID longer than the wire allows', rawEvent(12288, [REQ_12288.replace(CMID, 'x'.repeat(65))]), /payload\.cmid: expected at most 64 characters/],
    ['a TimeCreated that is no instant', rawEvent(12294, ['contoso.com'], { TimeCreated: 'yesterday' }), /TimeCreated is not an ISO instant: "yesterday"/],
    ['a TimeCreated without an offset', rawEvent(12294, ['contoso.com'], { TimeCreated: '2026-11-29T10:00:00' }), /TimeCreated is not an ISO instant/],
    ['an empty LogName', rawEvent(12294, ['contoso.com'], { LogName: '' }), /LogName is missing/],
    ['an unknown event id', rawEvent(4242, ['x']), /no parser for event id 4242/],
  ])('%s', (_what, raw, problem) => {
    const r = parseEventRecord(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(new RegExp(`^event ${raw.Id} record ${raw.RecordId}: `));
    expect(r.error).toMatch(problem);
  });

  it('refuses a record handed to the parser of another event id', () => {
    const r = parseActivationRequestEvent(rawEvent(12289, ['0x0, 0x0, 1, 0, 25, 120, 10080, t']));
    expect(r).toEqual({ ok: false, error: 'event 12289 record 4711: expected event id 12288' });
  });

  it.each<[string, unknown, RegExp]>([
    ['null', null, /^event record is not an object \(got null\)$/],
    ['a string', 'hello', /not an object \(got string\)/],
    ['an id that is text', { ...rawEvent(12288, [REQ_12288]), Id: 'x' }, /^event x record 4711: Id must be an integer 0..65535, got "x"/],
    ['no RecordId', { ...rawEvent(12288, [REQ_12288]), RecordId: undefined }, /^event 12288 record \?: RecordId must be a non-negative integer, got nothing/],
    ['Properties a number', { ...rawEvent(12288, []), Properties: 7 }, /Properties is not a list/],
  ])('never throws on %s', (_what, raw, problem) => {
    const r = parseEventRecord(raw);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(problem);
  });
});

describe('toEventRecordOrUnparsed: the agent never loses a record', () => {
  it('returns the typed record when it parses', () => {
    const raw = rawEvent(12294, ['contoso.com']);
    expect(toEventRecordOrUnparsed(raw)).toEqual((parseEventRecord(raw) as { event: EventRecord }).event);
  });

  it('keeps a malformed record with the reason and its property values as text', () => {
    const rec = toEventRecordOrUnparsed(rawEvent(12289, ['0x0, 0x0, maybe, 0, 25, 120, 10080, t'], { RecordId: 12 }));
    expect(rec).toEqual({
      log: 'Application',
      provider: 'Microsoft-Windows-Security-SPP',
      id: 12289,
      recordId: 12,
      time: T0_ISO,
      payload: {
        kind: 'unparsed',
        reason: 'event 12289 record 12: the activated flag (field 3) must be 1 or 0, got "maybe"',
        values: ['0x0, 0x0, maybe, 0, 25, 120, 10080, t'],
      },
    });
  });

  it('keeps a record of an id it has no parser for', () => {
    const rec = toEventRecordOrUnparsed(rawEvent(8200, ['hr=0xC004F074', 42, null, { a: 1 }]));
    expect(rec.id).toBe(8200);
    expect(rec.payload).toEqual({
      kind: 'unparsed',
      reason: 'event 8200 record 4711: no parser for event id 8200',
      values: ['hr=0xC004F074', '42', '', '{"a":1}'],
    });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a number', 42],
    ['an empty object', {}],
    ['a bad time', rawEvent(12288, [REQ_12288], { TimeCreated: 'soon' })],
    ['a huge id', { ...rawEvent(12288, [REQ_12288]), Id: 70000 }],
    ['a negative record id', { ...rawEvent(12288, [REQ_12288]), RecordId: -3 }],
    ['a LogName too long', rawEvent(12294, ['x'], { LogName: 'L'.repeat(500) })],
    ['a ProviderName that is a number', { ...rawEvent(12294, ['x']), ProviderName: 5 }],
    ['100 huge properties', rawEvent(12288, Array.from({ length: 100 }, () => 'v'.repeat(5000)))],
    ['a single property not in a list', { ...rawEvent(12294, []), Properties: { Value: 'contoso.com' } }],
  ])('returns a record that passes EventRecord for %s', (_what, raw) => {
    const rec = toEventRecordOrUnparsed(raw, '2026-11-29T12:00:00Z');
    const checked = EventRecord.safeParse(rec);
    expect(checked.success).toBe(true);
  });

  it('uses the given fallback time only when TimeCreated is unreadable', () => {
    expect(toEventRecordOrUnparsed(rawEvent(12288, ['x'], { TimeCreated: 'soon' }), '2026-11-29T12:00:00Z').time).toBe('2026-11-29T12:00:00.000Z');
    expect(toEventRecordOrUnparsed(rawEvent(12288, ['x']), '2026-11-29T12:00:00Z').time).toBe(T0_ISO);
  });

  it('reads a single property printed without its list', () => {
    const rec = toEventRecordOrUnparsed({ ...rawEvent(12294, []), Properties: { Value: 'contoso.com' } });
    expect(rec.payload).toEqual({ kind: 'dns-publish-succeeded', domain: 'contoso.com' });
  });
});

describe('client time of 12288 / 12289 / 12290', () => {
  it.each<[string, string | null]>([
    ['2010/09/29 17:52', '2010-09-29T17:52:00.000Z'],
    ['2010/9/29 21:46', '2010-09-29T21:46:00.000Z'],
    ['1/14/2006 2:30', '2006-01-14T02:30:00.000Z'],
    ['2006/01/14 02:30', '2006-01-14T02:30:00.000Z'],
    ['2010/02/31 10:00', null],
    ['2010/13/01 10:00', null],
    ['yesterday', null],
    ['', null],
  ])('%j → %s', (text, iso) => {
    const ms = parseClientTime(text);
    expect(ms === null ? null : new Date(ms).toISOString()).toBe(iso);
  });

  it('formats as Windows writes it and reads back', () => {
    const ms = Date.parse('2026-03-04T05:06:00Z');
    expect(formatClientTime(ms)).toBe('2026/03/04 05:06');
    expect(parseClientTime(formatClientTime(ms))).toBe(ms);
  });
});

describe('the KMS host field of a 12288', () => {
  it.each<[string, string | null, number | null]>([
    ['kms01.contoso.com:1688', 'kms01.contoso.com', 1688],
    ['kms01.contoso.com', 'kms01.contoso.com', null],
    [':1688', null, 1688],
    ['', null, null],
    ['[fe80::1]:1688', 'fe80::1', 1688],
    ['fe80::1', 'fe80::1', null],
    ['10.0.0.5:2000', '10.0.0.5', 2000],
  ])('%j → host %s, port %s', (field, host, port) => {
    const r = parseActivationRequestEvent(rawEvent(12288, [`0x0, 0x0, ${field}, ${CMID}, 2026/11/29 10:00, 0, 1, 259200, ${ACT}, 25`]));
    expect(r.ok && { host: r.event.payload.kind === 'activation-request' && r.event.payload.kmsHost, port: r.event.payload.kind === 'activation-request' && r.event.payload.kmsPort }).toEqual({ host, port });
  });
});

describe('TimeCreated that is no real date', () => {
  it('refuses 2026-02-31 instead of rolling it into March', () => {
    const r = parseEventRecord(rawEvent(12294, ['contoso.com'], { TimeCreated: '2026-02-31T10:00:00Z' }));
    expect(!r.ok && r.error).toMatch(/TimeCreated is not an ISO instant: "2026-02-31T10:00:00Z"/);
  });
});
