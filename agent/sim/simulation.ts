/**
 * A simulated fleet: machines, KMS hosts, DNS and the network between them, all driven by one virtual clock. Every
 * timer goes through the Scheduler interface, so the same model runs stepped in tests or paced to the wall clock.
 */
import { MS } from '../../shared/kms-rules.js';
import { LICENSE_STATUS_VALUES } from '../../shared/license-status.js';
import { VirtualClock } from '../../shared/scheduling.js';
import type { OsKind } from '../../shared/windows-product.js';
import { DEFAULT_LOG_CAPACITY, RefTable } from './event-log.js';
import { HR } from './event-records.js';
import { type KeyChannel, OS_PROFILES, type OsProfileName } from './os-profile.js';
import { Prng } from './prng.js';
import { type ActivationObject, type KmsServiceFault, type MachineWorld, SimulatedMachine } from './simulated-machine.js';
import { type OfficeClientName, officeClientSku, officeHostProduct } from './office-products.js';

/** 2026-01-05T00:00:00Z, a Monday: the start of every simulation that is not given one, so tests see fixed dates. */
export const DEFAULT_START_MS = Date.UTC(2026, 0, 5);
/** The seed used when none is given. */
export const DEFAULT_SEED = 1;

export interface SimulationOptions {
  /** Where the simulation starts; default the clock's time when one is given, else DEFAULT_START_MS. */
  startMs?: number;
  /**
   * The clock to schedule on, e.g. one the agents under test share; default a new VirtualClock at `startMs`. Its time
   * must not be past `startMs`: the simulation moves it forward to `startMs`.
   */
  clock?: VirtualClock;
  seed?: number;
  /** Event log sizes in records (a full log overwrites its oldest records). */
  logCapacity?: Partial<{ application: number; kms: number }>;
  /** The DNS domain `addClient` / `addServer` / `addKmsHost` use when given no hostname. */
  defaultDomain?: string;
}

/** What `addMachine` builds. Everything but `hostname` has a default. */
export interface MachineSpec {
  /** The FQDN; its domain is where the machine looks for (or, as a host, publishes) `_vlmcs._tcp`. */
  hostname: string;
  /** Site / OU label. Default `default`. */
  group?: string;
  /** Client or server OS; picks the default profile. Default client. */
  kind?: OsKind;
  /** The edition; default vista-business (client), server-2008-standard (server), server-2008-enterprise (host). */
  profile?: OsProfileName;
  /** Which key is installed. Default kms-client. */
  channel?: KeyChannel;
  vm?: boolean;
  /** /skms `host[:port]`; default none (DNS discovery). */
  kmsMachine?: string | null;
  /** Give several machines one CMID to model an image that was not generalised. Default: a fresh CMID. */
  cmid?: string;
  /** Rearms left; default the profile's (3, or 5 for Vista Enterprise SP1). */
  rearms?: number;
  /** MAK: activate online right after install. Default true. */
  makAutoActivate?: boolean;
  /** Delay from install to the first activation attempt. Default a random 1–15 minutes. */
  firstAttemptDelayMs?: number;
  /** A volume Office KMS client next to Windows (Win8+ profiles). Default none. */
  office?: OfficeClientName | null;
  /** The Office KMS host product of this release installed (Win8+ profiles): an Office count of its own. Default none. */
  officeKmsHost?: 2019 | 2021 | 2024 | null;
  /** False: nobody runs an agent on this machine (the fleet runner leaves it out). Default true. */
  runsAgent?: boolean;
}

type StatusCounts = Record<'0' | '1' | '2' | '3' | '4' | '5' | '6', number>;

/** Status counts of the primary Windows product of every running machine, KMS host counts, events written. */
export interface DaySummary {
  atMs: number;
  licenseStatus: StatusCounts;
  /** The same for the volume Office products (machines without Office are not counted). */
  officeLicenseStatus: StatusCounts;
  /** Windows KMS host FQDN → its Windows count (0 before its first request). */
  kmsHosts: Record<string, number>;
  /** Office KMS host FQDN → its Office count, separate from the Windows one (0 before its first request). */
  officeKmsHosts: Record<string, number>;
  /** Event records written (all machines, all logs) since the previous summary. */
  events: number;
}

/** A problem a scenario planted for an admin to find. */
export interface PlantedProblem {
  machineId: string;
  kind:
    | 'hardware-change'
    | 'no-host-reachable'
    | 'no-rearms-left'
    | 'clock-skew'
    | 'no-srv-record'
    | 'duplicate-cmid'
    | 'office-below-threshold'
    | 'kms-service-failing';
  note: string;
}

export class Simulation {
  readonly clock: VirtualClock;
  readonly startMs: number;
  readonly seed: number;
  readonly #ids: Prng;
  readonly #world: MachineWorld;
  readonly #machines: SimulatedMachine[] = [];
  readonly #byId = new Map<string, SimulatedMachine>();
  readonly #byName = new Map<string, SimulatedMachine>();
  readonly #srv = new Map<string, Map<string, number>>();
  readonly #refusingZones = new Set<string>();
  readonly #activationObjects = new Map<string, ActivationObject>();
  readonly #planted: PlantedProblem[] = [];
  readonly #defaultDomain: string;
  #eventsSinceSummary = 0;
  #clientSeq = 0;
  #serverSeq = 0;
  #hostSeq = 0;
  #makTail: string | null = null;
  #csvlkTail: string | null = null;

  constructor(opts: SimulationOptions = {}) {
    this.startMs = opts.startMs ?? opts.clock?.now() ?? DEFAULT_START_MS;
    this.seed = opts.seed ?? DEFAULT_SEED;
    if (opts.clock && opts.clock.now() > this.startMs) {
      throw new Error(`the clock is already at ${new Date(opts.clock.now()).toISOString()}, after startMs`);
    }
    this.clock = opts.clock ?? new VirtualClock(this.startMs);
    this.clock.advanceTo(this.startMs);
    this.#defaultDomain = opts.defaultDomain ?? 'contoso.com';
    // Ids come from their own stream so they stay the same when behaviour (random choices) changes.
    this.#ids = new Prng(this.seed);
    const behaviour = new Prng((this.seed * 2654435761 + 0x9e3779b9) >>> 0);
    const srv = this.#srv;
    const refusing = this.#refusingZones;
    const byName = this.#byName;
    const aos = this.#activationObjects;
    const capacity = {
      application: opts.logCapacity?.application ?? DEFAULT_LOG_CAPACITY.application,
      kms: opts.logCapacity?.kms ?? DEFAULT_LOG_CAPACITY.kms,
    };
    const refs = new RefTable();
    const unknownNames = new Map<string, number>();
    this.#world = {
      scheduler: this.clock,
      refs,
      embeddingRef: refs.add('-Embedding'),
      nameRef: (fqdn) => {
        let ref = unknownNames.get(fqdn);
        if (ref === undefined) unknownNames.set(fqdn, (ref = refs.add(fqdn)));
        return ref;
      },
      prng: behaviour,
      logCapacity: capacity,
      srvLookup: (domain) => [...(srv.get(domain) ?? [])].map(([host, port]) => ({ host, port })),
      srvRegister: (domain, host, port) => {
        if (refusing.has(domain)) return HR.DNS_SERVER_FAILURE;
        let zone = srv.get(domain);
        if (!zone) srv.set(domain, (zone = new Map()));
        zone.set(host, port);
        return HR.OK;
      },
      // Names reach here already lower-cased (hostnames, SRV targets and /skms are stored that way).
      machineNamed: (fqdn) => byName.get(fqdn),
      activationObjectFor: (domain, application) => aos.get(`${application}/${domain}`),
      eventWritten: () => {
        this.#eventsSinceSummary++;
      },
    };
  }

  // ---- the fleet ----

  /** Every machine ever added, retired ones included (they keep their last state). */
  get machines(): readonly SimulatedMachine[] {
    return this.#machines;
  }

  get kmsHosts(): SimulatedMachine[] {
    return this.#machines.filter((m) => m.isKmsHost);
  }

  /** The machines an agent runs on (a fleet runner enrols these; the others are seen only through their clients). */
  get enrolledMachines(): SimulatedMachine[] {
    return this.#machines.filter((m) => m.runsAgent);
  }

  /** The machine with this machineId; throws when there is none (a test or scenario bug). */
  machine(id: string): SimulatedMachine {
    const m = this.#byId.get(id);
    if (!m) throw new Error(`no simulated machine with id ${id}`);
    return m;
  }

  /** The machine with this FQDN, if any. */
  machineNamed(fqdn: string): SimulatedMachine | undefined {
    return this.#byName.get(fqdn.toLowerCase());
  }

  /** Installs a machine now. */
  addMachine(spec: MachineSpec): SimulatedMachine {
    const channel = spec.channel ?? 'kms-client';
    const kind = spec.kind ?? (channel === 'kms-host' ? 'server' : 'client');
    const profileName =
      spec.profile ??
      (channel === 'kms-host' ? 'server-2008-enterprise' : kind === 'server' ? 'server-2008-standard' : 'vista-business');
    const profile = OS_PROFILES[profileName];
    const hostname = spec.hostname.toLowerCase();
    if (this.#byName.has(hostname)) throw new Error(`a simulated machine is already named ${hostname}`);
    const machineId = this.#ids.guid();
    const cmid = spec.cmid ?? this.#ids.guid();
    const partialProductKey =
      channel === 'kms-client'
        ? profile.gvlkTail
        : channel === 'mak'
          ? (this.#makTail ??= this.#ids.keyTail())
          : (this.#csvlkTail ??= this.#ids.keyTail());
    const digits = (n: number) => String(this.#ids.int(10 ** n)).padStart(n, '0');
    // The extended PID carries the OS build (`…-03-1033-<build>.0000-<day><year>`).
    const build = profile.version.split('.')[2] ?? '6001';
    const productKeyId = `${profile.generation === 'modern' ? '03612-03800' : '89578-00142'}-${digits(3)}-${digits(6)}-03-1033-${build}.0000-${digits(7)}`;
    const m = new SimulatedMachine(
      {
        machineId,
        hostname,
        group: spec.group ?? 'default',
        profile,
        channel,
        cmid,
        rearms: spec.rearms ?? profile.rearms,
        vm: spec.vm ?? false,
        kmsMachine: spec.kmsMachine ?? null,
        partialProductKey,
        productKeyId,
        makAutoActivate: spec.makAutoActivate ?? true,
        firstAttemptDelayMs: spec.firstAttemptDelayMs ?? MS.MINUTE * (1 + this.#world.prng.int(15)),
        office: spec.office ? officeClientSku(spec.office) : null,
        officeHost: spec.officeKmsHost ? officeHostProduct(spec.officeKmsHost) : null,
        runsAgent: spec.runsAgent ?? true,
      },
      this.#world,
    );
    this.#machines.push(m);
    this.#byId.set(machineId, m);
    this.#byName.set(hostname, m);
    return m;
  }

  /** Installs `n` machines now; `spec(i)` describes the i-th. */
  addMachines(n: number, spec: (i: number) => MachineSpec): SimulatedMachine[] {
    return Array.from({ length: n }, (_, i) => this.addMachine(spec(i)));
  }

  /** Installs a Vista-class KMS client (ws-NNNN.<domain> unless named). */
  addClient(spec: Partial<MachineSpec> = {}): SimulatedMachine {
    const n = ++this.#clientSeq;
    return this.addMachine({ hostname: `ws-${String(n).padStart(4, '0')}.${this.#defaultDomain}`, ...spec, kind: 'client' });
  }

  /** Installs a Server 2008-class KMS client (srv-NNN.<domain> unless named). */
  addServer(spec: Partial<MachineSpec> = {}): SimulatedMachine {
    const n = ++this.#serverSeq;
    return this.addMachine({ hostname: `srv-${String(n).padStart(3, '0')}.${this.#defaultDomain}`, ...spec, kind: 'server' });
  }

  /** Installs a KMS host (kmsNN.<domain> unless named); it publishes its SRV record at once. */
  addKmsHost(spec: Partial<MachineSpec> = {}): SimulatedMachine {
    const n = ++this.#hostSeq;
    return this.addMachine({
      hostname: `kms${String(n).padStart(2, '0')}.${this.#defaultDomain}`,
      kind: 'server',
      ...spec,
      channel: 'kms-host',
    });
  }

  // ---- time ----

  /** Runs every scheduled action up to `ms` (inclusive). */
  runUntil(ms: number): void {
    this.clock.advanceTo(ms);
  }

  /** Runs `n` days from now. */
  runDays(n: number): void {
    this.clock.advanceTo(this.clock.now() + n * MS.DAY);
  }

  /** The instant `day` days after the start (day 0 = startMs). */
  dayStart(day: number): number {
    return this.startMs + day * MS.DAY;
  }

  /** Runs `fn` at `ms` on the simulation's clock (scenarios schedule their faults with this). */
  at(ms: number, fn: () => void): void {
    this.clock.at(ms, fn);
  }

  // ---- what a dashboard would show ----

  summary(): DaySummary {
    const counts = LICENSE_STATUS_VALUES.map(() => 0);
    const officeCounts = LICENSE_STATUS_VALUES.map(() => 0);
    const kmsHosts: Record<string, number> = {};
    const officeKmsHosts: Record<string, number> = {};
    for (const m of this.#machines) {
      if (m.retired) continue;
      counts[m.licenseStatus()]!++;
      const office = m.officeLicenseStatus();
      if (office !== null) officeCounts[office]!++;
      if (m.isWindowsKmsHost) kmsHosts[m.hostname] = m.currentCount('windows') ?? 0;
      if (m.isOfficeKmsHost) officeKmsHosts[m.hostname] = m.currentCount('office') ?? 0;
    }
    const byStatus = (c: number[]) => Object.fromEntries(c.map((n, v) => [String(v), n])) as StatusCounts;
    const events = this.#eventsSinceSummary;
    this.#eventsSinceSummary = 0;
    return {
      atMs: this.clock.now(),
      licenseStatus: byStatus(counts),
      officeLicenseStatus: byStatus(officeCounts),
      kmsHosts,
      officeKmsHosts,
      events,
    };
  }

  /** The problems the scenario planted, for demos and tests to check that the monitor finds them. */
  plantedProblems(): PlantedProblem[] {
    return this.#planted.slice();
  }

  /** Records a planted problem (scenarios call this). */
  plant(problem: PlantedProblem): void {
    this.#planted.push(problem);
  }

  /** The SRV targets published for `_vlmcs._tcp.<domain>` now. */
  srvRecords(domain: string): Array<{ host: string; port: number }> {
    return this.#world.srvLookup(domain).slice();
  }

  // ---- faults ----

  /** A KMS host goes down (off: no answers, no DNS publishing) or comes back (its service starts and publishes). */
  setHostDown(hostname: string, down: boolean): void {
    this.#host(hostname).setDown(down);
  }

  /** TCP 1688 to a KMS host is blocked (or unblocked): clients fail with 0xC004F039. */
  setPortBlocked(hostname: string, blocked: boolean): void {
    this.#host(hostname).setPortBlocked(blocked);
  }

  /** Deletes the `_vlmcs._tcp` records of a domain. Hosts that publish there re-register at their next 24-h cycle. */
  removeSrvRecords(domain: string): void {
    this.#srv.delete(domain.toLowerCase());
  }

  /** The DNS zone refuses (or accepts again) SRV registrations: hosts log 12293 instead of 12294. */
  setDnsRegistrationFailing(domain: string, failing: boolean): void {
    if (failing) this.#refusingZones.add(domain.toLowerCase());
    else this.#refusingZones.delete(domain.toLowerCase());
  }

  /** DNS auto-publishing of a host on or off (`slmgr /cdns`, `/sdns`). */
  setDnsPublishing(hostname: string, enabled: boolean): void {
    this.#host(hostname).setDnsPublishing(enabled);
  }

  /** The machine's clock runs `ms` ahead (negative: behind); over 4 h its KMS requests fail with 0xC004F06C. */
  setClockSkew(machineId: string, ms: number): void {
    this.machine(machineId).setClockSkew(ms);
  }

  /** A significant hardware change: 30 days of OOT grace, then Notification unless re-activated. */
  hardwareChange(machineId: string): void {
    this.machine(machineId).hardwareChange();
  }

  /** Rearm / sysprep /generalize: a new CMID and the initial grace again. Returns 0, or 0xC004D307 when none is left. */
  rearm(machineId: string): number {
    return this.machine(machineId).rearm(this.#ids.guid());
  }

  /** The machine is decommissioned: no more requests; its CMID ages out of its host's window after 30 days. */
  retire(machineId: string): void {
    this.machine(machineId).retire();
  }

  /** An admin re-activates a MAK machine (after a hardware change, say). */
  activateMak(machineId: string): void {
    this.machine(machineId).activateMak();
  }

  /**
   * Publishes an Active Directory activation object for one application in a domain (ADBA): Win8+ GVLK products of
   * that application there activate through it (VLActivationType 1, event 12308) and never ask a KMS host.
   */
  addActivationObject(domain: string, application: 'windows' | 'office', name: string): ActivationObject {
    const dc = domain
      .toLowerCase()
      .split('.')
      .map((p) => `DC=${p}`)
      .join(',');
    const ao: ActivationObject = { name, dn: `CN=${name},CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,${dc}`, application };
    this.#activationObjects.set(`${application}/${domain.toLowerCase()}`, ao);
    return ao;
  }

  /** Deletes a domain's activation object of an application: its clients fall back to KMS at their next renewal. */
  removeActivationObject(domain: string, application: 'windows' | 'office'): void {
    this.#activationObjects.delete(`${application}/${domain.toLowerCase()}`);
  }

  /**
   * A KMS host's service: `stopped` (sppsvc not running), `not-listening` (it failed to initialize the KMS: 12291 with
   * `hresult`), or `none` (running again; it republishes to DNS). Either fault refuses every client with 0x800706BA.
   */
  setKmsServiceFault(hostname: string, fault: KmsServiceFault, hresult?: number): void {
    this.#host(hostname).setServiceFault(fault, hresult);
  }

  /** A KMS host fails to initialize its renewal timer: 12292 in its Application log. */
  failKmsRenewalTimer(hostname: string, hresult?: number): void {
    this.#host(hostname).failRenewalTimer(hresult);
  }

  /** /skms `host[:port]` on a client, or null for DNS discovery (/ckms). */
  setKmsMachine(machineId: string, hostPort: string | null): void {
    this.machine(machineId).setKmsMachine(hostPort);
  }

  #host(hostname: string): SimulatedMachine {
    const m = this.#byName.get(hostname.toLowerCase());
    if (!m || !m.isKmsHost) throw new Error(`no simulated KMS host named ${hostname}`);
    return m;
  }
}
