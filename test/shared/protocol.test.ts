import { describe, expect, it } from 'vitest';
import {
  EnrolRequest,
  EnrolResponse,
  ErrorBody,
  EventRecord,
  MAX_REPORTS_PER_BATCH,
  MachineSnapshot,
  PROTOCOL_VERSION,
  Report,
  ReportAck,
  ReportBatch,
  ReportBatchEnvelope,
  IsoInstant,
  Count,
  describeIssues,
  formatPath,
} from '../../shared/protocol.js';
import { T0_ISO, validKmsService, validProduct, validReport, validSnapshot } from '../support/shared-fixtures.js';

function summaryOf(r: { success: boolean; error?: unknown }): string {
  if (r.success) return '(accepted)';
  return describeIssues(r.error as Parameters<typeof describeIssues>[0]).summary;
}

describe('MachineSnapshot', () => {
  it('accepts a KMS client and a KMS host snapshot', () => {
    expect(MachineSnapshot.safeParse(validSnapshot()).success).toBe(true);
    const host = validSnapshot({
      os: { caption: 'Microsoft Windows Server 2008 Standard', version: '6.0.6001', kind: 'server' },
      products: [validProduct({ channel: 'kms-host', graceExpiresAt: null, kmsHost: null, licenseStatusReason: null, rearmsRemaining: null })],
      kmsService: validKmsService(),
    });
    expect(summaryOf(MachineSnapshot.safeParse(host))).toBe('(accepted)');
  });

  it('names the field, the expected range and the value: products[3].licenseStatus: expected 0..6, got 9', () => {
    const s = validSnapshot({ products: [validProduct(), validProduct(), validProduct(), validProduct({ licenseStatus: 9 })] });
    const r = MachineSnapshot.safeParse(s);
    expect(r.success).toBe(false);
    expect(summaryOf(r)).toBe('products[3].licenseStatus: expected 0..6, got 9');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a negative LicenseStatus', { licenseStatus: -1 }, 'products[0].licenseStatus: expected 0..6, got -1'],
    ['a LicenseStatus as text', { licenseStatus: '1' }, 'products[0].licenseStatus: expected a number 0..6, got "1"'],
    ['an HRESULT above uint32', { licenseStatusReason: 4294967296 }, 'products[0].licenseStatusReason: expected 0..4294967295, got 4294967296'],
    ['a negative HRESULT (int32 on the wire)', { licenseStatusReason: -1073418225 }, 'products[0].licenseStatusReason: expected 0..4294967295, got -1073418225'],
    ['an unknown channel', { channel: 'volume' }, 'products[0].channel: expected one of kms-client, ad-based, kms-host, mak, retail, oem, unknown, got "volume"'],
    ['a grace end that is no instant', { graceExpiresAt: 'in 3 days' }, 'products[0].graceExpiresAt: expected an ISO-8601 instant like 2026-11-29T10:00:00Z, got "in 3 days"'],
    ['a KMS host source of neither registry nor dns', { kmsHost: { name: 'k', port: 1688, source: 'wins' } }, 'products[0].kmsHost.source: expected registry or dns, got "wins"'],
  ])('refuses %s', (_what, over, message) => {
    const r = MachineSnapshot.safeParse(validSnapshot({ products: [{ ...validProduct(), ...over } as never] }));
    expect(summaryOf(r)).toBe(message);
  });

  it('accepts 0xC004F00F as its unsigned number 3221549071', () => {
    const r = MachineSnapshot.safeParse(validSnapshot({ products: [validProduct({ licenseStatus: 5, licenseStatusReason: 3221549071 })] }));
    expect(r.success).toBe(true);
  });

  it('refuses a KMS count below zero (the -1 sentinel travels as null)', () => {
    const bad = { ...validKmsService(), currentCount: -1 };
    expect(summaryOf(MachineSnapshot.safeParse(validSnapshot({ kmsService: bad })))).toMatch(/^kmsService\.currentCount: expected 0\.\./);
    const sentinel = { ...validKmsService(), currentCount: null };
    expect(MachineSnapshot.safeParse(validSnapshot({ kmsService: sentinel })).success).toBe(true);
  });
});

describe('issue 12 additions: optional, so older agents keep working', () => {
  it('takes a product activated through AD, a host with Windows and Office counts, and its service health', () => {
    const s = validSnapshot({
      products: [validProduct({ channel: 'ad-based', kmsHost: null, vlActivationType: 1, adActivation: { objectName: 'VA-Win-2025', objectDn: null } })],
      kmsService: {
        ...validKmsService(),
        applications: [
          { applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f', name: 'Windows(R), ServerDatacenter edition', currentCount: 31, requiredClientCount: 25 },
          { applicationId: '0ff1ce15-a989-479d-af46-f275c6370663', name: 'Office 24, Office24KMSHostVL_KMS_Host edition', currentCount: null, requiredClientCount: 5 },
        ],
        listening: false,
        serviceRunning: true,
      },
    });
    expect(MachineSnapshot.safeParse(s).success).toBe(true);
  });

  it('still takes a snapshot without any of them (an agent from before)', () => {
    const s = validSnapshot({ kmsService: validKmsService() });
    expect('vlActivationType' in s.products[0]!).toBe(false);
    expect(MachineSnapshot.safeParse(s).success).toBe(true);
  });

  it.each([
    ['a negative activation type', { products: [validProduct({ vlActivationType: -1 })] }, /^products\[0\]\.vlActivationType: expected 0\.\./],
    ['an AD object without a name', { products: [validProduct({ adActivation: { objectDn: 'CN=x' } as never })] }, /^products\[0\]\.adActivation\.objectName: expected a string/],
    ['an application count that is text', { kmsService: { ...validKmsService(), applications: [{ applicationId: 'a', name: 'n', currentCount: '4', requiredClientCount: 5 }] as never } }, /^kmsService\.applications\[0\]\.currentCount: expected a number/],
  ])('refuses %s, naming the field', (_what, over, message) => {
    expect(summaryOf(MachineSnapshot.safeParse(validSnapshot(over as never)))).toMatch(message);
  });

  it.each([
    { kind: 'kms-init-failure', hresult: 0xc004f015 },
    { kind: 'kms-renewal-timer-failure', hresult: 0x80070005 },
    { kind: 'ad-activation', activationId: '73111121-5638-40f6-bc11-f1d7b0d64300', objectName: 'VA-Win-2025', objectDn: null },
  ])('carries the $kind event payload', (payload) => {
    expect(EventRecord.safeParse({ log: 'Application', provider: 'Microsoft-Windows-Security-SPP', id: 12291, recordId: 1, time: T0_ISO, payload }).success).toBe(true);
  });
});

describe('Report', () => {
  it.each<[string, Partial<Report>]>([
    ['a snapshot', {}],
    ['a heartbeat only', { snapshot: undefined, heartbeat: true }],
    ['events only', { snapshot: undefined, events: [{ log: 'Application', provider: 'p', id: 12294, recordId: 1, time: T0_ISO, payload: { kind: 'dns-publish-succeeded', domain: 'contoso.com' } }] }],
    ['a loss count only', { snapshot: undefined, lostEvents: 3 }],
  ])('accepts a report carrying %s', (_what, over) => {
    expect(summaryOf(Report.safeParse(validReport(over)))).toBe('(accepted)');
  });

  it.each<[string, Partial<Report>]>([
    ['nothing', { snapshot: undefined }],
    ['an empty event list', { snapshot: undefined, events: [] }],
    ['heartbeat: false', { snapshot: undefined, heartbeat: false }],
    ['a loss count of 0', { snapshot: undefined, lostEvents: 0 }],
  ])('refuses a report with %s in it', (_what, over) => {
    expect(summaryOf(Report.safeParse(validReport(over)))).toBe('(body): a report carries a snapshot, events, a loss count or heartbeat: true');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['protocol 2', { protocol: 2 }, 'protocol: expected protocol 1, got 2'],
    ['seq 0', { seq: 0 }, 'seq: expected 1..9007199254740991, got 0'],
    ['epoch 0', { epoch: 0 }, 'epoch: expected 1..9007199254740991, got 0'],
    ['no agent id', { agentId: '' }, 'agentId: expected a non-empty string'],
  ])('refuses %s', (_what, over, message) => {
    expect(summaryOf(Report.safeParse({ ...validReport(), ...over }))).toBe(message);
  });

  it('carries protocol version 1', () => {
    expect(PROTOCOL_VERSION).toBe(1);
  });
});

describe('ReportBatch and its envelope', () => {
  const reports = (n: number) => Array.from({ length: n }, (_, i) => validReport({ seq: i + 1, snapshot: undefined, heartbeat: true }));

  it('accepts up to 500 reports', () => {
    expect(MAX_REPORTS_PER_BATCH).toBe(500);
    expect(ReportBatch.safeParse({ protocol: 1, reports: reports(500) }).success).toBe(true);
    expect(ReportBatchEnvelope.safeParse({ protocol: 1, reports: reports(500) }).success).toBe(true);
  });

  it.each([
    [501, 'reports: expected at most 500 reports'],
    [0, 'reports: expected at least one report'],
  ])('refuses a batch of %i', (n, message) => {
    expect(summaryOf(ReportBatch.safeParse({ protocol: 1, reports: reports(n) }))).toBe(message);
    expect(summaryOf(ReportBatchEnvelope.safeParse({ protocol: 1, reports: reports(n) }))).toBe(message);
  });

  it('the envelope lets a bad report through, to be judged on its own', () => {
    const batch = { protocol: 1, reports: [validReport(), { nonsense: true }] };
    expect(ReportBatchEnvelope.safeParse(batch).success).toBe(true);
    expect(summaryOf(ReportBatch.safeParse(batch))).toMatch(/^reports\[1\]\.protocol: expected protocol 1/);
  });
});

describe('the other messages', () => {
  it.each<[string, { safeParse(v: unknown): { success: boolean } }, unknown, boolean]>([
    ['ReportAck', ReportAck, { epoch: 1, ackedThrough: 17 }, true],
    ['ReportAck with refused reports', ReportAck, { epoch: 2, ackedThrough: 3, refused: [{ seq: 3, index: 0, code: 'invalid', message: 'x' }] }, true],
    ['ReportAck for epoch 0', ReportAck, { epoch: 0, ackedThrough: 0 }, false],
    ['ErrorBody', ErrorBody, { error: { code: 'invalid_body', message: 'bad', issues: [{ path: 'seq', message: 'x' }] } }, true],
    ['ErrorBody without a code', ErrorBody, { error: { message: 'bad' } }, false],
    ['EnrolRequest', EnrolRequest, { secret: 's', machineId: 'm', hostname: 'h' }, true],
    ['EnrolRequest without a secret', EnrolRequest, { secret: '', machineId: 'm', hostname: 'h' }, false],
    ['EnrolResponse', EnrolResponse, { agentId: 'a', machineId: 'm', token: 't' }, true],
    ['an unparsed EventRecord', EventRecord, { log: 'Application', provider: '', id: 8200, recordId: 0, time: T0_ISO, payload: { kind: 'unparsed', reason: 'r', values: ['a'] } }, true],
    ['an EventRecord of an unknown kind', EventRecord, { log: 'Application', provider: '', id: 1, recordId: 0, time: T0_ISO, payload: { kind: 'other' } }, false],
  ])('%s → valid: %s', (_what, schema, value, ok) => {
    expect(schema.safeParse(value).success).toBe(ok);
  });
});

describe('describeIssues', () => {
  it.each([
    [['products', 3, 'licenseStatus'], 'products[3].licenseStatus'],
    [[0, 'x'], '[0].x'],
    [[], '(body)'],
  ] as const)('formats the path %j as %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });

  it('summarises at most five issues and counts the rest', () => {
    const products = Array.from({ length: 7 }, () => validProduct({ licenseStatus: 7 }));
    const r = MachineSnapshot.safeParse(validSnapshot({ products }));
    expect(r.success).toBe(false);
    if (r.success) return;
    const d = describeIssues(r.error, ['reports', 2, 'snapshot']);
    expect(d.issues).toHaveLength(7);
    expect(d.issues[0]).toEqual({ path: 'reports[2].snapshot.products[0].licenseStatus', message: 'expected 0..6, got 7' });
    expect(d.summary.endsWith('; and 2 more')).toBe(true);
  });
});

describe('IsoInstant and Count', () => {
  it.each<[string, boolean]>([
    ['2026-11-29T10:00:00Z', true],
    ['2026-11-29T10:00:00.000Z', true],
    ['2026-11-29T10:00:00.1234567+00:00', true],
    ['2026-11-29T11:00+01:00', true],
    ['2028-02-29T00:00:00Z', true],
    ['2026-02-29T00:00:00Z', false],
    ['2026-02-31T00:00:00Z', false],
    ['2026-04-31T00:00:00Z', false],
    ['2026-13-01T00:00:00Z', false],
    ['2026-11-29T25:00:00Z', false],
    ['2026-11-29T10:00:00', false],
    ['2026-11-29', false],
    ['yesterday', false],
  ])('%s is an instant: %s', (s, ok) => {
    expect(IsoInstant.safeParse(s).success).toBe(ok);
  });

  it.each([
    [Number.NaN, 'expected a number 0..9007199254740991, got NaN'],
    [Number.POSITIVE_INFINITY, 'expected a number 0..9007199254740991, got Infinity'],
    [-1, 'expected 0..9007199254740991, got -1'],
    [1.5, 'expected 0..9007199254740991, got 1.5'],
  ])('Count refuses %s with "%s"', (n, message) => {
    const r = Count.safeParse(n);
    expect(summaryOf(r)).toBe(`(body): ${message}`);
  });
});
