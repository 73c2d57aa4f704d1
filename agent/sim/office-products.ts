/**
 * Volume Office on a simulated machine: the Office KMS client SKUs it can carry (from the shared table of Office KMS
 * client activation ids) and the Office KMS host product a KMS host can have installed. Office 2013 and later license
 * through the Windows licensing service on Windows 8+, so these appear in SoftwareLicensingProduct with Office's
 * ApplicationID; on Windows 7 Office used its own service (OSPP), so the simulator puts Office on Win8+ profiles only.
 */
import { OFFICE_KMS_CLIENT_SKUS, type OfficeKmsClientSku } from '../../shared/kms-rules.js';
import { Prng } from './prng.js';

/** The Office KMS clients a simulated machine can have, by a short name. */
export const OFFICE_CLIENT_IDS = {
  'office-2024-proplus': '8d368fc1-9470-4be2-8d66-90e836cbb051',
  'office-2024-standard': 'bbac904f-6a7e-418a-bb4b-24c85da06187',
  'office-2021-proplus': 'fbdb3e18-a8ef-4fb3-9183-dffd60bd0984',
  'office-2021-standard': '080a45c5-9f9f-49eb-b4b0-c3c610a5ebd3',
  'project-2021-pro': '76881159-155c-43e0-9db7-2d70a9a3a4ca',
  'visio-2021-pro': 'fb61ac9a-1688-45d2-8f6b-0674dbffa33c',
  'office-2019-proplus': '85dd8b5f-eaa4-4af3-a628-cce9e77c9a03',
} as const;
export type OfficeClientName = keyof typeof OFFICE_CLIENT_IDS;

/** An Office KMS client SKU with its activation id. */
export interface OfficeClientSku extends OfficeKmsClientSku {
  activationId: string;
}

export function officeClientSku(name: OfficeClientName): OfficeClientSku {
  const activationId = OFFICE_CLIENT_IDS[name];
  return { ...OFFICE_KMS_CLIENT_SKUS[activationId]!, activationId };
}

/** Office's initial grace: 30 days to activate after installation (shared/FACTS.md). */
export const OFFICE_OOB_GRACE_DAYS = 30;
/** Rearms a volume Office 2013+ install starts with (**unverified**, shared/FACTS.md). */
export const OFFICE_REARMS = 5;

/** The Office KMS host product of a release (the "Volume License Pack" host key); it activates that release and older. */
export interface OfficeHostProduct {
  release: 2019 | 2021 | 2024;
  activationId: string;
  name: string;
  description: string;
  /** The last five characters of the Office host key (CSVLK): a stable stand-in. */
  partialProductKey: string;
}

/**
 * The host product of an Office release. Its name follows the client's naming; the exact Name / Description strings and
 * the activation id of Office host SKUs are not on a Microsoft page found (**unverified**): the id is a stable
 * stand-in.
 */
export function officeHostProduct(release: 2019 | 2021 | 2024): OfficeHostProduct {
  const short = String(release).slice(2);
  let h = 2166136261;
  for (const ch of `office-kms-host/${release}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  const prng = new Prng(h >>> 0);
  return {
    release,
    activationId: prng.guid(),
    partialProductKey: prng.keyTail(),
    name: `Office ${short}, Office${short}KMSHostVL_KMS_Host edition`,
    description: `Office ${short}, VOLUME_KMS channel`,
  };
}
