/**
 * Volume Activation rules as named constants. Each value comes from `volume-activation.md` (sections 5 and 7);
 * the simulator, the agent and the collector all use these, so a figure is stated once.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Milliseconds in one minute / hour / day, for converting the licensing figures below. */
export const MS = { MINUTE: MINUTE_MS, HOUR: HOUR_MS, DAY: DAY_MS } as const;

/** A client OS (Vista, Windows 7…11) activates only when the host's count is at least this ("N-policy" 25). */
export const KMS_CLIENT_THRESHOLD = 25;
/** A server OS (and volume Office) activates when the host's count is at least this ("N-policy" 5). */
export const KMS_SERVER_THRESHOLD = 5;
/** The count is the number of unique CMIDs the host saw in this many days. */
export const KMS_CLIENT_WINDOW_DAYS = 30;
/** The count is capped at twice the largest N-policy any client reported: 50 once a client OS asked… */
export const KMS_COUNT_CAP = 2 * KMS_CLIENT_THRESHOLD;
/** …and 10 while only servers have asked. */
export const KMS_COUNT_CAP_SERVERS_ONLY = 2 * KMS_SERVER_THRESHOLD;
/** An activated KMS client renews every 7 days (VLRenewalInterval = 10080 minutes). */
export const KMS_RENEWAL_INTERVAL_MINUTES = 7 * 24 * 60;
/** An unactivated KMS client retries every 2 hours (VLActivationInterval = 120 minutes). */
export const KMS_RETRY_INTERVAL_MINUTES = 120;
/** A KMS activation is valid for 180 days; a successful renewal restarts them (GracePeriodRemaining 259200 min). */
export const KMS_ACTIVATION_VALIDITY_DAYS = 180;
/** Initial (out-of-box) grace of a client OS (Vista-class): 30 days. */
export const OOB_GRACE_CLIENT_DAYS = 30;
/** Initial (out-of-box) grace of a server OS (Server 2008-class): 60 days. */
export const OOB_GRACE_SERVER_DAYS = 60;
/** Out-of-tolerance grace (KMS activation expired, or hardware changed): 30 days, then Notification. */
export const OOT_GRACE_DAYS = 30;
/** Non-genuine grace: 30 days. */
export const NON_GENUINE_GRACE_DAYS = 30;
/** Client and host clocks may differ by at most 4 hours (UTC) or the request fails with 0xC004F06C. */
export const KMS_MAX_CLOCK_SKEW_HOURS = 4;
/** KMS listens on TCP 1688 unless configured otherwise (a listening port of 0 means 1688). */
export const KMS_DEFAULT_PORT = 1688;
/** Clients discover hosts through this DNS SRV record in their domain. */
export const KMS_SRV_RECORD = '_vlmcs._tcp';
/** A KMS host re-registers its SRV record every 24 hours. */
export const KMS_DNS_REPUBLISH_HOURS = 24;
/** Rearms a Vista Business / Server 2008 install starts with. */
export const REARMS_DEFAULT = 3;
/** Rearms a Vista Enterprise SP1 install starts with. */
export const REARMS_ENTERPRISE_SP1 = 5;
/** A KMS activation restores the rearm count to at least this. */
export const REARMS_AFTER_KMS_ACTIVATION = 1;
/** One CSVLK activates up to 6 KMS hosts… */
export const CSVLK_MAX_HOSTS = 6;
/** …each up to 10 times. */
export const CSVLK_ACTIVATIONS_PER_HOST = 10;
/** uint32 "-1": Windows' sentinel for "no data" in counters (KeyManagementServiceCurrentCount, rearm counts…). */
export const UINT32_SENTINEL = 4294967295;
/** ApplicationID of the Windows licensing application: the primary Windows product has this. */
export const WINDOWS_APPLICATION_ID = '55c92734-d682-4d71-983e-d6ec3f16059f';
/** ApplicationID of Office 2013 and later volume products (2016, 2019, LTSC 2021 / 2024), in SoftwareLicensingProduct. */
export const OFFICE_APPLICATION_ID = '0ff1ce15-a989-479d-af46-f275c6370663';
/** ApplicationID of Office 2010 volume products (licensed by OSPP, not SPP, on Windows 7; still seen in captures). */
export const OFFICE_2010_APPLICATION_ID = '59a52881-a989-479d-af46-f275c6370663';
/** Volume Office activates against a KMS host once the host's Office count reaches 5 (its own count, not Windows'). */
export const OFFICE_KMS_THRESHOLD = 5;

/** The licensing application a product belongs to: its own KMS count and threshold on a host. */
export type LicensingApplication = 'windows' | 'office' | 'other';

/** Windows, Office (2010 or 2013+), or anything else, from a product's ApplicationID (case-insensitive). */
export function applicationOf(applicationId: string | null | undefined): LicensingApplication {
  const id = (applicationId ?? '').trim().toLowerCase().replace(/^\{|\}$/g, '');
  if (id === WINDOWS_APPLICATION_ID) return 'windows';
  if (id === OFFICE_APPLICATION_ID || id === OFFICE_2010_APPLICATION_ID) return 'office';
  return 'other';
}

/** A volume Office KMS client SKU (a GVLK installed): what it is called, and its public setup key's last five. */
export interface OfficeKmsClientSku {
  application: 'office';
  /** The product as Microsoft's GVLK page names it, e.g. `Office LTSC Professional Plus 2021`. */
  name: string;
  /** The licence name SoftwareLicensingProduct.Name reports, e.g. `Office 21, Office21ProPlus2021VL_KMS_Client_AE edition`. */
  licenceName: string;
  /** Release: 2019, 2021 (LTSC) or 2024 (LTSC). */
  release: 2019 | 2021 | 2024;
  /** The last five characters of the public GVLK (PartialProductKey). */
  gvlkTail: string;
}

/**
 * Office KMS client activation IDs (SKU ids) → what they are. The GVLKs are on Microsoft's "GVLKs for KMS and Active
 * Directory-based activation of Office, Project, and Visio" page; the activation IDs are not on any Microsoft page
 * found, they come from public activation scripts that pair them with those GVLKs (**unverified**, see shared/FACTS.md).
 */
export const OFFICE_KMS_CLIENT_SKUS: Readonly<Record<string, OfficeKmsClientSku>> = {
  '8d368fc1-9470-4be2-8d66-90e836cbb051': office(2024, 'Office LTSC Professional Plus 2024', 'ProPlus2024', 'GCVGB'),
  'bbac904f-6a7e-418a-bb4b-24c85da06187': office(2024, 'Office LTSC Standard 2024', 'Standard2024', 'H6HGR'),
  'f510af75-8ab7-4426-a236-1bfb95c34ff8': office(2024, 'Project Professional 2024', 'ProjectPro2024', '76HF4'),
  'fa187091-8246-47b1-964f-80a0b1e5d69a': office(2024, 'Visio LTSC Professional 2024', 'VisioPro2024', 'YY89G'),
  'fbdb3e18-a8ef-4fb3-9183-dffd60bd0984': office(2021, 'Office LTSC Professional Plus 2021', 'ProPlus2021', '6F7TH'),
  '080a45c5-9f9f-49eb-b4b0-c3c610a5ebd3': office(2021, 'Office LTSC Standard 2021', 'Standard2021', '78VT3'),
  '76881159-155c-43e0-9db7-2d70a9a3a4ca': office(2021, 'Project Professional 2021', 'ProjectPro2021', 'QV9H8'),
  'fb61ac9a-1688-45d2-8f6b-0674dbffa33c': office(2021, 'Visio LTSC Professional 2021', 'VisioPro2021', 'K2HT4'),
  '85dd8b5f-eaa4-4af3-a628-cce9e77c9a03': office(2019, 'Office Professional Plus 2019', 'ProPlus2019', '6MWKP'),
  '6912a74b-a5fb-401a-bfdb-2e3ab46f4b02': office(2019, 'Office Standard 2019', 'Standard2019', '9D9HK'),
  '2ca2bf3f-949e-446a-82c7-e25a15ec78c4': office(2019, 'Project Professional 2019', 'ProjectPro2019', 'PKD2B'),
  '5b5cf08f-b81a-431d-b080-3450d8620565': office(2019, 'Visio Professional 2019', 'VisioPro2019', '7VCBB'),
};

function office(release: 2019 | 2021 | 2024, name: string, sku: string, gvlkTail: string): OfficeKmsClientSku {
  const short = String(release).slice(2);
  // The licence names follow the one seen in real ospp.vbs output: `Office 21, Office21ProPlus2021VL_KMS_Client_AE edition`.
  return { application: 'office', name, licenceName: `Office ${short}, Office${short}${sku}VL_KMS_Client_AE edition`, release, gvlkTail };
}

/** The Office KMS client SKU behind an activation ID, if it is one vawatch knows (case-insensitive). */
export function officeKmsClientSku(activationId: string | null | undefined): OfficeKmsClientSku | undefined {
  const id = (activationId ?? '').trim().toLowerCase().replace(/^\{|\}$/g, '');
  return Object.hasOwn(OFFICE_KMS_CLIENT_SKUS, id) ? OFFICE_KMS_CLIENT_SKUS[id] : undefined;
}

/** The activation threshold of a product on a KMS host: 5 for Office, else 25 for a client OS and 5 for a server OS. */
export function thresholdForProduct(application: LicensingApplication, kind: 'client' | 'server'): number {
  return application === 'office' ? OFFICE_KMS_THRESHOLD : thresholdFor(kind);
}

/** The N-policy (threshold) that applies to an OS kind. */
export function thresholdFor(kind: 'client' | 'server'): number {
  return kind === 'client' ? KMS_CLIENT_THRESHOLD : KMS_SERVER_THRESHOLD;
}
