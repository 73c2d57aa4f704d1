/**
 * zod schemas for the raw PowerShell shapes (shared/wmi-shapes.ts), applied where the agent reads them (replay files,
 * cim command output), so a wrong file stops with a reason naming the file and the property. Lenient where PowerShell
 * really varies: properties missing on older Windows, nulls from Select-Object, single objects, both date styles.
 */
import { z } from 'zod';
import type {
  RawEventRecord,
  RawOperatingSystem,
  RawSoftwareLicensingProduct,
  RawSoftwareLicensingService,
} from '../../shared/wmi-shapes.js';
import { describeIssues } from '../../shared/protocol.js';
import { PowerShellOutputError, powerShellDateToIso } from './powershell-json.js';

// uint32 as WMI gives it; "-1" written by hand or by a script that cast it is taken as the 4294967295 sentinel.
const uint = z.number().int().transform((n) => (n < 0 ? n >>> 0 : n));
const optUint = uint.nullable().optional();
const optString = z.string().nullable().optional();
const optBool = z
  .union([z.boolean(), z.number().int()])
  .transform((v) => (typeof v === 'number' ? v !== 0 : v))
  .nullable()
  .optional();
const optDate = z
  .unknown()
  .transform((v) => (v === null || v === undefined ? null : (powerShellDateToIso(v) ?? null)))
  .optional();

const kmsCounters = {
  IsKeyManagementServiceMachine: optUint,
  KeyManagementServiceCurrentCount: optUint,
  RequiredClientCount: optUint,
  KeyManagementServiceTotalRequests: optUint,
  KeyManagementServiceFailedRequests: optUint,
  KeyManagementServiceUnlicensedRequests: optUint,
  KeyManagementServiceLicensedRequests: optUint,
  KeyManagementServiceOOBGraceRequests: optUint,
  KeyManagementServiceOOTGraceRequests: optUint,
  KeyManagementServiceNonGenuineGraceRequests: optUint,
  KeyManagementServiceNotificationRequests: optUint,
};

export const RawProductSchema = z.object({
  ID: z.string(),
  Name: z.string().nullable().transform((s) => s ?? ''),
  Description: z.string().nullable().transform((s) => s ?? ''),
  ApplicationID: z.string(),
  PartialProductKey: z.string().nullable().optional().transform((s) => s ?? null),
  LicenseStatus: uint,
  LicenseStatusReason: optUint,
  GracePeriodRemaining: uint.nullable().optional().transform((n) => n ?? 0),
  LicenseIsAddon: optBool,
  ProductKeyChannel: optString,
  ProductKeyID: optString,
  VLActivationInterval: optUint,
  VLRenewalInterval: optUint,
  KeyManagementServiceMachine: optString,
  KeyManagementServicePort: optUint,
  DiscoveredKeyManagementServiceMachineName: optString,
  DiscoveredKeyManagementServiceMachinePort: optUint,
  DiscoveredKeyManagementServiceMachineIpAddress: optString,
  KeyManagementServiceProductKeyID: optString,
  ...kmsCounters,
  RemainingSkuReArmCount: optUint,
  EvaluationEndDate: optDate,
  VLActivationType: optUint,
  VLActivationTypeEnabled: optUint,
  ADActivationObjectName: optString,
  ADActivationObjectDN: optString,
  ADActivationCsvlkPid: optString,
  ADActivationCsvlkSkuId: optString,
}) satisfies z.ZodType<RawSoftwareLicensingProduct, unknown>;

export const RawServiceSchema = z.object({
  Version: z.string(),
  ClientMachineID: z.string().nullable().transform((s) => s ?? ''),
  KeyManagementServiceMachine: optString,
  KeyManagementServicePort: optUint,
  ...kmsCounters,
  KeyManagementServiceListeningPort: optUint,
  KeyManagementServiceDnsPublishing: optBool,
  KeyManagementServiceLowPriority: optBool,
  VLActivationInterval: optUint,
  VLRenewalInterval: optUint,
  RemainingWindowsReArmCount: optUint,
  VawatchServiceRunning: optBool,
  VawatchKmsListening: optBool,
}) satisfies z.ZodType<RawSoftwareLicensingService, unknown>;

export const RawOsSchema = z.object({
  Caption: z.string(),
  Version: z.string(),
  ProductType: uint,
  CSName: z.string(),
}) satisfies z.ZodType<RawOperatingSystem, unknown>;

const propertyValue = z.union([z.object({ Value: z.unknown() }).transform((p) => ({ Value: p.Value })), z.null()]);

export const RawEventSchema = z.object({
  Id: uint,
  RecordId: uint,
  LogName: z.string(),
  ProviderName: z.string(),
  TimeCreated: z.unknown().transform((v, ctx) => {
    const iso = powerShellDateToIso(v);
    if (iso === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a date as PowerShell prints it, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return iso;
  }),
  // One property prints as an array in practice, but a hand-made capture may hold the bare object.
  Properties: z
    .union([z.array(propertyValue), propertyValue])
    .nullable()
    .optional()
    .transform((p) => (p === null || p === undefined ? [] : Array.isArray(p) ? p : [p]).map((x) => x ?? { Value: null })),
}) satisfies z.ZodType<RawEventRecord, unknown>;

/** Validates each item of a PowerShell list with `schema`; throws PowerShellOutputError naming `where` and the item. */
export function parseRawList<T>(schema: z.ZodType<T, unknown>, items: ReadonlyArray<unknown>, where: string): T[] {
  return items.map((item, i) => {
    const r = schema.safeParse(item);
    if (!r.success) {
      const { summary } = describeIssues(r.error, items.length > 1 ? [i] : []);
      throw new PowerShellOutputError(where, summary);
    }
    return r.data;
  });
}
