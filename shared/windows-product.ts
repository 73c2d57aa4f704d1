import { WINDOWS_APPLICATION_ID } from './kms-rules.js';

/** The fields of a `SoftwareLicensingProduct` that decide whether it is the primary Windows product. */
export interface PrimaryCandidate {
  ApplicationID?: string | null;
  PartialProductKey?: string | null;
  LicenseIsAddon?: boolean | null;
}

/**
 * slmgr's "primary Windows SKU": ApplicationID is Windows', a key is installed (PartialProductKey not null) and it is
 * not an add-on.
 */
export function isPrimaryWindowsProduct(p: PrimaryCandidate): boolean {
  return (
    (p.ApplicationID ?? '').toLowerCase() === WINDOWS_APPLICATION_ID &&
    typeof p.PartialProductKey === 'string' &&
    p.PartialProductKey.length > 0 &&
    p.LicenseIsAddon !== true
  );
}

export type OsKind = 'client' | 'server';

/** `Win32_OperatingSystem.ProductType`: 1 = workstation (client OS); 2 = domain controller and 3 = server are server OS. */
export function osKindOf(productType: number | null | undefined): OsKind {
  return productType === 1 ? 'client' : 'server';
}
