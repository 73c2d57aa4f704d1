/** LicenseStatus of `SoftwareLicensingProduct` (0..6), with the WMI name and the label slmgr /dli prints. */
export const LICENSE_STATUS = {
  UNLICENSED: 0,
  LICENSED: 1,
  OOB_GRACE: 2,
  OOT_GRACE: 3,
  NON_GENUINE_GRACE: 4,
  NOTIFICATION: 5,
  EXTENDED_GRACE: 6,
} as const;

export type LicenseStatusValue = (typeof LICENSE_STATUS)[keyof typeof LICENSE_STATUS];

export interface LicenseStatusInfo {
  value: LicenseStatusValue;
  /** The WMI enumeration name, e.g. `OOTGrace`. */
  wmiName: string;
  /** What `slmgr /dli` prints after `License Status: `. */
  slmgrLabel: string;
  /** Short label for screens. */
  label: string;
  /** True for the states in which a grace period is counting down (2, 3, 4, 6). */
  inGrace: boolean;
}

export const LICENSE_STATUSES: readonly LicenseStatusInfo[] = [
  { value: 0, wmiName: 'Unlicensed', slmgrLabel: 'Unlicensed', label: 'Unlicensed', inGrace: false },
  { value: 1, wmiName: 'Licensed', slmgrLabel: 'Licensed', label: 'Licensed', inGrace: false },
  { value: 2, wmiName: 'OOBGrace', slmgrLabel: 'Initial grace period', label: 'Initial grace', inGrace: true },
  {
    value: 3,
    wmiName: 'OOTGrace',
    slmgrLabel: 'Additional grace period (KMS license expired or hardware out of tolerance)',
    label: 'Additional grace (OOT)',
    inGrace: true,
  },
  { value: 4, wmiName: 'NonGenuineGrace', slmgrLabel: 'Non-genuine grace period.', label: 'Non-genuine grace', inGrace: true },
  { value: 5, wmiName: 'Notification', slmgrLabel: 'Notification', label: 'Notification', inGrace: false },
  { value: 6, wmiName: 'ExtendedGrace', slmgrLabel: 'Extended grace period', label: 'Extended grace', inGrace: true },
];

/** All LicenseStatus values, in order. */
export const LICENSE_STATUS_VALUES: readonly LicenseStatusValue[] = LICENSE_STATUSES.map((s) => s.value);

/** True when `n` is a LicenseStatus Windows defines (0..6). */
export function isLicenseStatus(n: unknown): n is LicenseStatusValue {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 6;
}

/** The info of a status; unknown values (slmgr prints `Unknown`) give undefined. */
export function licenseStatusInfo(n: number): LicenseStatusInfo | undefined {
  return isLicenseStatus(n) ? LICENSE_STATUSES[n] : undefined;
}

/** True for the grace states 2, 3, 4 and 6. */
export function isGraceStatus(n: number): boolean {
  return licenseStatusInfo(n)?.inGrace ?? false;
}
