/**
 * Every PowerShell command line the `cim` source runs, in one place, so they can be read, reviewed and tested as text.
 * Each prints JSON (ConvertTo-Json -Compress) on stdout in UTF-8; never slmgr text, whose labels depend on the OS
 * language.
 */
import {
  APPLICATION_EVENT_IDS,
  KMS_LOG_EVENT_IDS,
  LOG_KMS,
  PROVIDER_SLC,
  PROVIDER_SPP,
} from '../../shared/wmi-shapes.js';

/** The SoftwareLicensingProduct properties the agent reads (older Windows lacks some: Select-Object prints null). */
export const PRODUCT_PROPERTIES = [
  'ID',
  'Name',
  'Description',
  'ApplicationID',
  'PartialProductKey',
  'LicenseStatus',
  'LicenseStatusReason',
  'GracePeriodRemaining',
  'LicenseIsAddon',
  'ProductKeyChannel',
  'ProductKeyID',
  'VLActivationInterval',
  'VLRenewalInterval',
  'KeyManagementServiceMachine',
  'KeyManagementServicePort',
  'DiscoveredKeyManagementServiceMachineName',
  'DiscoveredKeyManagementServiceMachinePort',
  'DiscoveredKeyManagementServiceMachineIpAddress',
  'KeyManagementServiceProductKeyID',
  'IsKeyManagementServiceMachine',
  'KeyManagementServiceCurrentCount',
  'RequiredClientCount',
  'KeyManagementServiceTotalRequests',
  'KeyManagementServiceFailedRequests',
  'KeyManagementServiceUnlicensedRequests',
  'KeyManagementServiceLicensedRequests',
  'KeyManagementServiceOOBGraceRequests',
  'KeyManagementServiceOOTGraceRequests',
  'KeyManagementServiceNonGenuineGraceRequests',
  'KeyManagementServiceNotificationRequests',
  'RemainingSkuReArmCount',
  'EvaluationEndDate',
  'VLActivationType',
  'VLActivationTypeEnabled',
  'ADActivationObjectName',
  'ADActivationObjectDN',
  'ADActivationCsvlkPid',
  'ADActivationCsvlkSkuId',
] as const;

export const SERVICE_PROPERTIES = [
  'Version',
  'ClientMachineID',
  'KeyManagementServiceMachine',
  'KeyManagementServicePort',
  'IsKeyManagementServiceMachine',
  'KeyManagementServiceCurrentCount',
  'RequiredClientCount',
  'KeyManagementServiceListeningPort',
  'KeyManagementServiceDnsPublishing',
  'KeyManagementServiceLowPriority',
  'KeyManagementServiceTotalRequests',
  'KeyManagementServiceFailedRequests',
  'KeyManagementServiceUnlicensedRequests',
  'KeyManagementServiceLicensedRequests',
  'KeyManagementServiceOOBGraceRequests',
  'KeyManagementServiceOOTGraceRequests',
  'KeyManagementServiceNonGenuineGraceRequests',
  'KeyManagementServiceNotificationRequests',
  'VLActivationInterval',
  'VLRenewalInterval',
  'RemainingWindowsReArmCount',
] as const;

/**
 * Two calculated columns the service command adds (not WMI): whether the licensing service runs, and whether anything
 * listens on the KMS port (Get-NetTCPConnection exists from Windows 8 / Server 2012; older systems give null). Only
 * a KMS host's values mean anything; normalise reads them for hosts alone.
 */
export const SERVICE_HEALTH_COLUMNS = [
  "@{n='VawatchServiceRunning';e={[bool](Get-Service -Name sppsvc,slsvc -ErrorAction SilentlyContinue | Where-Object { $_.Status -eq 'Running' })}}",
  "@{n='VawatchKmsListening';e={if ($_.IsKeyManagementServiceMachine -ne 1 -or -not (Get-Command Get-NetTCPConnection -ErrorAction SilentlyContinue)) { $null } else { $p = if ($_.KeyManagementServiceListeningPort) { $_.KeyManagementServiceListeningPort } else { 1688 }; [bool](Get-NetTCPConnection -State Listen -LocalPort $p -ErrorAction SilentlyContinue) }}}",
] as const;

export const OS_PROPERTIES = ['Caption', 'Version', 'ProductType', 'CSName'] as const;

/** Get-WinEvent's own columns, with TimeCreated printed as an ISO instant in UTC (5.1 would print /Date(ms)/). */
export const EVENT_SELECT = "Id, RecordId, LogName, ProviderName, @{n='TimeCreated';e={$_.TimeCreated.ToUniversalTime().ToString('o')}}, Properties";

const TO_JSON = 'ConvertTo-Json -Depth 4 -Compress';
// Pipes default to the OEM code page; host names and event text may not be ASCII.
const PRELUDE = "[Console]::OutputEncoding = [System.Text.Encoding]::UTF8; $ProgressPreference = 'SilentlyContinue';";

/** A PowerShell single-quoted string literal. */
export function psQuote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function cim(className: string, props: readonly string[], filter?: string): string {
  const f = filter ? ` -Filter ${JSON.stringify(filter)}` : '';
  return `${PRELUDE} Get-CimInstance -ClassName ${className}${f} -ErrorAction Stop | Select-Object ${props.join(', ')} | ${TO_JSON}`;
}

/** Products with a key installed (WQL on the CIM side, so the other hundreds of SKUs never leave WMI). */
export function productsCommand(): string {
  return cim('SoftwareLicensingProduct', PRODUCT_PROPERTIES, 'PartialProductKey IS NOT NULL');
}

export function serviceCommand(): string {
  return cim('SoftwareLicensingService', [...SERVICE_PROPERTIES, ...SERVICE_HEALTH_COLUMNS]);
}

export function osCommand(): string {
  return cim('Win32_OperatingSystem', OS_PROPERTIES);
}

/**
 * The XPath of one log after a bookmark. FilterHashtable has no record-id key, hence XPath. Application: the licensing
 * providers (Security-SPP; Security-Licensing-SLC on Vista / 2008) and their ids; the KMS log: 12290 only.
 */
export function eventsXPath(log: string, afterRecordId: number): string {
  if (!Number.isSafeInteger(afterRecordId) || afterRecordId < 0) throw new Error(`bookmark must be a non-negative integer, got ${afterRecordId}`);
  const isKms = log.toLowerCase() === LOG_KMS.toLowerCase();
  const ids = (isKms ? KMS_LOG_EVENT_IDS : APPLICATION_EVENT_IDS).map((id) => `EventID=${id}`).join(' or ');
  const providers = isKms ? '' : `Provider[@Name='${PROVIDER_SPP}' or @Name='${PROVIDER_SLC}'] and `;
  return `*[System[${providers}(${ids}) and (EventRecordID > ${afterRecordId})]]`;
}

/** New records of one log, newest first as Get-WinEvent lists them. "No events" and a missing log end in an error. */
export function eventsCommand(log: string, afterRecordId: number): string {
  return `${PRELUDE} Get-WinEvent -LogName ${psQuote(log)} -FilterXPath "${eventsXPath(log, afterRecordId)}" -ErrorAction Stop | Select-Object ${EVENT_SELECT} | ${TO_JSON}`;
}

/** The newest RecordId of a log (any event), to notice a log that was cleared. */
export function newestRecordCommand(log: string): string {
  return `${PRELUDE} Get-WinEvent -LogName ${psQuote(log)} -MaxEvents 1 -ErrorAction Stop | Select-Object RecordId | ${TO_JSON}`;
}

/** The machine's MachineGuid: stable across agent reinstalls, unlike the CMID which changes on rearm. */
export function machineIdCommand(): string {
  return `${PRELUDE} (Get-ItemProperty -Path 'HKLM:\\SOFTWARE\\Microsoft\\Cryptography' -Name MachineGuid -ErrorAction Stop).MachineGuid | ${TO_JSON}`;
}

/** The arguments of a one-off PowerShell running one command (the per-command way): no profile, no prompts. */
export function powershellArgs(command: string): string[] {
  return ['-NoProfile', '-NonInteractive', '-Command', command];
}

/** Get-WinEvent's "nothing matched": a normal answer, not an error (the id is the same in every OS language). */
export function isNoEventsError(stderr: string): boolean {
  return /NoMatchingEventsFound|No events were found that match the specified selection criteria/i.test(stderr);
}

/** Get-WinEvent's "no such log" (the KMS log on a machine that is not a KMS host): an empty log, not an error. */
export function isMissingLogError(stderr: string): boolean {
  return /NoMatchingLogsFound|There is not an event log on the localhost computer that matches/i.test(stderr);
}
