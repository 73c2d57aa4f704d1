/**
 * The raw shapes the agent receives from PowerShell (`Get-CimInstance … | Select-Object … | ConvertTo-Json`,
 * `Get-WinEvent … | Select-Object Id, RecordId, LogName, ProviderName, TimeCreated, Properties | ConvertTo-Json`),
 * after the source has normalised dates to ISO strings. The simulator produces exactly these, so the agent cannot
 * tell a simulated machine from a real one. Property names are Windows' own. Properties missing on older Windows are
 * optional; uint32 "-1" arrives as 4294967295.
 */

export interface RawSoftwareLicensingProduct {
  ID: string;
  Name: string;
  Description: string;
  ApplicationID: string;
  PartialProductKey: string | null;
  LicenseStatus: number;
  LicenseStatusReason?: number | null;
  GracePeriodRemaining: number;
  LicenseIsAddon?: boolean | null;
  ProductKeyChannel?: string | null;
  ProductKeyID?: string | null;
  VLActivationInterval?: number | null;
  VLRenewalInterval?: number | null;
  KeyManagementServiceMachine?: string | null;
  KeyManagementServicePort?: number | null;
  DiscoveredKeyManagementServiceMachineName?: string | null;
  DiscoveredKeyManagementServiceMachinePort?: number | null;
  DiscoveredKeyManagementServiceMachineIpAddress?: string | null;
  KeyManagementServiceProductKeyID?: string | null;
  IsKeyManagementServiceMachine?: number | null;
  KeyManagementServiceCurrentCount?: number | null;
  RequiredClientCount?: number | null;
  KeyManagementServiceTotalRequests?: number | null;
  KeyManagementServiceFailedRequests?: number | null;
  KeyManagementServiceUnlicensedRequests?: number | null;
  KeyManagementServiceLicensedRequests?: number | null;
  KeyManagementServiceOOBGraceRequests?: number | null;
  KeyManagementServiceOOTGraceRequests?: number | null;
  KeyManagementServiceNonGenuineGraceRequests?: number | null;
  KeyManagementServiceNotificationRequests?: number | null;
  RemainingSkuReArmCount?: number | null;
  EvaluationEndDate?: string | null;
  /** Win8+: how the product was volume-activated: 0 any, 1 Active Directory, 2 KMS, 3 token. */
  VLActivationType?: number | null;
  /** Win8+: the activation type allowed (`slmgr /act-type`): 0 all, 1 AD, 2 KMS, 3 token. */
  VLActivationTypeEnabled?: number | null;
  /** Win8+: the Active Directory activation object that activated the product, when VLActivationType is 1. */
  ADActivationObjectName?: string | null;
  ADActivationObjectDN?: string | null;
  /** Win8+: the extended PID / SKU id of the CSVLK behind the activation object. */
  ADActivationCsvlkPid?: string | null;
  ADActivationCsvlkSkuId?: string | null;
}

export interface RawSoftwareLicensingService {
  Version: string;
  ClientMachineID: string;
  KeyManagementServiceMachine?: string | null;
  KeyManagementServicePort?: number | null;
  IsKeyManagementServiceMachine?: number | null;
  KeyManagementServiceCurrentCount?: number | null;
  RequiredClientCount?: number | null;
  KeyManagementServiceListeningPort?: number | null;
  KeyManagementServiceDnsPublishing?: boolean | null;
  KeyManagementServiceLowPriority?: boolean | null;
  KeyManagementServiceTotalRequests?: number | null;
  KeyManagementServiceFailedRequests?: number | null;
  KeyManagementServiceUnlicensedRequests?: number | null;
  KeyManagementServiceLicensedRequests?: number | null;
  KeyManagementServiceOOBGraceRequests?: number | null;
  KeyManagementServiceOOTGraceRequests?: number | null;
  KeyManagementServiceNonGenuineGraceRequests?: number | null;
  KeyManagementServiceNotificationRequests?: number | null;
  VLActivationInterval?: number | null;
  VLRenewalInterval?: number | null;
  RemainingWindowsReArmCount?: number | null;
  /**
   * Not WMI: computed by the agent's service command next to it. True when the licensing service (sppsvc; slsvc on
   * Vista / 2008) is running; null when it could not tell. Absent from older captures.
   */
  VawatchServiceRunning?: boolean | null;
  /** Not WMI: true when something listens on the KMS port (Get-NetTCPConnection, Win8+); null when it could not tell. */
  VawatchKmsListening?: boolean | null;
}

export interface RawOperatingSystem {
  Caption: string;
  Version: string;
  /** 1 = workstation, 2 = domain controller, 3 = server. */
  ProductType: number;
  CSName: string;
}

/** One `Get-WinEvent` record; `TimeCreated` already an ISO instant; `Properties` as PowerShell prints them. */
export interface RawEventRecord {
  Id: number;
  RecordId: number;
  LogName: string;
  ProviderName: string;
  TimeCreated: string;
  Properties: Array<{ Value: unknown }>;
}

/** The event log names the agent reads. */
export const LOG_APPLICATION = 'Application';
export const LOG_KMS = 'Key Management Service';
/** Providers that write the licensing events into the Application log (Win7+ and Vista/2008). */
export const PROVIDER_SPP = 'Microsoft-Windows-Security-SPP';
export const PROVIDER_SLC = 'Microsoft-Windows-Security-Licensing-SLC';
/** Event ids read from the Application log, and from the KMS log (hosts only). */
export const APPLICATION_EVENT_IDS = [12288, 12289, 12291, 12292, 12293, 12294, 12308, 8198, 1003] as const;
export const KMS_LOG_EVENT_IDS = [12290] as const;
