/**
 * Raw PowerShell shapes → protocol v1 MachineSnapshot. Pure: the collection instant and the machine's identity come in
 * as arguments, so the same raw input always gives the same snapshot.
 */
import { channelOf } from '../shared/channel.js';
import { isLicenseStatus } from '../shared/license-status.js';
import { KMS_DEFAULT_PORT, UINT32_SENTINEL, WINDOWS_APPLICATION_ID, applicationOf } from '../shared/kms-rules.js';
import { toEventRecordOrUnparsed } from '../shared/events/index.js';
import type {
  EventRecord,
  KmsApplicationCount,
  KmsHostRef,
  KmsServiceState,
  MachineSnapshot,
  ProductState,
} from '../shared/protocol.js';
import { isPrimaryWindowsProduct, osKindOf } from '../shared/windows-product.js';
import type {
  RawEventRecord,
  RawOperatingSystem,
  RawSoftwareLicensingProduct,
  RawSoftwareLicensingService,
} from '../shared/wmi-shapes.js';

export interface RawMachineState {
  products: RawSoftwareLicensingProduct[];
  service: RawSoftwareLicensingService;
  os: RawOperatingSystem;
}

export interface SnapshotIdentity {
  machineId: string;
  /** Overrides Win32_OperatingSystem.CSName when set (e.g. the FQDN from configuration). */
  hostname?: string;
  group: string;
}

/** A counter as reported, or null for "no data": absent, null, or the uint32 -1 sentinel. */
export function counter(n: number | null | undefined): number | null {
  if (n === null || n === undefined || n === UINT32_SENTINEL || n < 0) return null;
  return n;
}

function nonEmpty(s: string | null | undefined): string | null {
  const t = (s ?? '').trim();
  return t === '' ? null : t;
}

/**
 * The KMS host a client uses: a /skms override on the product, else the service-wide /skms override (both land in the
 * registry), else the host it last discovered through DNS. Only KMS clients have one: a MAK or host product may carry
 * a stale override that means nothing.
 */
function kmsHostOf(p: RawSoftwareLicensingProduct, s: RawSoftwareLicensingService): KmsHostRef | null {
  const productName = nonEmpty(p.KeyManagementServiceMachine);
  if (productName) return { name: productName, port: p.KeyManagementServicePort || KMS_DEFAULT_PORT, source: 'registry' };
  const serviceName = nonEmpty(s.KeyManagementServiceMachine);
  if (serviceName) return { name: serviceName, port: s.KeyManagementServicePort || KMS_DEFAULT_PORT, source: 'registry' };
  const discovered = nonEmpty(p.DiscoveredKeyManagementServiceMachineName);
  if (discovered) {
    return { name: discovered, port: p.DiscoveredKeyManagementServiceMachinePort || KMS_DEFAULT_PORT, source: 'dns' };
  }
  return null;
}

function isWindowsProduct(p: RawSoftwareLicensingProduct): boolean {
  return p.ApplicationID.toLowerCase() === WINDOWS_APPLICATION_ID;
}

/** VLActivationType 1: the product was activated by an Active Directory activation object (Win8+). */
const VL_ACTIVATION_TYPE_AD = 1;

/** The activation object of an AD-activated product, when Windows names one. */
function adActivationOf(p: RawSoftwareLicensingProduct): ProductState['adActivation'] {
  const name = nonEmpty(p.ADActivationObjectName);
  if (p.VLActivationType !== VL_ACTIVATION_TYPE_AD || name === null) return null;
  return { objectName: name.slice(0, 300), objectDn: nonEmpty(p.ADActivationObjectDN)?.slice(0, 1000) ?? null };
}

function productState(p: RawSoftwareLicensingProduct, s: RawSoftwareLicensingService, collectedAtMs: number): ProductState {
  const ad = adActivationOf(p);
  const described = channelOf(p.Description, p.ProductKeyChannel);
  // A GVLK product activated through AD has no KMS host: it is its own channel and never counted against a host.
  const channel = described === 'kms-client' && ad !== null ? 'ad-based' : described;
  const grace = counter(p.GracePeriodRemaining) ?? 0;
  const serviceRearms = isWindowsProduct(p) ? counter(s.RemainingWindowsReArmCount) : null;
  const reason = p.LicenseStatusReason;
  return {
    activationId: p.ID,
    applicationId: p.ApplicationID,
    name: p.Name,
    description: p.Description,
    channel,
    primary: isPrimaryWindowsProduct(p),
    licenseStatus: p.LicenseStatus,
    licenseStatusReason: reason === null || reason === undefined ? null : reason >>> 0,
    graceExpiresAt: grace === 0 ? null : new Date(collectedAtMs + grace * 60_000).toISOString(),
    partialProductKey: nonEmpty(p.PartialProductKey),
    kmsHost: channel === 'kms-client' ? kmsHostOf(p, s) : null,
    rearmsRemaining: serviceRearms ?? counter(p.RemainingSkuReArmCount),
    renewalIntervalMinutes: channel === 'kms-client' ? counter(p.VLRenewalInterval ?? s.VLRenewalInterval) : null,
    activationIntervalMinutes: channel === 'kms-client' ? counter(p.VLActivationInterval ?? s.VLActivationInterval) : null,
    // Win8+ only: older captures and Vista / 7 machines lack the property, and their products keep their old shape.
    ...(p.VLActivationType !== undefined ? { vlActivationType: counter(p.VLActivationType), adActivation: ad } : {}),
  };
}

type KmsCounterSource = Pick<
  RawSoftwareLicensingService,
  | 'KeyManagementServiceCurrentCount'
  | 'RequiredClientCount'
  | 'KeyManagementServiceTotalRequests'
  | 'KeyManagementServiceFailedRequests'
  | 'KeyManagementServiceUnlicensedRequests'
  | 'KeyManagementServiceLicensedRequests'
  | 'KeyManagementServiceOOBGraceRequests'
  | 'KeyManagementServiceOOTGraceRequests'
  | 'KeyManagementServiceNonGenuineGraceRequests'
  | 'KeyManagementServiceNotificationRequests'
>;

/**
 * The KMS service, on hosts only. Win7+ keeps the counters per product (slmgr reads them from the host product);
 * Vista/2008 has them only on the service class, so the service is the fallback.
 */
function kmsServiceOf(products: RawSoftwareLicensingProduct[], s: RawSoftwareLicensingService): KmsServiceState | undefined {
  const hostProducts = products.filter((p) => p.IsKeyManagementServiceMachine === 1);
  if (hostProducts.length === 0 && s.IsKeyManagementServiceMachine !== 1) return undefined;
  // The top-level counters are Windows' (what older agents sent): the Windows host product's, else a lone host product
  // of an application vawatch does not know (as before), else the service's (Vista / 2008, or an Office-only host).
  const withCounts = hostProducts.filter((p) => p.KeyManagementServiceCurrentCount != null);
  const windowsHost = withCounts.find(isWindowsProduct);
  const lone = withCounts.length === 1 && applicationOf(withCounts[0]!.ApplicationID) !== 'office' ? withCounts[0] : undefined;
  const c: KmsCounterSource = windowsHost ?? lone ?? s;
  const windowsFirst = (a: KmsApplicationCount, b: KmsApplicationCount) =>
    Number(b.applicationId === WINDOWS_APPLICATION_ID) - Number(a.applicationId === WINDOWS_APPLICATION_ID) || a.name.localeCompare(b.name);
  const applications: KmsApplicationCount[] = withCounts
    .map((p) => ({
      applicationId: p.ApplicationID.toLowerCase(),
      name: p.Name.slice(0, 300),
      currentCount: counter(p.KeyManagementServiceCurrentCount),
      requiredClientCount: counter(p.RequiredClientCount),
    }))
    .sort(windowsFirst);
  const health: Pick<KmsServiceState, 'listening' | 'serviceRunning'> = {};
  if (typeof s.VawatchKmsListening === 'boolean') health.listening = s.VawatchKmsListening;
  if (typeof s.VawatchServiceRunning === 'boolean') health.serviceRunning = s.VawatchServiceRunning;
  return {
    currentCount: counter(c.KeyManagementServiceCurrentCount),
    requiredClientCount: counter(c.RequiredClientCount),
    listeningPort: s.KeyManagementServiceListeningPort || KMS_DEFAULT_PORT,
    dnsPublishing: s.KeyManagementServiceDnsPublishing ?? true,
    lowPriority: s.KeyManagementServiceLowPriority ?? false,
    requests: {
      total: counter(c.KeyManagementServiceTotalRequests),
      failed: counter(c.KeyManagementServiceFailedRequests),
      unlicensed: counter(c.KeyManagementServiceUnlicensedRequests),
      licensed: counter(c.KeyManagementServiceLicensedRequests),
      oobGrace: counter(c.KeyManagementServiceOOBGraceRequests),
      ootGrace: counter(c.KeyManagementServiceOOTGraceRequests),
      nonGenuineGrace: counter(c.KeyManagementServiceNonGenuineGraceRequests),
      notification: counter(c.KeyManagementServiceNotificationRequests),
    },
    // Only when a product carries its own count (Win7+): Vista / 2008 hosts keep theirs on the service alone.
    ...(applications.length > 0 ? { applications } : {}),
    ...health,
  };
}

/** Raw state → MachineSnapshot, with GracePeriodRemaining turned into an instant at `collectedAtMs`. */
export function normaliseSnapshot(raw: RawMachineState, id: SnapshotIdentity, collectedAtMs: number): MachineSnapshot {
  // A LicenseStatus Windows does not define (slmgr prints "Unknown") has no place in the protocol: that product is left
  // out rather than the whole machine going unreported.
  const products = raw.products.filter((p) => nonEmpty(p.PartialProductKey) !== null && isLicenseStatus(p.LicenseStatus));
  const snapshot: MachineSnapshot = {
    machineId: id.machineId,
    hostname: nonEmpty(id.hostname) ?? raw.os.CSName,
    group: id.group,
    os: { caption: raw.os.Caption.trim(), version: raw.os.Version, kind: osKindOf(raw.os.ProductType) },
    cmid: nonEmpty(raw.service.ClientMachineID),
    // Primary first, then by name, so a reordering by WMI is not a change.
    products: products
      .map((p) => productState(p, raw.service, collectedAtMs))
      .sort((a, b) => Number(b.primary) - Number(a.primary) || a.name.localeCompare(b.name) || a.activationId.localeCompare(b.activationId)),
    collectedAt: new Date(collectedAtMs).toISOString(),
  };
  const kms = kmsServiceOf(products, raw.service);
  if (kms) snapshot.kmsService = kms;
  return snapshot;
}

/**
 * Raw records of one log → typed EventRecords, oldest first (Get-WinEvent lists newest first). A record the shared
 * parsers cannot read is kept as an `unparsed` record with the reason, never dropped.
 */
export function normaliseEvents(records: ReadonlyArray<RawEventRecord>): EventRecord[] {
  return [...records].sort((a, b) => a.RecordId - b.RecordId).map((r) => toEventRecordOrUnparsed(r, r.TimeCreated));
}
