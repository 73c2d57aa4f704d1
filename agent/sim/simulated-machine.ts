/**
 * One simulated Windows machine: its licensing state, the KMS client (or host) behaviour it runs on the scheduler, the
 * event logs it writes, and reads in exactly the raw shapes the `cim` source gets from PowerShell.
 */
import {
  KMS_DEFAULT_PORT,
  KMS_DNS_REPUBLISH_HOURS,
  KMS_RENEWAL_INTERVAL_MINUTES,
  KMS_RETRY_INTERVAL_MINUTES,
  MS,
  OFFICE_APPLICATION_ID,
  OFFICE_KMS_THRESHOLD,
  REARMS_AFTER_KMS_ACTIVATION,
  UINT32_SENTINEL,
  WINDOWS_APPLICATION_ID,
  thresholdFor,
} from '../../shared/kms-rules.js';
import type { LicenseStatusValue } from '../../shared/license-status.js';
import type { Cancel, Scheduler } from '../../shared/scheduling.js';
import type { OsKind } from '../../shared/windows-product.js';
import {
  LOG_APPLICATION,
  LOG_KMS,
  PROVIDER_SLC,
  PROVIDER_SPP,
  type RawEventRecord,
  type RawOperatingSystem,
  type RawSoftwareLicensingProduct,
  type RawSoftwareLicensingService,
} from '../../shared/wmi-shapes.js';
import { EventLog, type RefTable } from './event-log.js';
import { type AdActivationRecord, type ClientIdentity, EVENT, FLAG_NOT_ENOUGH_COUNT, HR } from './event-records.js';
import { KmsHostService, MAX_COUNT } from './kms-host-service.js';
import { type LicenceReading, type LicenceTerm, kmsTermFrom, kmsValidUntil, ootTermFrom, readTerm, remainingMinutesAt, statusAt } from './licence-term.js';
import { OFFICE_OOB_GRACE_DAYS, OFFICE_REARMS, type OfficeClientSku, type OfficeHostProduct } from './office-products.js';
import { type KeyChannel, type OsProfile, activationIdOf, channelToken, productKeyChannelOf } from './os-profile.js';
import type { Prng } from './prng.js';

const RETRY_MS = KMS_RETRY_INTERVAL_MINUTES * MS.MINUTE;
const RENEWAL_MS = KMS_RENEWAL_INTERVAL_MINUTES * MS.MINUTE;
const REPUBLISH_MS = KMS_DNS_REPUBLISH_HOURS * MS.HOUR;
/** Win32 FILETIME zero, which Windows reports as EvaluationEndDate when there is no evaluation end. */
const NO_EVALUATION_END = '1601-01-01T00:00:00.000Z';

/** An Active Directory activation object (ADBA): activates the Win8+ GVLK products of its application in its domain. */
export interface ActivationObject {
  /** The object's name (ADActivationObjectName), e.g. `VA-Win-2025`. */
  name: string;
  /** Its distinguished name (ADActivationObjectDN). */
  dn: string;
  application: 'windows' | 'office';
}

/** What a machine needs from the simulated world around it: time, randomness, DNS and the network to KMS hosts. */
export interface MachineWorld {
  readonly scheduler: Scheduler;
  readonly prng: Prng;
  /** SRV targets of `_vlmcs._tcp.<domain>` with their ports; empty when there is no record. */
  srvLookup(domain: string): ReadonlyArray<{ host: string; port: number }>;
  /** Registers (or refreshes) a host's SRV record; returns 0 or the DNS error. */
  srvRegister(domain: string, host: string, port: number): number;
  /** The machine answering to this name, if any. */
  machineNamed(fqdn: string): SimulatedMachine | undefined;
  /** The AD activation object of this application in the machine's domain, if the forest has one. */
  activationObjectFor(domain: string, application: 'windows' | 'office'): ActivationObject | undefined;
  /** Called once per event record written anywhere (for the daily summary). */
  eventWritten(): void;
  /** Numbers the strings and identities event records refer to. */
  readonly refs: RefTable;
  readonly logCapacity: { application: number; kms: number };
  /** The RefTable number of the 8198 command line. */
  readonly embeddingRef: number;
  /** The RefTable number of a host name no machine answers to (a stale /skms). */
  nameRef(fqdn: string): number;
}

/** How a machine is built. */
export interface MachineInit {
  machineId: string;
  hostname: string;
  group: string;
  profile: OsProfile;
  channel: KeyChannel;
  cmid: string;
  rearms: number;
  vm: boolean;
  /** /skms: a configured KMS host (`name` or `name:port`) for Windows; null to discover through DNS. */
  kmsMachine: string | null;
  partialProductKey: string;
  productKeyId: string;
  /** MAK: activate with Microsoft right after install (false leaves it in initial grace, e.g. an isolated lab). */
  makAutoActivate: boolean;
  /** Delay from install to the first activation attempt. */
  firstAttemptDelayMs: number;
  /** A volume Office KMS client installed next to Windows (Win8+ profiles only). */
  office?: OfficeClientSku | null;
  /** The Office KMS host product installed: the machine keeps an Office count of its own (Win8+ profiles only). */
  officeHost?: OfficeHostProduct | null;
  /** False for a machine nobody runs an agent on (a host that belongs to another team). Default true. */
  runsAgent?: boolean;
}

/** The outcome of one request to one host, from the client's side. */
const FAILED = 0;
const NOT_ACTIVATED = 1;
const ACTIVATED = 2;
type TryResult = typeof FAILED | typeof NOT_ACTIVATED | typeof ACTIVATED;

/** VLActivationType values (Win8+): how the product was last volume-activated. */
const VL_TYPE_NONE = 0;
const VL_TYPE_AD = 1;
const VL_TYPE_KMS = 2;

/** One product this machine activates as a volume client (Windows, or Office), with its own term and schedule. */
interface ClientProduct {
  readonly application: 'windows' | 'office';
  readonly activationId: string;
  identity: ClientIdentity;
  identityRef: number;
  term: LicenceTerm;
  attemptTimer: Cancel | null;
  attemptFn: () => void;
  /** The failure of the activation attempt under way (0 while none). */
  failure: number;
  discovered: { host: string; port: number } | null;
  hostPidSeen: string | null;
  lastRequestAtMs: number | null;
  lastActivationAtMs: number | null;
  vlActivationType: number;
  adObject: ActivationObject | null;
  /** RefTable number of this product's 12308 record for `adObject`. */
  adRef: number;
}

/** A KMS host's service faults: stopped (sppsvc not running), or running but not listening (failed to initialize). */
export type KmsServiceFault = 'none' | 'stopped' | 'not-listening';

export class SimulatedMachine {
  readonly machineId: string;
  readonly hostname: string;
  readonly group: string;
  readonly profile: OsProfile;
  readonly osKind: OsKind;
  readonly channel: KeyChannel;
  readonly vm: boolean;
  /** The DNS domain (the FQDN without its first label): where a client looks for SRV records, where a host publishes. */
  readonly domain: string;
  readonly installedAtMs: number;
  readonly activationId: string;
  readonly partialProductKey: string;
  readonly productKeyId: string;
  /** False for a machine nobody runs an agent on: the fleet runner leaves it out, its clients still name it. */
  readonly runsAgent: boolean;
  /** The volume Office KMS client installed, if any. */
  readonly office: OfficeClientSku | null;
  /** The Office KMS host product installed, if any. */
  readonly officeHost: OfficeHostProduct | null;

  #world: MachineWorld;
  #cmid: string;
  readonly hostnameRef: number;
  #domainRef: number;
  #rearms: number;
  #officeRearms = OFFICE_REARMS;
  /** The Windows product (its term is the machine's licence), and the Office one when installed. */
  #win: ClientProduct;
  #off: ClientProduct | null;
  #kmsMachine: { host: string; port: number } | null;
  #skewMs = 0;
  #retired = false;
  readonly #application: EventLog;
  readonly #kmsLog: EventLog | null;
  /** The Windows KMS host service (a CSVLK installed), and the Office one (the Office host product installed). */
  readonly #service: KmsHostService | null;
  readonly #officeService: KmsHostService | null;
  #down = false;
  #portBlocked = false;
  #serviceFault: KmsServiceFault = 'none';
  #publishTimer: Cancel | null = null;

  constructor(init: MachineInit, world: MachineWorld) {
    this.#world = world;
    this.machineId = init.machineId;
    this.hostname = init.hostname.toLowerCase();
    this.group = init.group;
    this.profile = init.profile;
    this.osKind = init.profile.kind;
    this.channel = init.channel;
    this.vm = init.vm;
    this.runsAgent = init.runsAgent ?? true;
    this.domain = this.hostname.includes('.') ? this.hostname.slice(this.hostname.indexOf('.') + 1) : '';
    this.installedAtMs = world.scheduler.now();
    this.activationId = activationIdOf(init.channel, init.profile);
    this.partialProductKey = init.partialProductKey;
    this.productKeyId = init.productKeyId;
    const modern = init.profile.generation === 'modern';
    if (!modern && (init.office || init.officeHost)) {
      throw new Error(`${this.hostname}: volume Office 2019+ licenses through Windows on Windows 10 / Server 2016 and later only (profile ${init.profile.name})`);
    }
    this.office = init.office ?? null;
    this.officeHost = init.officeHost ?? null;
    this.#cmid = init.cmid;
    this.#rearms = init.rearms;
    this.#kmsMachine = init.kmsMachine ? parseHostPort(init.kmsMachine) : null;
    this.hostnameRef = world.refs.add(this.hostname);
    this.#domainRef = world.refs.add(this.domain);
    const provider = init.profile.generation === 'vista' ? PROVIDER_SLC : PROVIDER_SPP;
    this.#application = new EventLog(LOG_APPLICATION, provider, world.logCapacity.application, world.refs);
    const isWindowsHost = init.channel === 'kms-host';
    const isHost = isWindowsHost || this.officeHost !== null;
    // The agreed layout gives 12290 the Security-SPP provider on every generation.
    this.#kmsLog = isHost ? new EventLog(LOG_KMS, PROVIDER_SPP, world.logCapacity.kms, world.refs) : null;
    this.#service = isWindowsHost ? new KmsHostService(KMS_DEFAULT_PORT) : null;
    this.#officeService = this.officeHost ? new KmsHostService(KMS_DEFAULT_PORT) : null;
    // Every install starts in its initial grace (reference 7); a CSVLK host is activated with Microsoft at setup.
    this.#win = this.#clientProduct(
      'windows',
      this.activationId,
      thresholdFor(this.osKind),
      isWindowsHost ? { phase: 'permanent' } : { phase: 'oob', endsAtMs: this.installedAtMs + init.profile.oobGraceDays * MS.DAY },
    );
    this.#off = this.office
      ? this.#clientProduct('office', this.office.activationId, OFFICE_KMS_THRESHOLD, { phase: 'oob', endsAtMs: this.installedAtMs + OFFICE_OOB_GRACE_DAYS * MS.DAY })
      : null;

    if (isHost) this.#startService();
    if (init.channel === 'kms-client') {
      this.#scheduleAttempt(this.#win, this.installedAtMs + init.firstAttemptDelayMs);
    } else if (init.channel === 'mak' && init.makAutoActivate) {
      // MAK: one-time activation with Microsoft, valid indefinitely (reference 7).
      world.scheduler.at(this.installedAtMs + init.firstAttemptDelayMs, () => {
        if (!this.#retired) this.#win.term = { phase: 'permanent' };
      });
    }
    // Office tries a little after Windows, on its own schedule.
    if (this.#off) this.#scheduleAttempt(this.#off, this.installedAtMs + init.firstAttemptDelayMs + MS.MINUTE * 3);
  }

  // ---- what the agent reads ----

  /** The client machine id this install sends to KMS hosts (changes on rearm / sysprep). */
  get cmid(): string {
    return this.#cmid;
  }

  /** A KMS host for Windows, for Office, or both. */
  get isKmsHost(): boolean {
    return this.#service !== null || this.#officeService !== null;
  }

  /** A KMS host for Windows (a CSVLK installed). */
  get isWindowsKmsHost(): boolean {
    return this.#service !== null;
  }

  /** A KMS host for Office (the Office host product installed). */
  get isOfficeKmsHost(): boolean {
    return this.#officeService !== null;
  }

  get retired(): boolean {
    return this.#retired;
  }

  get rearmsRemaining(): number {
    return this.#rearms;
  }

  get clockSkewMs(): number {
    return this.#skewMs;
  }

  /** When a KMS host last answered this client's Windows product with a count (the host counted it in then). */
  get lastRequestAtMs(): number | null {
    return this.#win.lastRequestAtMs;
  }

  /** When this client last activated or renewed Windows through KMS or AD. */
  get lastActivationAtMs(): number | null {
    return this.#win.lastActivationAtMs;
  }

  /** How Windows was last volume-activated: 0 not yet, 1 Active Directory, 2 KMS (Win8+ VLActivationType). */
  get vlActivationType(): number {
    return this.#win.vlActivationType;
  }

  /** The Windows product's state now. */
  licence(): LicenceReading {
    return readTerm(this.#win.term, this.#world.scheduler.now());
  }

  /** The LicenseStatus of the primary Windows product now. */
  licenseStatus(): LicenseStatusValue {
    return statusAt(this.#win.term, this.#world.scheduler.now());
  }

  /** The Office product's state now, or null without Office. */
  officeLicence(): LicenceReading | null {
    return this.#off ? readTerm(this.#off.term, this.#world.scheduler.now()) : null;
  }

  /** The LicenseStatus of the Office product now, or null without Office. */
  officeLicenseStatus(): LicenseStatusValue | null {
    return this.#off ? statusAt(this.#off.term, this.#world.scheduler.now()) : null;
  }

  /** A KMS host's current count of one application now (null before its first request, or without that host product). */
  currentCount(application: 'windows' | 'office' = 'windows'): number | null {
    const s = application === 'office' ? this.#officeService : this.#service;
    return s ? s.currentCount(this.#world.scheduler.now()) : null;
  }

  /** The host's client-id window of one application now: every CMID counted, with when it was last seen. */
  kmsWindow(application: 'windows' | 'office' = 'windows'): Array<{ cmid: string; lastSeenMs: number }> {
    const s = application === 'office' ? this.#officeService : this.#service;
    return s ? s.windowEntries(this.#world.scheduler.now()) : [];
  }

  /** `Get-CimInstance SoftwareLicensingProduct` filtered to installed keys. */
  readProducts(): RawSoftwareLicensingProduct[] {
    const now = this.#world.scheduler.now();
    const r = readTerm(this.#win.term, now);
    const p: RawSoftwareLicensingProduct = {
      ID: this.activationId,
      Name: this.profile.productName,
      Description: `${this.profile.descriptionPrefix}, ${channelToken(this.channel, this.profile)} channel`,
      ApplicationID: WINDOWS_APPLICATION_ID,
      PartialProductKey: this.partialProductKey,
      LicenseStatus: r.status,
      LicenseStatusReason: r.reason,
      GracePeriodRemaining: r.remainingMinutes,
      LicenseIsAddon: false,
      ProductKeyID: this.productKeyId,
      EvaluationEndDate: NO_EVALUATION_END,
    };
    if (this.profile.generation === 'vista') return [p];
    // Windows 7 carries the KMS client settings and the host counters on the product too (reference 1.1).
    Object.assign(p, this.#kmsProperties(now, this.#service, thresholdFor(this.osKind)), this.#clientProperties(this.#win));
    if (this.profile.generation !== 'modern') return [p];
    const out = [Object.assign(p, this.#win8Properties(this.#win, this.channel), { RemainingSkuReArmCount: this.#rearms })];
    if (this.#off && this.office) {
      const o = readTerm(this.#off.term, now);
      out.push({
        ID: this.office.activationId,
        Name: this.office.licenceName,
        Description: `Office ${String(this.office.release).slice(2)}, VOLUME_KMSCLIENT channel`,
        ApplicationID: OFFICE_APPLICATION_ID,
        PartialProductKey: this.office.gvlkTail,
        LicenseStatus: o.status,
        LicenseStatusReason: o.reason,
        GracePeriodRemaining: o.remainingMinutes,
        LicenseIsAddon: false,
        ProductKeyID: this.productKeyId.replace(/^\d{5}-\d{5}/, '03612-04304'),
        EvaluationEndDate: NO_EVALUATION_END,
        ...this.#kmsProperties(now, null, OFFICE_KMS_THRESHOLD),
        ...this.#clientProperties(this.#off),
        // Office's /skms is its own (per product); this simulator leaves Office to DNS discovery.
        KeyManagementServiceMachine: null,
        KeyManagementServicePort: 0,
        ...this.#win8Properties(this.#off, 'kms-client'),
        RemainingSkuReArmCount: this.#officeRearms,
      });
    }
    if (this.officeHost) {
      out.push({
        ID: this.officeHost.activationId,
        Name: this.officeHost.name,
        Description: this.officeHost.description,
        ApplicationID: OFFICE_APPLICATION_ID,
        PartialProductKey: this.officeHost.partialProductKey,
        LicenseStatus: 1,
        LicenseStatusReason: HR.OK,
        GracePeriodRemaining: 0,
        LicenseIsAddon: false,
        ProductKeyID: this.productKeyId,
        EvaluationEndDate: NO_EVALUATION_END,
        ...this.#kmsProperties(now, this.#officeService, OFFICE_KMS_THRESHOLD),
        KeyManagementServiceMachine: null,
        KeyManagementServicePort: 0,
        VLActivationInterval: KMS_RETRY_INTERVAL_MINUTES,
        VLRenewalInterval: KMS_RENEWAL_INTERVAL_MINUTES,
        ProductKeyChannel: productKeyChannelOf('kms-host'),
        VLActivationType: VL_TYPE_NONE,
        VLActivationTypeEnabled: 0,
        ADActivationObjectName: null,
        ADActivationObjectDN: null,
        RemainingSkuReArmCount: OFFICE_REARMS,
      });
    }
    return out;
  }

  /** `Get-CimInstance SoftwareLicensingService`. */
  readService(): RawSoftwareLicensingService {
    const now = this.#world.scheduler.now();
    const host = this.isKmsHost;
    const s: RawSoftwareLicensingService = {
      Version: this.profile.serviceVersion,
      ClientMachineID: this.#cmid,
      ...this.#kmsProperties(now, this.#service, thresholdFor(this.osKind)),
      IsKeyManagementServiceMachine: host ? 1 : 0,
      KeyManagementServiceListeningPort: host ? 0 : null,
      KeyManagementServiceDnsPublishing: host ? this.#hostService()!.dnsPublishing : null,
      KeyManagementServiceLowPriority: host ? this.#hostService()!.lowPriority : null,
      VLActivationInterval: KMS_RETRY_INTERVAL_MINUTES,
      VLRenewalInterval: KMS_RENEWAL_INTERVAL_MINUTES,
      RemainingWindowsReArmCount: this.#rearms,
    };
    if (this.profile.generation !== 'modern') return s;
    // Win8+: /skms is set on the Windows product, not service-wide; the agent's two health columns come along.
    s.KeyManagementServiceMachine = null;
    s.KeyManagementServicePort = 0;
    // An Office-only host has no Windows count: the service's top-level counters say so.
    if (host && !this.#service) s.RequiredClientCount = UINT32_SENTINEL;
    s.VawatchServiceRunning = host ? this.#serviceFault !== 'stopped' : null;
    s.VawatchKmsListening = host ? this.#serviceFault === 'none' : null;
    return s;
  }

  /** `Get-CimInstance Win32_OperatingSystem`. */
  readOs(): RawOperatingSystem {
    return {
      Caption: this.profile.caption,
      Version: this.profile.version,
      ProductType: this.osKind === 'client' ? 1 : 3,
      CSName: (this.hostname.split('.')[0] ?? this.hostname).toUpperCase(),
    };
  }

  /** Whether the machine has this event log (the `Key Management Service` log exists only on KMS hosts). */
  hasLog(name: string): boolean {
    return name === LOG_APPLICATION || (name === LOG_KMS && this.#kmsLog !== null);
  }

  /** `Get-WinEvent` of one log: records after `afterRecordId`, newest first. Unknown log → empty. */
  readEvents(logName: string, afterRecordId = 0, limit?: number): RawEventRecord[] {
    const log = this.#log(logName);
    return log ? log.read(afterRecordId, limit) : [];
  }

  /** The newest RecordId of a log (0 when empty or absent). */
  lastRecordId(logName: string): number {
    return this.#log(logName)?.lastRecordId ?? 0;
  }

  // ---- faults and admin actions (the Simulation calls these) ----

  /** The machine is decommissioned: it stops making requests (and a host stops answering). */
  retire(): void {
    this.#retired = true;
    for (const prod of this.#products()) {
      prod.attemptTimer?.();
      prod.attemptTimer = null;
    }
    this.#publishTimer?.();
    this.#publishTimer = null;
  }

  setClockSkew(ms: number): void {
    this.#skewMs = ms;
  }

  /**
   * A significant hardware change: out of tolerance, 30 days of OOT grace (reference 7). A KMS client re-activates at
   * its next attempt (within the 2-hour retry); a MAK machine needs `activateMak`.
   */
  hardwareChange(): void {
    if (this.#service) return;
    const now = this.#world.scheduler.now();
    this.#win.term = ootTermFrom(now);
    if (this.channel === 'kms-client' && !this.#retired) this.#scheduleAttempt(this.#win, now + RETRY_MS);
  }

  /**
   * Rearm (or sysprep /generalize): a new CMID, the initial grace again, one rearm spent. None left → refused with
   * 0xC004D307, nothing changes. Returns the HRESULT.
   */
  rearm(newCmid: string): number {
    if (this.#service) return HR.REARM_LIMIT;
    if (this.#rearms <= 0) return HR.REARM_LIMIT;
    const now = this.#world.scheduler.now();
    this.#rearms--;
    this.#cmid = newCmid;
    // The CMID is the machine's: every product sends the new one.
    for (const prod of this.#products()) {
      prod.identity = { ...prod.identity, cmid: newCmid };
      prod.identityRef = this.#world.refs.add(prod.identity);
    }
    this.#win.term = { phase: 'oob', endsAtMs: now + this.profile.oobGraceDays * MS.DAY };
    this.#win.vlActivationType = VL_TYPE_NONE;
    this.#win.adObject = null;
    if (this.channel === 'kms-client' && !this.#retired) this.#scheduleAttempt(this.#win, now + MS.MINUTE * 5);
    return HR.OK;
  }

  /** An admin activates a MAK machine (online or by phone): permanent again. */
  activateMak(): boolean {
    if (this.channel !== 'mak') return false;
    this.#win.term = { phase: 'permanent' };
    return true;
  }

  /** Points the client's Windows at a KMS host (/skms), or back to DNS discovery with null (/ckms). */
  setKmsMachine(hostPort: string | null): void {
    this.#kmsMachine = hostPort ? parseHostPort(hostPort) : null;
  }

  /** Host: the machine is off (down) or back on; coming back starts the service, which publishes to DNS. */
  setDown(down: boolean): void {
    if (!this.isKmsHost || this.#down === down) return;
    this.#down = down;
    if (down) {
      this.#publishTimer?.();
      this.#publishTimer = null;
    } else if (!this.#retired) {
      this.#startService();
    }
  }

  get down(): boolean {
    return this.#down;
  }

  /** Host: TCP 1688 blocked by a firewall (the host runs, but no request reaches it). */
  setPortBlocked(blocked: boolean): void {
    this.#portBlocked = blocked;
  }

  get portBlocked(): boolean {
    return this.#portBlocked;
  }

  /** Host: DNS auto-publishing on or off (`slmgr /cdns`, `/sdns`). */
  setDnsPublishing(enabled: boolean): void {
    if (this.#service) this.#service.dnsPublishing = enabled;
    if (this.#officeService) this.#officeService.dnsPublishing = enabled;
  }

  /** Host: the KMS service's fault now. */
  get serviceFault(): KmsServiceFault {
    return this.#serviceFault;
  }

  /**
   * Host: the licensing service stops (`stopped`), fails to initialize the KMS (`not-listening`, logging 12291 with
   * `hresult`), or runs normally again (`none`, which republishes to DNS as a service start does). Either fault makes
   * clients fail with 0x800706BA (nothing listens on 1688).
   */
  setServiceFault(fault: KmsServiceFault, hresult: number = HR.ACCESS_DENIED): void {
    if (!this.isKmsHost) return;
    const was = this.#serviceFault;
    this.#serviceFault = fault;
    if (fault === 'not-listening' && was !== 'not-listening') this.#write(this.#application, EVENT.KMS_INIT_FAILURE, hresult);
    if (fault === 'none' && was !== 'none' && !this.#down && !this.#retired) this.#startService();
  }

  /** Host: the KMS service fails to initialize its renewal timer (12292); it keeps answering. */
  failRenewalTimer(hresult: number = HR.ACCESS_DENIED): void {
    if (this.isKmsHost) this.#write(this.#application, EVENT.KMS_RENEWAL_TIMER_FAILURE, hresult);
  }

  // ---- the host side ----

  /**
   * Host: a request arrives over the network. Returns the current count the host answers with, or a failure HRESULT
   * (all of which are above any count): 0xC004F074 down, 0xC004F039 port blocked, 0x800706BA service stopped or not
   * listening, 0xC004F042 no host product for the client's application (or too old an Office host key), 0xC004F06C
   * refused for clock skew. Windows and Office keep separate counts.
   */
  receiveKmsRequest(
    client: ClientIdentity,
    clientRef: number,
    clientTimeMs: number,
    licenseStatus: number,
    minutesToExpiry: number,
  ): number {
    if (!this.isKmsHost || this.#down || this.#retired) return HR.NO_KMS_CONTACTED;
    if (this.#portBlocked) return HR.KMS_NOT_ANSWERING;
    if (this.#serviceFault !== 'none') return HR.RPC_UNAVAILABLE;
    const office = client.application === 'office';
    const service = office ? this.#officeService : this.#service;
    if (!service || (office && (client.officeRelease ?? 0) > (this.officeHost?.release ?? 0))) return HR.PRODUCT_NOT_SUPPORTED;
    const now = this.#world.scheduler.now();
    const r = service.process(client, clientTimeMs, licenseStatus, now, now + this.#skewMs);
    // 12290 for every request the host processes, refusals included (reference 2.2).
    this.#write(
      this.#kmsLog!,
      EVENT.KMS_REQUEST_PROCESSED,
      r > MAX_COUNT ? r : HR.OK,
      licenseStatus,
      minutesToExpiry,
      clientTimeMs,
      clientRef,
    );
    return r;
  }

  /** The extended PID a host hands its clients (KeyManagementServiceProductKeyID on the client). */
  get hostPid(): string {
    return this.productKeyId;
  }

  #hostService(): KmsHostService | null {
    return this.#service ?? this.#officeService;
  }

  #startService(): void {
    this.#publishTimer?.();
    this.#publishDns();
    this.#publishTimer = this.#world.scheduler.every(REPUBLISH_MS, () => this.#publishDns());
  }

  // The host publishes its SRV record when the service starts and re-registers every 24 h (reference 5 / 7).
  #publishDns(): void {
    const service = this.#hostService();
    if (!service || this.#down || this.#retired || !service.dnsPublishing || this.#serviceFault === 'stopped') return;
    const hr = this.#world.srvRegister(this.domain, this.hostname, service.listeningPort);
    if (hr === HR.OK) this.#write(this.#application, EVENT.DNS_PUBLISH_SUCCEEDED, 0, 0, 0, 0, this.#domainRef);
    else this.#write(this.#application, EVENT.DNS_PUBLISH_FAILED, hr, 0, 0, 0, this.#domainRef);
  }

  // ---- the volume client side (KMS, or AD-based activation on Win8+) ----

  #clientProduct(application: 'windows' | 'office', activationId: string, nPolicy: number, term: LicenceTerm): ClientProduct {
    const identity: ClientIdentity = {
      fqdn: this.hostname,
      cmid: this.#cmid,
      activationId,
      vm: this.vm,
      nPolicy,
      application,
      ...(application === 'office' && this.office ? { officeRelease: this.office.release } : {}),
    };
    const prod: ClientProduct = {
      application,
      activationId,
      identity,
      identityRef: this.#world.refs.add(identity),
      term,
      attemptTimer: null,
      attemptFn: () => {},
      failure: 0,
      discovered: null,
      hostPidSeen: null,
      lastRequestAtMs: null,
      lastActivationAtMs: null,
      vlActivationType: VL_TYPE_NONE,
      adObject: null,
      adRef: 0,
    };
    prod.attemptFn = () => this.#attempt(prod);
    return prod;
  }

  #products(): ClientProduct[] {
    return this.#off ? [this.#win, this.#off] : [this.#win];
  }

  #scheduleAttempt(prod: ClientProduct, atMs: number): void {
    prod.attemptTimer?.();
    prod.attemptTimer = this.#world.scheduler.at(atMs, prod.attemptFn);
  }

  #attempt(prod: ClientProduct): void {
    prod.attemptTimer = null;
    if (this.#retired) return;
    const now = this.#world.scheduler.now();
    const activated = this.#activateOnce(prod, now);
    // Renew every 7 days once activated; retry every 2 hours while not (reference 7), in every state.
    this.#scheduleAttempt(prod, now + (activated ? RENEWAL_MS : RETRY_MS));
  }

  /** One activation or renewal: AD first (Win8+, when the forest has an object), else KMS as before. */
  #activateOnce(prod: ClientProduct, now: number): boolean {
    if (this.profile.generation === 'modern') {
      const ao = this.#world.activationObjectFor(this.domain, prod.application);
      if (ao) {
        this.#activatedByAd(prod, ao, now);
        return true;
      }
    }
    return this.#activateByKms(prod, now);
  }

  /** ADBA: the domain-joined client reads the activation object and activates itself; no KMS host, no count. */
  #activatedByAd(prod: ClientProduct, ao: ActivationObject, now: number): void {
    if (prod.adObject !== ao || prod.adRef === 0) {
      const rec: AdActivationRecord = { activationId: prod.activationId, objectName: ao.name, objectDn: ao.dn };
      prod.adRef = this.#world.refs.add(rec);
    }
    this.#renew(prod, now);
    prod.vlActivationType = VL_TYPE_AD;
    prod.adObject = ao;
    prod.hostPidSeen = null;
    this.#write(this.#application, EVENT.AD_ACTIVATION, 0, 0, 0, 0, prod.adRef);
  }

  /** The configured host (Windows' /skms), else the cached one, else DNS in random order. */
  #activateByKms(prod: ClientProduct, now: number): boolean {
    prod.failure = 0;
    const configured = prod.application === 'windows' ? this.#kmsMachine : null;
    if (configured) {
      const r = this.#tryHost(prod, configured.host, configured.port, false, now);
      if (r !== FAILED) return r === ACTIVATED;
    } else {
      const cached = prod.discovered;
      if (cached) {
        const r = this.#tryHost(prod, cached.host, cached.port, true, now);
        if (r !== FAILED) return r === ACTIVATED;
      }
      const records = this.#world.srvLookup(this.domain).filter((t) => t.host !== cached?.host);
      if (records.length === 0 && prod.failure === 0) prod.failure = HR.DNS_NAME_DOES_NOT_EXIST;
      for (const t of this.#world.prng.shuffled(records)) {
        const r = this.#tryHost(prod, t.host, t.port, true, now);
        if (r !== FAILED) return r === ACTIVATED;
      }
    }
    // Every host failed (or none was found): slui logs 8198 with the error (a mix of causes is 0xC004F074).
    this.#write(this.#application, EVENT.ACTIVATION_FAILED, prod.failure, 0, 0, 0, this.#world.embeddingRef);
    return false;
  }

  #tryHost(prod: ClientProduct, host: string, port: number, fromDns: boolean, now: number): TryResult {
    const target = this.#world.machineNamed(host);
    const r = this.#request(prod, target, host, port, now);
    if (r > MAX_COUNT) {
      // One cause is reported as itself, a mix as 0xC004F074 "no KMS could be contacted".
      prod.failure = prod.failure === 0 || prod.failure === r ? r : HR.NO_KMS_CONTACTED;
      return FAILED;
    }
    // Host caching: keep the host that answered.
    if (fromDns && prod.discovered?.host !== host) prod.discovered = { host, port };
    return this.#onAnswer(prod, r, now, target) ? ACTIVATED : NOT_ACTIVATED;
  }

  /** Sends one request and writes its 12288; returns the count the host answered, or the failure HRESULT. */
  #request(prod: ClientProduct, target: SimulatedMachine | undefined, host: string, port: number, now: number): number {
    const term = prod.term;
    const status = statusAt(term, now);
    const minutes = remainingMinutesAt(term, now);
    const r = target
      ? target.receiveKmsRequest(prod.identity, prod.identityRef, now + this.#skewMs, status, minutes)
      : HR.NO_KMS_CONTACTED;
    const hostRef = target ? target.hostnameRef : this.#world.nameRef(host);
    this.#write(this.#application, EVENT.KMS_REQUEST_SENT, r > MAX_COUNT ? r : HR.OK, status, minutes, port, prod.identityRef, hostRef);
    if (r <= MAX_COUNT) prod.lastRequestAtMs = now;
    return r;
  }

  /** The client compares the count with its policy and activates itself if it is met (reference 7). */
  #onAnswer(prod: ClientProduct, count: number, now: number, host: SimulatedMachine | undefined): boolean {
    const activated = count >= prod.identity.nPolicy;
    if (activated) {
      this.#renew(prod, now);
      prod.vlActivationType = VL_TYPE_KMS;
      prod.adObject = null;
      prod.hostPidSeen = host?.hostPid ?? null;
    }
    this.#write(
      this.#application,
      EVENT.KMS_RESPONSE_PROCESSED,
      HR.OK,
      activated ? 0 : FLAG_NOT_ENOUGH_COUNT,
      activated ? 1 : 0,
      count,
    );
    return activated;
  }

  /** A successful activation or renewal: 180 days from now (reference 7), in place as renewals are frequent. */
  #renew(prod: ClientProduct, now: number): void {
    if (prod.term.phase === 'kms') prod.term.validUntilMs = kmsValidUntil(now);
    else prod.term = kmsTermFrom(now);
    if (prod.application === 'windows') this.#rearms = Math.max(this.#rearms, REARMS_AFTER_KMS_ACTIVATION);
    prod.lastActivationAtMs = now;
  }

  // ---- helpers ----

  /** The KMS properties both classes carry on Windows 7+, and the service alone carries on Vista. */
  #kmsProperties(now: number, s: KmsHostService | null, clientPolicy: number): Partial<RawSoftwareLicensingService> {
    const count = s ? s.currentCount(now) : null;
    const c = s?.counters;
    const n = (v: number | undefined) => (v === undefined ? UINT32_SENTINEL : v);
    return {
      KeyManagementServiceMachine: this.#kmsMachine?.host ?? null,
      KeyManagementServicePort: this.#kmsMachine?.port ?? 0,
      IsKeyManagementServiceMachine: s ? 1 : 0,
      KeyManagementServiceCurrentCount: count ?? UINT32_SENTINEL,
      // A client reports its own N-policy; a host the largest it has seen (before any: the client-OS threshold, or
      // Office's 5 for the Office host product). A Win8+ machine that is no host of this product reports none.
      RequiredClientCount: s ? s.largestPolicy || (s === this.#officeService ? OFFICE_KMS_THRESHOLD : thresholdFor('client')) : clientPolicy,
      KeyManagementServiceTotalRequests: n(c?.total),
      KeyManagementServiceFailedRequests: n(c?.failed),
      KeyManagementServiceUnlicensedRequests: n(c?.byStatus[0]),
      KeyManagementServiceLicensedRequests: n(c?.byStatus[1]),
      KeyManagementServiceOOBGraceRequests: n(c?.byStatus[2]),
      KeyManagementServiceOOTGraceRequests: n(c?.byStatus[3]),
      KeyManagementServiceNonGenuineGraceRequests: n(c?.byStatus[4]),
      KeyManagementServiceNotificationRequests: n(c?.byStatus[5]),
    };
  }

  /** A volume client product's KMS client settings and what it learnt from the host that answered it. */
  #clientProperties(prod: ClientProduct): Partial<RawSoftwareLicensingProduct> {
    return {
      VLActivationInterval: KMS_RETRY_INTERVAL_MINUTES,
      VLRenewalInterval: KMS_RENEWAL_INTERVAL_MINUTES,
      DiscoveredKeyManagementServiceMachineName: prod.discovered?.host ?? null,
      DiscoveredKeyManagementServiceMachinePort: prod.discovered?.port ?? 0,
      KeyManagementServiceProductKeyID: prod.hostPidSeen,
    };
  }

  /** The Win8+ properties: ProductKeyChannel, how the product was activated and by which AD object. */
  #win8Properties(prod: ClientProduct, channel: KeyChannel): Partial<RawSoftwareLicensingProduct> {
    const ao = prod.vlActivationType === VL_TYPE_AD ? prod.adObject : null;
    return {
      ProductKeyChannel: productKeyChannelOf(channel),
      VLActivationType: prod.vlActivationType,
      VLActivationTypeEnabled: 0,
      ADActivationObjectName: ao?.name ?? null,
      ADActivationObjectDN: ao?.dn ?? null,
    };
  }

  #log(name: string): EventLog | null {
    if (name === LOG_APPLICATION) return this.#application;
    if (name === LOG_KMS) return this.#kmsLog;
    return null;
  }

  #write(log: EventLog, id: number, n1 = 0, n2 = 0, n3 = 0, n4 = 0, a = 0, b = 0): void {
    log.write(id, this.#world.scheduler.now() + this.#skewMs, n1, n2, n3, n4, a, b);
    this.#world.eventWritten();
  }
}

function parseHostPort(s: string): { host: string; port: number } {
  const m = /^(.*?)(?::(\d+))?$/.exec(s.trim());
  const host = (m?.[1] ?? s).toLowerCase();
  const port = m?.[2] ? Number(m[2]) : KMS_DEFAULT_PORT;
  return { host, port };
}
