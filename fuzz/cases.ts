/**
 * What the fuzzer sends: fast-check arbitraries of whole requests (route, path parameter, body, content type,
 * transfer, credentials). Bodies start valid-but-odd (every field near the limits of shared/protocol.ts and
 * shared/api.ts) and are then mutated (a value replaced by a wrong type, a huge string or deep nesting, a key
 * dropped, a prototype key added) or replaced by bytes that are not JSON at all.
 */
import fc from 'fast-check';
import { MAX_EVENTS_PER_REPORT, MAX_REPORTS_PER_BATCH } from '../shared/protocol.js';
import { CHANNELS } from '../shared/channel.js';
import { RULE_NAMES } from '../dashboard/alerts/model.js';

export const ROUTES = [
  'enrol',
  'reports',
  'session',
  'ack',
  'comment',
  'silence',
  'settings',
  'create-user',
  'update-user',
  'patch-machine',
  'retire',
  'api-key',
  'list',
] as const;
export type Route = (typeof ROUTES)[number];

export type Auth = 'agent' | 'other-agent' | 'bad-token' | 'bad-scheme' | 'none' | 'admin' | 'operator' | 'viewer' | 'bad-cookie' | 'huge-cookie' | 'bad-api-key';
export type Transport = 'length' | 'chunked' | 'gzip' | 'bad-gzip' | 'unknown-encoding';

export type Mutation =
  | { op: 'none' }
  | { op: 'replace'; at: number; with: unknown }
  | { op: 'delete'; at: number }
  | { op: 'proto'; at: number; key: string; with: unknown }
  | { op: 'wrap'; how: 'array' | 'string' | 'null' | 'number' };

export type Body = { kind: 'json'; value: unknown; mutation: Mutation } | { kind: 'raw'; text: string; latin1: boolean } | { kind: 'none' };

export interface CaseSpec {
  route: Route;
  /** Picks a known id (alert, machine, user) by index, or is sent as it is (already URL-safe or deliberately not). */
  param: number | string;
  body: Body;
  contentType: string | null;
  transport: Transport;
  auth: Auth;
}

/** Placeholders replaced when the request is built (the fuzzing agent's own ids). */
export const AGENT_ID = '@@agentId@@';
export const MACHINE_ID = '@@machineId@@';
export const OTHER_MACHINE_ID = '@@otherMachineId@@';

// ---- values near the edges ----

const CHARS = ['a', 'é', 'Ω', '😀', '\u0000', '\u202e', '<', '"', '\\', '\ud800', '\n', ' '];

/** Strings of length 0, 1, max-1, max (mostly valid), max+1 (one over), arbitrary unicode and lone surrogates. */
/** Weight of a value past a limit among ~40 valid ones: a report of ~40 fields is then valid about a third of the time. */
const RARE = 1;

function strEdge(max: number): fc.Arbitrary<string> {
  const ofLength = (lengths: number[]) =>
    fc.tuple(fc.constantFrom(...lengths), fc.constantFrom(...CHARS)).map(([n, c]) => c.repeat(n).slice(0, Math.max(0, n)));
  return fc.oneof(
    // Lengths in UTF-16 units as zod counts them: a grapheme or code point may take two.
    { weight: 12, arbitrary: fc.string({ minLength: 1, maxLength: Math.min(12, max) }) },
    { weight: 8, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: Math.min(8, Math.floor(max / 4)) }).filter((x) => x.length <= max) },
    { weight: 8, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: Math.min(8, Math.floor(max / 2)) }) },
    { weight: 12, arbitrary: ofLength([1, max - 1, max]) },
    { weight: RARE, arbitrary: ofLength([0, max + 1]) },
  );
}

/** Integers in range and at the bounds (mostly), just outside, and numbers that are not integers or not safe. */
function intEdge(lo: number, hi: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 25, arbitrary: fc.integer({ min: Math.max(lo, Number.MIN_SAFE_INTEGER), max: Math.min(hi, Number.MAX_SAFE_INTEGER) }) },
    { weight: 15, arbitrary: fc.constantFrom(lo, hi) },
    { weight: RARE, arbitrary: fc.constantFrom(lo - 1, hi + 1, 0.5, -1, 1e21, Number.MAX_SAFE_INTEGER + 2, Number.MAX_VALUE, 4294967296) },
  );
}

const isoEdge: fc.Arbitrary<string> = fc.oneof(
  { weight: 30, arbitrary: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()) },
  {
    weight: 10,
    arbitrary: fc.constantFrom('2026-11-01T00:00:00Z', '2026-11-01T00:00Z', '2026-11-01T00:00:00.123456789+14:00', '2028-02-29T12:00:00-12:00', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'),
  },
  {
    weight: RARE,
    arbitrary: fc.oneof(
      fc.constantFrom('2026-02-29T00:00:00Z', '2026-02-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-01T24:00:00Z', '2026-11-01', '2026-11-01T00:00:00', ''),
      fc.string({ maxLength: 30 }),
    ),
  },
);

const guidEdge = fc.oneof(fc.uuid(), strEdge(64));
const bool = fc.oneof({ weight: 40, arbitrary: fc.boolean() }, { weight: RARE, arbitrary: fc.constantFrom<unknown>('true', 0, 1, null) });
/** One of the allowed values, or rarely one that is not. */
const oneOfOr = <T>(allowed: readonly T[], wrong: unknown[]) => fc.oneof({ weight: 40, arbitrary: fc.constantFrom(...allowed) }, { weight: RARE, arbitrary: fc.constantFrom(...wrong) });
const uint32 = intEdge(0, 4294967295);
const count = intEdge(0, Number.MAX_SAFE_INTEGER);
const nullable = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: fc.constant(null) });

/** Values that do not belong anywhere: wrong types, huge, deep, prototype-shaped. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1e308, -1e308, 0.1, '', ' ', '0', 'null', [], {}, [null], { '': '' }) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(10_000, 70_000, 300_000).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(64, 500, 1500).map((n) => deepArray(n)) },
  { weight: 1, arbitrary: fc.constantFrom(64, 500, 1500).map((n) => deepObject(n)) },
  { weight: 1, arbitrary: fc.constantFrom(1000, 20_000).map((n) => Array.from({ length: n }, () => 0)) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf').map((k) => JSON.parse(`{"${k}":{"polluted":true,"length":1e9}}`) as unknown) },
);

function deepArray(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
function deepObject(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Mutation>({ op: 'none' }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), with: hostileValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('proto' as const), at: fc.nat(), key: fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toJSON'), with: hostileValue }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wrap' as const), how: fc.constantFrom('array' as const, 'string' as const, 'null' as const, 'number' as const) }) },
);

/** Text that is not a JSON body: broken, truncated, binary, nested past any parser, or huge. */
const rawText: fc.Arbitrary<{ text: string; latin1: boolean }> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom(
        '',
        '{',
        '}',
        'null',
        'true',
        '0',
        '-0',
        '1e400',
        '"just a string"',
        '[]',
        '{}',
        '{"protocol":1,"reports":[',
        '{"protocol":1,"reports":[{}]}}',
        '\uFEFF{"protocol":1}',
        '{"a":1,"a":2}',
        '{"__proto__":{"polluted":1}}',
        '{"constructor":{"prototype":{"polluted":1}}}',
        "{'single':'quotes'}",
        '{"a":NaN}',
        '{"a":Infinity}',
        '{"a":"\\ud800"}',
        '{"a":"\\u0000"}',
        '[1,2,3,]',
        '/* comment */ {}',
        'protocol=1&reports=x',
      )
      .map((text) => ({ text, latin1: false })),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }).map((text) => ({ text, latin1: false })) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 32 }).map((text) => ({ text: `{"a":"${text}"}`, latin1: true })) },
  { weight: 1, arbitrary: fc.constantFrom(1000, 100_000, 400_000).map((n) => ({ text: '['.repeat(n) + ']'.repeat(n), latin1: false })) },
  { weight: 1, arbitrary: fc.constantFrom(1000, 50_000).map((n) => ({ text: '{"a":'.repeat(n) + '1' + '}'.repeat(n), latin1: false })) },
  { weight: 1, arbitrary: fc.constantFrom(70_000, 300_000).map((n) => ({ text: `{"pad":"${'y'.repeat(n)}"}`, latin1: false })) },
);
/** Over the collector's 1 MiB body limit: rare, they cost a megabyte each. */
const oversized = fc.constant({ text: `{"pad":"${'y'.repeat(1_100_000)}"}`, latin1: false });

// ---- valid-but-odd bodies, route by route ----

const product = fc.record(
  {
    activationId: strEdge(64),
    applicationId: strEdge(64),
    name: strEdge(300),
    description: strEdge(500),
    channel: oneOfOr(CHANNELS, ['KMS-CLIENT', '', 'volume']),
    primary: bool,
    licenseStatus: intEdge(0, 6),
    licenseStatusReason: nullable(uint32),
    graceExpiresAt: nullable(isoEdge),
    partialProductKey: nullable(strEdge(5)),
    kmsHost: nullable(fc.record({ name: strEdge(255), port: intEdge(0, 65535), source: oneOfOr(['registry', 'dns'], ['wins', 'DNS']) })),
    rearmsRemaining: nullable(count),
    renewalIntervalMinutes: nullable(count),
    activationIntervalMinutes: nullable(count),
  },
  { requiredKeys: ['activationId', 'name', 'channel', 'primary', 'licenseStatus', 'licenseStatusReason', 'graceExpiresAt', 'partialProductKey', 'kmsHost', 'rearmsRemaining'] },
);

const counters = fc.record({
  total: nullable(count),
  failed: nullable(count),
  unlicensed: nullable(count),
  licensed: nullable(count),
  oobGrace: nullable(count),
  ootGrace: nullable(count),
  nonGenuineGrace: nullable(count),
  notification: nullable(count),
});

const kmsService = fc.record({
  currentCount: nullable(count),
  requiredClientCount: nullable(count),
  listeningPort: intEdge(0, 65535),
  dnsPublishing: bool,
  lowPriority: bool,
  requests: counters,
});

const snapshot = fc.record(
  {
    machineId: fc.oneof({ weight: 40, arbitrary: fc.constant(MACHINE_ID) }, { weight: RARE, arbitrary: fc.constant(OTHER_MACHINE_ID) }, { weight: RARE, arbitrary: strEdge(128) }),
    hostname: strEdge(255),
    group: strEdge(100),
    os: fc.record({ caption: strEdge(200), version: strEdge(50), kind: oneOfOr(['client', 'server'], ['CLIENT', 'workstation']) }),
    cmid: nullable(strEdge(64)),
    products: fc.oneof(
      { weight: 40, arbitrary: fc.array(product, { maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constantFrom(200, 201).chain((n) => fc.array(product, { minLength: n, maxLength: n })) },
    ),
    kmsService,
    collectedAt: isoEdge,
  },
  { requiredKeys: ['machineId', 'hostname', 'group', 'os', 'cmid', 'products', 'collectedAt'] },
);

const payload = fc.oneof(
  fc.record({
    kind: fc.constant('activation-request'),
    hresult: uint32,
    statusFlags: uint32,
    kmsHost: nullable(strEdge(255)),
    kmsPort: nullable(intEdge(0, 65535)),
    cmid: strEdge(64),
    clientTime: strEdge(40),
    vmFlag: count,
    licenseStatus: count,
    minutesToExpiry: count,
    activationId: guidEdge,
    nPolicy: count,
  }),
  fc.record({
    kind: fc.constant('activation-response'),
    hresult: uint32,
    statusFlags: uint32,
    activated: bool,
    currentCount: count,
    activationIntervalMinutes: count,
    renewalIntervalMinutes: count,
    clientTime: strEdge(40),
    notEnoughCount: bool,
  }),
  fc.record({
    kind: fc.constant('kms-request'),
    hresult: uint32,
    nPolicy: count,
    clientFqdn: strEdge(255),
    cmid: strEdge(64),
    clientTime: strEdge(40),
    isVm: bool,
    licenseStatus: count,
    minutesToExpiry: count,
    activationId: guidEdge,
  }),
  fc.record({ kind: fc.constant('dns-publish-failed'), hresult: uint32, domain: strEdge(255) }),
  fc.record({ kind: fc.constant('dns-publish-succeeded'), domain: strEdge(255) }),
  fc.record({ kind: fc.constant('activation-failed'), hresult: uint32, commandLine: nullable(strEdge(1000)) }),
  fc.record({
    kind: fc.constant('status-check'),
    applicationId: guidEdge,
    products: fc.array(fc.record({ activationId: guidEdge, licenseStatus: nullable(count), raw: strEdge(500) }), { maxLength: 3 }),
  }),
  fc.record({ kind: oneOfOr(['unparsed'], ['nonsense']), reason: strEdge(500), values: fc.array(strEdge(2000), { maxLength: 3 }) }),
);

const eventRecord = fc.record({
  log: strEdge(100),
  provider: strEdge(200),
  id: intEdge(0, 65535),
  recordId: count,
  time: isoEdge,
  payload,
});

const report = fc.record(
  {
    protocol: oneOfOr<unknown>([1], [0, 2, '1', 1.0000001]),
    agentId: fc.oneof({ weight: 40, arbitrary: fc.constant(AGENT_ID) }, { weight: RARE, arbitrary: strEdge(128) }),
    epoch: intEdge(1, Number.MAX_SAFE_INTEGER),
    seq: intEdge(1, Number.MAX_SAFE_INTEGER),
    sentAt: isoEdge,
    snapshot,
    events: fc.oneof(
      { weight: 40, arbitrary: fc.array(eventRecord, { maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constantFrom(MAX_EVENTS_PER_REPORT, MAX_EVENTS_PER_REPORT + 1).map((n) => Array.from({ length: n }, () => ({ log: 'x', provider: '', id: 1, recordId: 1, time: '2026-11-01T00:00:00Z', payload: { kind: 'dns-publish-succeeded', domain: 'a' } }))) },
    ),
    heartbeat: bool,
    lostEvents: count,
  },
  { requiredKeys: ['protocol', 'agentId', 'epoch', 'seq', 'sentAt'] },
);

const reportBatch = fc.record({
  protocol: oneOfOr<unknown>([1], [2, '1', null]),
  reports: fc.oneof(
    { weight: 40, arbitrary: fc.array(report, { minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constant([]) },
    { weight: 1, arbitrary: fc.constantFrom(MAX_REPORTS_PER_BATCH, MAX_REPORTS_PER_BATCH + 1).map((n) => Array.from({ length: n }, (_, i) => ({ protocol: 1, agentId: AGENT_ID, epoch: 1, seq: i + 1, sentAt: '2026-11-01T00:00:00Z', heartbeat: true }))) },
  ),
});

const enrolBody = fc.record(
  {
    protocol: fc.constantFrom<unknown>(1, 2, '1', null),
    secret: fc.oneof({ weight: 3, arbitrary: fc.constant('@@secret@@') }, { weight: 1, arbitrary: strEdge(500) }),
    machineId: fc.oneof(fc.constantFrom('fuzz-enrolled-1', 'fuzz-enrolled-2', MACHINE_ID), strEdge(128)),
    hostname: strEdge(255),
    previousToken: fc.oneof(fc.constant('@@token@@'), strEdge(500)),
  },
  { requiredKeys: ['secret', 'machineId', 'hostname'] },
);

/** A body with every field (mostly) or any subset of them (missing required fields). */
function shape<T extends Record<string, fc.Arbitrary<unknown>>>(fields: T): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof({ weight: 4, arbitrary: fc.record(fields) }, { weight: 1, arbitrary: fc.record(fields, { requiredKeys: [] }) });
}

const signInBody = shape({
  username: fc.oneof(fc.constantFrom('admin', 'ADMIN', 'victim-1', 'nobody'), strEdge(64)),
  password: fc.oneof(fc.constant('@@adminPassword@@'), strEdge(200)),
});

const comment = strEdge(2000);
const ackBody = fc.record({ comment }, { requiredKeys: [] });
const commentBody = shape({ comment });
const silenceBody = fc.oneof(
  { weight: 4, arbitrary: shape({ minutes: intEdge(1, 365 * 24 * 60), reason: strEdge(2000) }) },
  { weight: 2, arbitrary: shape({ until: fc.oneof(fc.constant('2027-01-01T00:00:00Z'), isoEdge), reason: strEdge(2000) }) },
  { weight: 1, arbitrary: fc.record({ until: isoEdge, minutes: intEdge(1, 365 * 24 * 60), reason: strEdge(2000) }, { requiredKeys: [] }) },
);

const RULE_KEYS = ['enabled', 'clientThreshold', 'serverThreshold', 'gapMultiple', 'heartbeatMultiple', 'minFailures', 'minIdleHours', 'responseTimeoutMinutes', 'sampleSize', 'slackDays', 'withinDays', 'severity'];
const ruleEntry = fc.record(
  {
    rule: fc.oneof(fc.constantFrom(...RULE_NAMES), strEdge(50)),
    extra: fc.dictionary(fc.constantFrom(...RULE_KEYS), fc.oneof(intEdge(-1, 1000), fc.constantFrom<unknown>(0.5, 1e9, 'critical', 'warning'), bool, fc.constant<unknown>(null)), { maxKeys: 2 }),
  },
  { requiredKeys: ['rule'] },
).map(({ rule, extra }) => ({ rule, ...(extra ?? {}) }));
const settingsBody = shape({
  rules: fc.array(ruleEntry, { maxLength: 4 }),
  groups: fc.dictionary(fc.oneof(fc.constantFrom('HQ', 'site-1', ''), strEdge(100)), fc.array(ruleEntry, { maxLength: 2 }), { maxKeys: 3 }),
});

const role = oneOfOr<unknown>(['viewer', 'operator', 'admin'], ['root', '', null, 'Admin']);
const createUserBody = shape({
  username: fc.oneof(fc.constantFrom('victim-1', 'fuzz-new', 'a', 'x@y.z', 'a b'), strEdge(64)),
  // Valid passwords are rare: each one costs an scrypt hash (~50 ms).
  password: fc.oneof({ weight: 1, arbitrary: fc.constant('long-enough-1') }, { weight: 6, arbitrary: strEdge(8) }, { weight: 2, arbitrary: strEdge(200) }),
  role,
});
const updateUserBody = fc.record(
  { role, password: fc.oneof({ weight: 1, arbitrary: fc.constant('long-enough-2') }, { weight: 6, arbitrary: strEdge(8) }) },
  { requiredKeys: [] },
);
const patchMachineBody = shape({ group: nullable(strEdge(100)) });
const retireBody = fc.record({ reason: strEdge(500) }, { requiredKeys: [] });
const apiKeyBody = shape({
  name: fc.oneof(fc.constantFrom('grafana', 'siem', 'a'), strEdge(64)),
  role: oneOfOr<unknown>(['viewer', 'operator'], ['admin', 'root', null]),
  expiresAt: fc.oneof(nullable(isoEdge), fc.constant('2099-01-01T00:00:00Z')),
});

const VALID_BODY: Record<Route, fc.Arbitrary<unknown>> = {
  enrol: enrolBody,
  reports: reportBatch,
  session: signInBody,
  ack: ackBody,
  comment: commentBody,
  silence: silenceBody,
  settings: settingsBody,
  'create-user': createUserBody,
  'update-user': updateUserBody,
  'patch-machine': patchMachineBody,
  retire: retireBody,
  'api-key': apiKeyBody,
  list: fc.constant(null),
};

/** Routes by how often they are fuzzed: the agent routes face the most clients. */
const ROUTE_WEIGHTS: Record<Route, number> = {
  reports: 30,
  enrol: 12,
  session: 6,
  ack: 7,
  comment: 6,
  silence: 7,
  settings: 8,
  'create-user': 4,
  'update-user': 5,
  'patch-machine': 8,
  retire: 7,
  'api-key': 5,
  list: 8,
};

const contentType: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 60, arbitrary: fc.constant('application/json') },
  { weight: 10, arbitrary: fc.constant('application/json; charset=utf-8') },
  {
    weight: 10,
    arbitrary: fc.constantFrom<string | null>(
      'Application/JSON',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/json; charset=nonsense',
      'application/json;;;',
      'text/plain',
      null,
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/merge-patch+json',
      '*/*',
      '',
    ),
  },
);

const transport: fc.Arbitrary<Transport> = fc.oneof(
  { weight: 40, arbitrary: fc.constant('length' as const) },
  { weight: 5, arbitrary: fc.constant('chunked' as const) },
  { weight: 3, arbitrary: fc.constant('gzip' as const) },
  { weight: 1, arbitrary: fc.constant('bad-gzip' as const) },
  { weight: 1, arbitrary: fc.constant('unknown-encoding' as const) },
);

const param: fc.Arbitrary<number | string> = fc.oneof(
  { weight: 8, arbitrary: fc.nat() },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => encodeURIComponent(s)) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%FF', '..%2F..', '%00', 'a%2Fb', '__proto__', 'constructor', 'x'.repeat(3000)) },
);

function authFor(route: Route): fc.Arbitrary<Auth> {
  if (route === 'reports') {
    return fc.oneof(
      { weight: 85, arbitrary: fc.constant<Auth>('agent') },
      { weight: 15, arbitrary: fc.constantFrom<Auth>('other-agent', 'bad-token', 'bad-scheme', 'none', 'huge-cookie') },
    );
  }
  if (route === 'enrol' || route === 'session') return fc.oneof({ weight: 20, arbitrary: fc.constant<Auth>('none') }, { weight: 1, arbitrary: fc.constant<Auth>('huge-cookie') });
  return fc.oneof(
    { weight: 60, arbitrary: fc.constant<Auth>('admin') },
    { weight: 15, arbitrary: fc.constant<Auth>('operator') },
    { weight: 10, arbitrary: fc.constant<Auth>('viewer') },
    { weight: 10, arbitrary: fc.constantFrom<Auth>('none', 'bad-cookie', 'huge-cookie', 'bad-api-key') },
  );
}

/** Lists and reads with odd query strings: repeated keys (arrays), bracket keys, prototype names, edge numbers. */
const QUERY_KEYS = ['limit', 'offset', 'after', 'before', 'q', 'sort', 'status', 'group', 'kmsHost', 'channel', 'kind', 'since', 'until', 'machineId', 'eventId', 'retired', 'actor', 'action', 'format', 'state', 'severity', 'rule', 'days', '__proto__', 'constructor', 'limit[]', 'q[a]', '__proto__[x]'];
const queryValue = fc.oneof(
  fc.constantFrom('0', '1', '-1', '100', '1000', '1001', '100000', '100001', '1e3', 'NaN', 'Infinity', '0x10', '', 'true', 'csv', 'json', 'xml', '-lastReportAt', 'hostname', '2026-11-01T00:00:00Z', 'critical', '1_a'),
  strEdge(300),
);
const listTarget: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('machines', 'events', 'kms-hosts', 'alerts', 'audit', 'agents', 'users', 'api-keys', 'forecast/expiry', 'summary', 'alerts/settings'),
    fc.array(fc.tuple(fc.constantFrom(...QUERY_KEYS), queryValue), { maxLength: 5 }),
  )
  .map(([path, pairs]) => `${path}${pairs.length ? '?' : ''}${pairs.map(([k, v]) => `${encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encodeURIComponent(wellFormed(v))}`).join('&')}`);

/** A lone surrogate cannot be percent-encoded: it becomes U+FFFD (they are sent raw in bodies instead). */
function wellFormed(v: string): string {
  return v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function caseFor(route: Route): fc.Arbitrary<CaseSpec> {
  if (route === 'list') {
    return fc.record({ route: fc.constant(route), param: listTarget, body: fc.constant<Body>({ kind: 'none' }), contentType: fc.constant(null), transport: fc.constant('length' as const), auth: authFor(route) });
  }
  const body: fc.Arbitrary<Body> = fc.oneof(
    { weight: 1700, arbitrary: fc.record({ kind: fc.constant('json' as const), value: VALID_BODY[route], mutation }) },
    { weight: 300, arbitrary: rawText.map(({ text, latin1 }) => ({ kind: 'raw' as const, text, latin1 })) },
    { weight: 5, arbitrary: oversized.map(({ text, latin1 }) => ({ kind: 'raw' as const, text, latin1 })) },
    { weight: 100, arbitrary: fc.constant<Body>({ kind: 'none' }) },
  );
  return fc.record({ route: fc.constant(route), param, body, contentType, transport, auth: authFor(route) });
}

/** One request against any of the fuzzed routes. */
export const fuzzCase: fc.Arbitrary<CaseSpec> = fc.oneof(...ROUTES.map((r) => ({ weight: ROUTE_WEIGHTS[r], arbitrary: caseFor(r) })));

/** Applies a mutation to a copy of a JSON value (paths are numbered depth-first; `at` picks one modulo their count). */
export function mutate(value: unknown, m: Mutation): unknown {
  if (m.op === 'none') return value;
  if (m.op === 'wrap') return m.how === 'array' ? [value] : m.how === 'string' ? JSON.stringify(value) : m.how === 'null' ? null : 42;
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  const containers: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const objects: Array<Record<string, unknown>> = [];
  // Paths deeper than 40 levels are not targets (a nesting bomb already in the value stays as it is).
  const walk = (v: unknown, depth: number) => {
    if (containers.length > 500 || depth > 40) return;
    if (Array.isArray(v)) v.forEach((x, i) => (containers.push({ parent: v, key: i }), walk(x, depth + 1)));
    else if (v && typeof v === 'object') {
      objects.push(v as Record<string, unknown>);
      for (const k of Object.keys(v)) containers.push({ parent: v as Record<string, unknown>, key: k }), walk((v as Record<string, unknown>)[k], depth + 1);
    }
  };
  walk(copy, 0);
  if (m.op === 'proto') {
    if (objects.length === 0) return copy;
    const target = objects[m.at % objects.length]!;
    Object.defineProperty(target, m.key, { value: m.with, enumerable: true, writable: true, configurable: true });
    return copy;
  }
  if (containers.length === 0) return m.op === 'replace' ? m.with : copy;
  const { parent, key } = containers[m.at % containers.length]!;
  // defineProperty, not assignment: a key named __proto__ (from JSON.parse) stays an own key.
  if (m.op === 'replace') Object.defineProperty(parent, key, { value: m.with, enumerable: true, writable: true, configurable: true });
  else if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete parent[key as string];
  return copy;
}
