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
import { type ClientIdentity, EVENT, FLAG_NOT_ENOUGH_COUNT, HR } from './event-records.js';
import { KmsHostService, MAX_COUNT } from './kms-host-service.js';
import { type LicenceReading, type LicenceTerm, kmsTermFrom, kmsValidUntil, ootTermFrom, readTerm, remainingMinutesAt, statusAt } from './licence-term.js';
import { type KeyChannel, type OsProfile, activationIdOf, channelToken } from './os-profile.js';
import type { Prng } from './prng.js';

const RETRY_MS = KMS_RETRY_INTERVAL_MINUTES * MS.MINUTE;
const RENEWAL_MS = KMS_RENEWAL_INTERVAL_MINUTES * MS.MINUTE;
const REPUBLISH_MS = KMS_DNS_REPUBLISH_HOURS * MS.HOUR;
/** Win32 FILETIME zero, which Windows reports as EvaluationEndDate when there is no evaluation end. */
const NO_EVALUATION_END = '1601-01-01T00:00:00.000Z';

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
  /** /skms: a configured KMS host (`name` or `name:port`); null to discover through DNS. */
  kmsMachine: string | null;
  partialProductKey: string;
  productKeyId: string;
  /** MAK: activate with Microsoft right after install (false leaves it in initial grace, e.g. an isolated lab). */
  makAutoActivate: boolean;
  /** Delay from install to the first activation attempt. */
  firstAttemptDelayMs: number;
}

/** The outcome of one request to one host, from the client's side. */
const FAILED = 0;
const NOT_ACTIVATED = 1;
const ACTIVATED = 2;
type TryResult = typeof FAILED | typeof NOT_ACTIVATED | typeof ACTIVATED;

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

  #world: MachineWorld;
  #cmid: string;
  #identity: ClientIdentity;
  /** RefTable numbers of this machine's identity, name and domain, for its event records. */
  #identityRef: number;
  readonly hostnameRef: number;
  #domainRef: number;
  #rearms: number;
  #term: LicenceTerm;
  #kmsMachine: { host: string; port: number } | null;
  #discovered: { host: string; port: number } | null = null;
  #hostPidSeen: string | null = null;
  #skewMs = 0;
  #retired = false;
  #attemptTimer: Cancel | null = null;
  readonly #attemptFn = (): void => this.#attempt();
  /** The failure of the activation attempt under way (0 while none). */
  #failure = 0;
  #lastRequestAtMs: number | null = null;
  #lastActivationAtMs: number | null = null;
  readonly #application: EventLog;
  readonly #kmsLog: EventLog | null;
  readonly #service: KmsHostService | null;
  #down = false;
  #portBlocked = false;
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
    this.domain = this.hostname.includes('.') ? this.hostname.slice(this.hostname.indexOf('.') + 1) : '';
    this.installedAtMs = world.scheduler.now();
    this.activationId = activationIdOf(init.channel, init.profile);
    this.partialProductKey = init.partialProductKey;
    this.productKeyId = init.productKeyId;
    this.#cmid = init.cmid;
    this.#rearms = init.rearms;
    this.#kmsMachine = init.kmsMachine ? parseHostPort(init.kmsMachine) : null;
    this.#identity = this.#identityFor(init.cmid);
    this.#identityRef = world.refs.add(this.#identity);
    this.hostnameRef = world.refs.add(this.hostname);
    this.#domainRef = world.refs.add(this.domain);
    const provider = init.profile.generation === 'vista' ? PROVIDER_SLC : PROVIDER_SPP;
    this.#application = new EventLog(LOG_APPLICATION, provider, world.logCapacity.application, world.refs);
    const isHost = init.channel === 'kms-host';
    // The agreed layout gives 12290 the Security-SPP provider on every generation.
    this.#kmsLog = isHost ? new EventLog(LOG_KMS, PROVIDER_SPP, world.logCapacity.kms, world.refs) : null;
    this.#service = isHost ? new KmsHostService(KMS_DEFAULT_PORT) : null;
    // Every install starts in its initial grace (reference 7); a CSVLK host is activated with Microsoft at setup.
    this.#term = isHost
      ? { phase: 'permanent' }
      : { phase: 'oob', endsAtMs: this.installedAtMs + init.profile.oobGraceDays * MS.DAY };

    if (isHost) {
      this.#startService();
    } else if (init.channel === 'kms-client') {
      this.#scheduleAttempt(this.installedAtMs + init.firstAttemptDelayMs);
    } else if (init.makAutoActivate) {
      // MAK: one-time activation with Microsoft, valid indefinitely (reference 7).
      world.scheduler.at(this.installedAtMs + init.firstAttemptDelayMs, () => {
        if (!this.#retired) this.#term = { phase: 'permanent' };
      });
    }
  }

  // ---- what the agent reads ----

  /** The client machine id this install sends to KMS hosts (changes on rearm / sysprep). */
  get cmid(): string {
    return this.#cmid;
  }

  get isKmsHost(): boolean {
    return this.#service !== null;
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

  /** When a KMS host last answered this client with a count (the host counted it in then). */
  get lastRequestAtMs(): number | null {
    return this.#lastRequestAtMs;
  }

  /** When this client last activated or renewed through KMS. */
  get lastActivationAtMs(): number | null {
    return this.#lastActivationAtMs;
  }

  /** The Windows product's state now. */
  licence(): LicenceReading {
    return readTerm(this.#term, this.#world.scheduler.now());
  }

  /** The LicenseStatus of the primary Windows product now. */
  licenseStatus(): LicenseStatusValue {
    return statusAt(this.#term, this.#world.scheduler.now());
  }

  /** A KMS host's current count now (null before its first request or when this is not a host). */
  currentCount(): number | null {
    return this.#service ? this.#service.currentCount(this.#world.scheduler.now()) : null;
  }

  /** The host's client-id window now: every CMID counted, with when it was last seen. */
  kmsWindow(): Array<{ cmid: string; lastSeenMs: number }> {
    return this.#service ? this.#service.windowEntries(this.#world.scheduler.now()) : [];
  }

  /** `Get-CimInstance SoftwareLicensingProduct` filtered to installed keys. */
  readProducts(): RawSoftwareLicensingProduct[] {
    const now = this.#world.scheduler.now();
    const r = readTerm(this.#term, now);
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
    Object.assign(p, this.#kmsProperties(now), {
      VLActivationInterval: KMS_RETRY_INTERVAL_MINUTES,
      VLRenewalInterval: KMS_RENEWAL_INTERVAL_MINUTES,
      DiscoveredKeyManagementServiceMachineName: this.#discovered?.host ?? null,
      DiscoveredKeyManagementServiceMachinePort: this.#discovered?.port ?? 0,
      KeyManagementServiceProductKeyID: this.#hostPidSeen,
    });
    return [p];
  }

  /** `Get-CimInstance SoftwareLicensingService`. */
  readService(): RawSoftwareLicensingService {
    const now = this.#world.scheduler.now();
    return {
      Version: this.profile.serviceVersion,
      ClientMachineID: this.#cmid,
      ...this.#kmsProperties(now),
      KeyManagementServiceListeningPort: this.#service ? 0 : null,
      KeyManagementServiceDnsPublishing: this.#service ? this.#service.dnsPublishing : null,
      KeyManagementServiceLowPriority: this.#service ? this.#service.lowPriority : null,
      VLActivationInterval: KMS_RETRY_INTERVAL_MINUTES,
      VLRenewalInterval: KMS_RENEWAL_INTERVAL_MINUTES,
      RemainingWindowsReArmCount: this.#rearms,
    };
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
    this.#attemptTimer?.();
    this.#attemptTimer = null;
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
    this.#term = ootTermFrom(now);
    if (this.channel === 'kms-client' && !this.#retired) this.#scheduleAttempt(now + RETRY_MS);
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
    this.#identity = this.#identityFor(newCmid);
    this.#identityRef = this.#world.refs.add(this.#identity);
    this.#term = { phase: 'oob', endsAtMs: now + this.profile.oobGraceDays * MS.DAY };
    if (this.channel === 'kms-client' && !this.#retired) this.#scheduleAttempt(now + MS.MINUTE * 5);
    return HR.OK;
  }

  /** An admin activates a MAK machine (online or by phone): permanent again. */
  activateMak(): boolean {
    if (this.channel !== 'mak') return false;
    this.#term = { phase: 'permanent' };
    return true;
  }

  /** Points the client at a KMS host (/skms), or back to DNS discovery with null (/ckms). */
  setKmsMachine(hostPort: string | null): void {
    this.#kmsMachine = hostPort ? parseHostPort(hostPort) : null;
  }

  /** Host: the machine is off (down) or back on; coming back starts the service, which publishes to DNS. */
  setDown(down: boolean): void {
    if (!this.#service || this.#down === down) return;
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
  }

  // ---- the host side ----

  /**
   * Host: a request arrives over the network. Returns the current count the host answers with, or a failure HRESULT
   * (all of which are above any count): 0xC004F074 down, 0xC004F039 port blocked, 0xC004F06C refused for clock skew.
   */
  receiveKmsRequest(
    client: ClientIdentity,
    clientRef: number,
    clientTimeMs: number,
    licenseStatus: number,
    minutesToExpiry: number,
  ): number {
    if (!this.#service || this.#down || this.#retired) return HR.NO_KMS_CONTACTED;
    if (this.#portBlocked) return HR.KMS_NOT_ANSWERING;
    const now = this.#world.scheduler.now();
    const r = this.#service.process(client, clientTimeMs, licenseStatus, now, now + this.#skewMs);
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

  #startService(): void {
    this.#publishTimer?.();
    this.#publishDns();
    this.#publishTimer = this.#world.scheduler.every(REPUBLISH_MS, () => this.#publishDns());
  }

  // The host publishes its SRV record when the service starts and re-registers every 24 h (reference 5 / 7).
  #publishDns(): void {
    if (!this.#service || this.#down || this.#retired || !this.#service.dnsPublishing) return;
    const hr = this.#world.srvRegister(this.domain, this.hostname, this.#service.listeningPort);
    if (hr === HR.OK) this.#write(this.#application, EVENT.DNS_PUBLISH_SUCCEEDED, 0, 0, 0, 0, this.#domainRef);
    else this.#write(this.#application, EVENT.DNS_PUBLISH_FAILED, hr, 0, 0, 0, this.#domainRef);
  }

  // ---- the KMS client side ----

  #scheduleAttempt(atMs: number): void {
    this.#attemptTimer?.();
    this.#attemptTimer = this.#world.scheduler.at(atMs, this.#attemptFn);
  }

  #attempt(): void {
    this.#attemptTimer = null;
    if (this.#retired) return;
    const now = this.#world.scheduler.now();
    const activated = this.#activateOnce(now);
    // Renew every 7 days once activated; retry every 2 hours while not (reference 7), in every state.
    this.#scheduleAttempt(now + (activated ? RENEWAL_MS : RETRY_MS));
  }

  /** One activation or renewal: the configured host, else the cached one, else DNS in random order. */
  #activateOnce(now: number): boolean {
    this.#failure = 0;
    const configured = this.#kmsMachine;
    if (configured) {
      const r = this.#tryHost(configured.host, configured.port, false, now);
      if (r !== FAILED) return r === ACTIVATED;
    } else {
      const cached = this.#discovered;
      if (cached) {
        const r = this.#tryHost(cached.host, cached.port, true, now);
        if (r !== FAILED) return r === ACTIVATED;
      }
      const records = this.#world.srvLookup(this.domain).filter((t) => t.host !== cached?.host);
      if (records.length === 0 && this.#failure === 0) this.#failure = HR.DNS_NAME_DOES_NOT_EXIST;
      for (const t of this.#world.prng.shuffled(records)) {
        const r = this.#tryHost(t.host, t.port, true, now);
        if (r !== FAILED) return r === ACTIVATED;
      }
    }
    // Every host failed (or none was found): slui logs 8198 with the error (a mix of causes is 0xC004F074).
    this.#write(this.#application, EVENT.ACTIVATION_FAILED, this.#failure, 0, 0, 0, this.#world.embeddingRef);
    return false;
  }

  #tryHost(host: string, port: number, fromDns: boolean, now: number): TryResult {
    const target = this.#world.machineNamed(host);
    const r = this.#request(target, host, port, now);
    if (r > MAX_COUNT) {
      // One cause is reported as itself, a mix as 0xC004F074 "no KMS could be contacted".
      this.#failure = this.#failure === 0 || this.#failure === r ? r : HR.NO_KMS_CONTACTED;
      return FAILED;
    }
    // Host caching: keep the host that answered.
    if (fromDns && this.#discovered?.host !== host) this.#discovered = { host, port };
    return this.#onAnswer(r, now, target) ? ACTIVATED : NOT_ACTIVATED;
  }

  /** Sends one request and writes its 12288; returns the count the host answered, or the failure HRESULT. */
  #request(target: SimulatedMachine | undefined, host: string, port: number, now: number): number {
    const term = this.#term;
    const status = statusAt(term, now);
    const minutes = remainingMinutesAt(term, now);
    const r = target
      ? target.receiveKmsRequest(this.#identity, this.#identityRef, now + this.#skewMs, status, minutes)
      : HR.NO_KMS_CONTACTED;
    const hostRef = target ? target.hostnameRef : this.#world.nameRef(host);
    this.#write(this.#application, EVENT.KMS_REQUEST_SENT, r > MAX_COUNT ? r : HR.OK, status, minutes, port, this.#identityRef, hostRef);
    if (r <= MAX_COUNT) this.#lastRequestAtMs = now;
    return r;
  }

  /** The client compares the count with its policy and activates itself if it is met (reference 7). */
  #onAnswer(count: number, now: number, host: SimulatedMachine | undefined): boolean {
    const policy = thresholdFor(this.osKind);
    const activated = count >= policy;
    if (activated) {
      // A renewal restarts the 180 days (reference 7); the term is updated in place, as renewals are frequent.
      if (this.#term.phase === 'kms') this.#term.validUntilMs = kmsValidUntil(now);
      else this.#term = kmsTermFrom(now);
      this.#rearms = Math.max(this.#rearms, REARMS_AFTER_KMS_ACTIVATION);
      this.#lastActivationAtMs = now;
      this.#hostPidSeen = host?.hostPid ?? null;
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

  // ---- helpers ----

  /** The KMS properties both classes carry on Windows 7, and the service alone carries on Vista. */
  #kmsProperties(now: number): Partial<RawSoftwareLicensingService> {
    const s = this.#service;
    const count = s ? s.currentCount(now) : null;
    const c = s?.counters;
    const n = (v: number | undefined) => (v === undefined ? UINT32_SENTINEL : v);
    return {
      KeyManagementServiceMachine: this.#kmsMachine?.host ?? null,
      KeyManagementServicePort: this.#kmsMachine?.port ?? 0,
      IsKeyManagementServiceMachine: s ? 1 : 0,
      KeyManagementServiceCurrentCount: count ?? UINT32_SENTINEL,
      // A client reports its own N-policy; a host the largest it has seen (before any, the client-OS threshold).
      RequiredClientCount: s ? s.largestPolicy || thresholdFor('client') : thresholdFor(this.osKind),
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

  #identityFor(cmid: string): ClientIdentity {
    return {
      fqdn: this.hostname,
      cmid,
      activationId: this.activationId,
      vm: this.vm,
      nPolicy: thresholdFor(this.osKind),
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
