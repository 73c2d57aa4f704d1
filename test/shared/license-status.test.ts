import { describe, expect, it } from 'vitest';
import {
  LICENSE_STATUS,
  LICENSE_STATUSES,
  LICENSE_STATUS_VALUES,
  isGraceStatus,
  isLicenseStatus,
  licenseStatusInfo,
} from '../../shared/license-status.js';

describe('LicenseStatus (volume-activation.md 1.3)', () => {
  it.each([
    [0, 'Unlicensed', 'Unlicensed', false],
    [1, 'Licensed', 'Licensed', false],
    [2, 'OOBGrace', 'Initial grace period', true],
    [3, 'OOTGrace', 'Additional grace period (KMS license expired or hardware out of tolerance)', true],
    [4, 'NonGenuineGrace', 'Non-genuine grace period.', true],
    [5, 'Notification', 'Notification', false],
    [6, 'ExtendedGrace', 'Extended grace period', true],
  ] as const)('%i is %s, slmgr prints "License Status: %s"', (value, wmiName, slmgrLabel, inGrace) => {
    const info = licenseStatusInfo(value);
    expect(info).toMatchObject({ value, wmiName, slmgrLabel, inGrace });
    expect(isGraceStatus(value)).toBe(inGrace);
    expect(isLicenseStatus(value)).toBe(true);
  });

  it('names the values as the WMI enumeration does', () => {
    expect(LICENSE_STATUS).toEqual({
      UNLICENSED: 0,
      LICENSED: 1,
      OOB_GRACE: 2,
      OOT_GRACE: 3,
      NON_GENUINE_GRACE: 4,
      NOTIFICATION: 5,
      EXTENDED_GRACE: 6,
    });
    expect(LICENSE_STATUS_VALUES).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(LICENSE_STATUSES.map((s) => s.value)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it.each([7, -1, 1.5, Number.NaN, 4294967295])('%s is not a LicenseStatus (slmgr prints Unknown)', (n) => {
    expect(isLicenseStatus(n)).toBe(false);
    expect(licenseStatusInfo(n)).toBeUndefined();
    expect(isGraceStatus(n)).toBe(false);
  });

  it.each(['1', null, undefined, true])('%s (not a number) is not a LicenseStatus', (v) => {
    expect(isLicenseStatus(v)).toBe(false);
  });
});
