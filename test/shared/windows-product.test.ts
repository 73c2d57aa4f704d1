import { describe, expect, it } from 'vitest';
import { isPrimaryWindowsProduct, osKindOf, type PrimaryCandidate } from '../../shared/windows-product.js';
import * as rules from '../../shared/kms-rules.js';

const WINDOWS = '55c92734-d682-4d71-983e-d6ec3f16059f';
const OFFICE = '59a52881-a989-479d-af46-f275c6370663';

describe('isPrimaryWindowsProduct: Windows ApplicationID, key installed, not an add-on (slmgr)', () => {
  it.each<[string, PrimaryCandidate, boolean]>([
    ['Windows with a key', { ApplicationID: WINDOWS, PartialProductKey: 'XXXXX', LicenseIsAddon: false }, true],
    ['Windows, ApplicationID in capitals', { ApplicationID: WINDOWS.toUpperCase(), PartialProductKey: 'XXXXX', LicenseIsAddon: false }, true],
    ['Windows, LicenseIsAddon missing (Vista)', { ApplicationID: WINDOWS, PartialProductKey: 'XXXXX' }, true],
    ['Windows, LicenseIsAddon null', { ApplicationID: WINDOWS, PartialProductKey: 'XXXXX', LicenseIsAddon: null }, true],
    ['Windows SKU without a key', { ApplicationID: WINDOWS, PartialProductKey: null, LicenseIsAddon: false }, false],
    ['Windows SKU with an empty key', { ApplicationID: WINDOWS, PartialProductKey: '', LicenseIsAddon: false }, false],
    ['Windows add-on', { ApplicationID: WINDOWS, PartialProductKey: 'XXXXX', LicenseIsAddon: true }, false],
    ['Office with a key', { ApplicationID: OFFICE, PartialProductKey: 'YYYYY', LicenseIsAddon: false }, false],
    ['no ApplicationID', { PartialProductKey: 'XXXXX' }, false],
  ])('%s → %s', (_what, p, expected) => {
    expect(isPrimaryWindowsProduct(p)).toBe(expected);
  });
});

describe('osKindOf: Win32_OperatingSystem.ProductType', () => {
  it.each([
    [1, 'client'],
    [2, 'server'],
    [3, 'server'],
  ] as const)('%i → %s', (productType, kind) => {
    expect(osKindOf(productType)).toBe(kind);
  });
});

describe('thresholdFor and the KMS rules (volume-activation.md 5, 7)', () => {
  it('client OS needs 25, server OS 5', () => {
    expect(rules.thresholdFor('client')).toBe(25);
    expect(rules.thresholdFor('server')).toBe(5);
    expect(rules.thresholdFor(osKindOf(1))).toBe(25);
    expect(rules.thresholdFor(osKindOf(3))).toBe(5);
  });

  it.each<[keyof typeof rules, unknown]>([
    ['KMS_CLIENT_THRESHOLD', 25],
    ['KMS_SERVER_THRESHOLD', 5],
    ['KMS_CLIENT_WINDOW_DAYS', 30],
    ['KMS_COUNT_CAP', 50],
    ['KMS_COUNT_CAP_SERVERS_ONLY', 10],
    ['KMS_RENEWAL_INTERVAL_MINUTES', 10080],
    ['KMS_RETRY_INTERVAL_MINUTES', 120],
    ['KMS_ACTIVATION_VALIDITY_DAYS', 180],
    ['OOB_GRACE_CLIENT_DAYS', 30],
    ['OOB_GRACE_SERVER_DAYS', 60],
    ['OOT_GRACE_DAYS', 30],
    ['KMS_MAX_CLOCK_SKEW_HOURS', 4],
    ['KMS_DEFAULT_PORT', 1688],
    ['KMS_SRV_RECORD', '_vlmcs._tcp'],
    ['REARMS_DEFAULT', 3],
    ['REARMS_ENTERPRISE_SP1', 5],
    ['REARMS_AFTER_KMS_ACTIVATION', 1],
    ['CSVLK_MAX_HOSTS', 6],
    ['CSVLK_ACTIVATIONS_PER_HOST', 10],
    ['UINT32_SENTINEL', 4294967295],
    ['WINDOWS_APPLICATION_ID', WINDOWS],
  ])('%s = %j', (name, value) => {
    expect(rules[name]).toBe(value);
  });
});
