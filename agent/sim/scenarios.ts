/**
 * Named scenarios: small fleets that show one Volume Activation story each (issue 2, "Simulator"; issue 12, today's
 * fleet), plus `scale` for the benchmark. Each builds a Simulation at `startMs` and schedules its faults on the
 * simulation's clock.
 */
import { MS } from '../../shared/kms-rules.js';
import type { OfficeClientName } from './office-products.js';
import { type OsProfileName } from './os-profile.js';
import { DEFAULT_SEED, Simulation, type SimulationOptions } from './simulation.js';

export const SCENARIO_NAMES = [
  'enterprise',
  'vista-era',
  'office-threshold',
  'kms-service-failure',
  'branch-below-threshold',
  'kms-outage',
  'golden-image',
  'retirement-wave',
  'scale',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface ScenarioInfo {
  name: ScenarioName;
  /** One line: what happens. */
  description: string;
  /** Default length of a run, in days. */
  days: number;
}

export const SCENARIOS: readonly ScenarioInfo[] = [
  {
    name: 'enterprise',
    description:
      "today's fleet: 2 KMS hosts (Windows and Office counts), 240 Windows 10 / 11 clients and 30 Server 2016-2025 machines, volume Office LTSC 2021 / 2024 and 2019 on part of them, an AD-based activation site (emea) whose Office host has only 4 clients (Office count below 5), a branch KMS host nobody runs an agent on, 5 MAK laptops and 3 legacy Windows 7 / Server 2008 machines; planted problems: a laptop out of tolerance after a hardware change, a client whose /skms host is gone, a clock 5 h off, a lab machine with no rearms and no SRV record",
    days: 30,
  },
  {
    name: 'vista-era',
    description:
      'the Volume Activation 2.0 fleet: 2 KMS hosts, 300 Vista clients, 20 Server 2008 machines, 5 MAK laptops, with planted problems: a laptop out of tolerance after a hardware change, a client whose /skms host is gone, a clock 5 h off, a lab machine with no rearms and no SRV record',
    days: 30,
  },
  {
    name: 'office-threshold',
    description:
      "two sites whose Windows is activated through Active Directory and whose volume Office asks a site KMS host with only the Office host product: site A has 4 Office clients (count 4 < 5, never activated, Notification after Office's 30-day grace), site B has 5 (activated)",
    days: 40,
  },
  {
    name: 'kms-service-failure',
    description:
      'one Server 2022 KMS host (Windows and Office LTSC 2024 host products), 30 Windows 11 clients and 5 Server 2025 machines with Office on 10 of them; day 2 its renewal timer fails (12292); day 6 the KMS fails to initialize (12291) and stops listening, the day-7 renewals refused with 0x800706BA and retried every 2 h; restarted on day 8; on day 12 the licensing service stops for good and the day-14 renewals fail',
    days: 16,
  },
  {
    name: 'branch-below-threshold',
    description: 'one branch KMS host with 20 Vista clients: the count stays at 20 < 25, nobody activates, Notification on day 30',
    days: 60,
  },
  {
    name: 'kms-outage',
    description:
      'one KMS host, 40 Vista clients and 10 servers; the host goes down on day 10 for good: clients stay Licensed 180 days after their last renewal, then 30 days of OOT grace, then Notification',
    days: 220,
  },
  {
    name: 'golden-image',
    description: '40 clones of an image that was not generalised share one CMID: the host counts 1, nobody activates',
    days: 45,
  },
  {
    name: 'retirement-wave',
    description: 'one KMS host, 40 Vista clients; half are retired on day 5 and the count decays below 25 once their CMIDs age out (30 days)',
    days: 45,
  },
  {
    name: 'scale',
    description: 'load: 10,000 machines (or --scale N) in sites of 1,000 with one KMS host each, 10% servers',
    days: 365,
  },
];

export interface ScenarioOptions extends SimulationOptions {
  /**
   * Size: for `scale` the number of machines (default 10,000); for `enterprise`, `vista-era` and `kms-outage` a multiplier of
   * their client and server counts (default 1). The other scenarios have fixed sizes: their numbers are the story.
   */
  scale?: number;
}

export function isScenarioName(s: string): s is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(s);
}

export function scenarioInfo(name: ScenarioName): ScenarioInfo {
  return SCENARIOS.find((s) => s.name === name)!;
}

/** Builds a scenario's fleet at `startMs` (default a fixed instant) with a seeded generator (default seed 1). */
export function createScenario(name: ScenarioName, opts: ScenarioOptions = {}): Simulation {
  const sim = new Simulation({ ...opts, seed: opts.seed ?? DEFAULT_SEED });
  switch (name) {
    case 'enterprise':
      enterprise(sim, opts.scale ?? 1);
      break;
    case 'vista-era':
      vistaEra(sim, opts.scale ?? 1);
      break;
    case 'office-threshold':
      officeThreshold(sim);
      break;
    case 'kms-service-failure':
      kmsServiceFailure(sim);
      break;
    case 'branch-below-threshold':
      branchBelowThreshold(sim);
      break;
    case 'kms-outage':
      kmsOutage(sim, opts.scale ?? 1);
      break;
    case 'golden-image':
      goldenImage(sim);
      break;
    case 'retirement-wave':
      retirementWave(sim);
      break;
    case 'scale':
      scale(sim, opts.scale ?? 10_000);
      break;
  }
  return sim;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

const WORKSTATION_PROFILES: readonly OsProfileName[] = [
  'win11-24h2-enterprise',
  'win11-24h2-enterprise',
  'win11-24h2-enterprise',
  'win11-24h2-enterprise',
  'win11-24h2-enterprise',
  'win11-23h2-enterprise',
  'win11-23h2-enterprise',
  'win10-22h2-enterprise',
  'win10-22h2-enterprise',
  'win11-24h2-education',
];
const SERVER_PROFILES: readonly OsProfileName[] = [
  'server-2025-datacenter',
  'server-2025-standard',
  'server-2022-standard',
  'server-2022-datacenter',
  'server-2019-standard',
  'server-2019-datacenter',
  'server-2016-standard',
];

/** Volume Office on about half the workstations: LTSC 2021 most, 2024 on newer machines, 2019 on a few. */
function officeFor(i: number): OfficeClientName | null {
  if (i % 3 === 0) return 'office-2021-proplus';
  if (i % 7 === 1) return 'office-2024-proplus';
  if (i % 11 === 5) return 'office-2019-proplus';
  if (i % 13 === 2) return 'office-2021-standard';
  return null;
}

/**
 * Today's fleet (issue 12): Windows 10 / 11 and Server 2016-2025 on two KMS hosts that keep a Windows and an Office
 * count, an AD-based activation site, a branch host without an agent, a few legacy machines, and the planted problems.
 */
function enterprise(sim: Simulation, factor: number): void {
  const clients = Math.max(25, Math.round(240 * factor));
  const servers = Math.max(5, Math.round(30 * factor));
  // Both hosts have the Office LTSC 2024 host product: Office clients find either through DNS and keep a count there.
  sim.addKmsHost({ hostname: 'kms01.contoso.com', group: 'datacenter', profile: 'server-2022-datacenter', officeKmsHost: 2024 });
  sim.addKmsHost({ hostname: 'kms02.contoso.com', group: 'datacenter', profile: 'server-2019-standard', officeKmsHost: 2024 });
  const groups = ['hq', 'hq', 'sales', 'engineering'];
  const ws = sim.addMachines(clients, (i) => {
    const profile = WORKSTATION_PROFILES[i % WORKSTATION_PROFILES.length]!;
    return {
      hostname: `ws-${pad(i + 1, 4)}.contoso.com`,
      group: profile.includes('education') ? 'training' : groups[i % groups.length]!,
      profile,
      vm: i % 10 === 9,
      office: officeFor(i),
    };
  });
  sim.addMachines(servers, (i) => ({
    hostname: `srv-${pad(i + 1, 3)}.contoso.com`,
    group: 'datacenter',
    kind: 'server',
    profile: SERVER_PROFILES[i % SERVER_PROFILES.length]!,
    vm: i % 2 === 0,
  }));
  const laptops = sim.addMachines(5, (i) => ({
    hostname: `lt-${pad(i + 1, 3)}.contoso.com`,
    group: 'mobile',
    profile: 'win11-24h2-enterprise',
    channel: 'mak',
    office: i % 2 === 0 ? 'office-2024-proplus' : null,
  }));
  // A few machines nobody has retired yet: they still activate against today's hosts (whose keys cover them).
  sim.addMachines(2, (i) => ({ hostname: `legacy-ws-${pad(i + 1, 2)}.contoso.com`, group: 'legacy', profile: 'win7-enterprise' }));
  sim.addMachine({ hostname: 'legacy-srv-01.contoso.com', group: 'legacy', kind: 'server', profile: 'server-2008-standard' });

  // The EMEA site is activated through Active Directory: no KMS host for Windows there.
  sim.addActivationObject('eu.contoso.com', 'windows', 'VA-Win-2025');
  sim.addMachines(Math.max(5, Math.round(40 * factor)), (i) => ({
    hostname: `eu-ws-${pad(i + 1, 3)}.eu.contoso.com`,
    group: 'emea',
    profile: i % 4 === 3 ? 'win11-23h2-enterprise' : 'win11-24h2-enterprise',
  }));
  sim.addMachines(Math.max(1, Math.round(5 * factor)), (i) => ({
    hostname: `eu-srv-${pad(i + 1, 2)}.eu.contoso.com`,
    group: 'emea',
    kind: 'server',
    profile: 'server-2025-standard',
  }));
  // Its volume Office goes to a small Office-only KMS host that only 4 Office clients use: 4 < 5, never activated.
  const officeHost = sim.addMachine({
    hostname: 'kms-office.eu.contoso.com',
    group: 'emea',
    kind: 'server',
    profile: 'server-2022-standard',
    officeKmsHost: 2021,
  });
  const euOffice = sim.addMachines(4, (i) => ({
    hostname: `eu-design-${pad(i + 1, 2)}.eu.contoso.com`,
    group: 'emea',
    profile: 'win11-24h2-enterprise',
    office: 'office-2021-proplus',
  }));
  for (const m of [officeHost, ...euOffice]) {
    sim.plant({
      machineId: m.machineId,
      kind: 'office-below-threshold',
      note: `${m.hostname}: the EMEA Office KMS host (kms-office.eu.contoso.com) has 4 Office clients, below Office's threshold of 5: Office never activates, Notification after its 30-day grace`,
    });
  }

  // A branch KMS host that belongs to another team: no agent on it, yet its 30 clients name it in every request.
  sim.addKmsHost({ hostname: 'kms-br01.branch.contoso.com', group: 'branch', profile: 'server-2016-standard', runsAgent: false });
  sim.addMachines(Math.max(25, Math.round(30 * factor)), (i) => ({
    hostname: `br-ws-${pad(i + 1, 3)}.branch.contoso.com`,
    group: 'branch',
    profile: 'win10-22h2-enterprise',
  }));

  plantClassicProblems(sim, ws, laptops, 'win11-24h2-enterprise');
}

/** The problems every enterprise fleet has had since Vista: the same four in both eras. */
function plantClassicProblems(
  sim: Simulation,
  ws: ReturnType<Simulation['addMachines']>,
  laptops: ReturnType<Simulation['addMachines']>,
  labProfile: OsProfileName,
): void {
  const laptop = laptops[2]!;
  sim.at(sim.dayStart(1) + 9 * MS.HOUR, () => sim.hardwareChange(laptop.machineId));
  sim.plant({
    machineId: laptop.machineId,
    kind: 'hardware-change',
    note: `${laptop.hostname}: motherboard replaced on day 1; MAK out of tolerance, 30 days of OOT grace, then Notification (0xC004F00F) unless re-activated`,
  });
  const stale = ws[ws.length - 1]!;
  sim.setKmsMachine(stale.machineId, 'kms-old.contoso.com:1688');
  sim.plant({
    machineId: stale.machineId,
    kind: 'no-host-reachable',
    note: `${stale.hostname}: /skms points at kms-old.contoso.com, decommissioned; every request fails with 0xC004F074, Notification on day 30`,
  });
  const skewed = ws[Math.floor(ws.length / 2) - 1]!;
  sim.setClockSkew(skewed.machineId, 5 * MS.HOUR);
  sim.plant({
    machineId: skewed.machineId,
    kind: 'clock-skew',
    note: `${skewed.hostname}: clock 5 h ahead; the host refuses its requests with 0xC004F06C`,
  });
  const lab = sim.addMachine({ hostname: 'lab-ws-01.lab.contoso.com', group: 'lab', rearms: 0, profile: labProfile });
  sim.plant({
    machineId: lab.machineId,
    kind: 'no-rearms-left',
    note: `${lab.hostname}: rearmed to the limit (0 left) in a lab domain with no _vlmcs._tcp record (0x8007232B); Notification on day 30 and no rearm can extend it`,
  });
}

/** Two AD-activated sites, each with an Office-only KMS host: 4 Office clients at A (never activated), 5 at B. */
function officeThreshold(sim: Simulation): void {
  for (const [site, n] of [
    ['site-a', 4],
    ['site-b', 5],
  ] as const) {
    const domain = `${site}.contoso.com`;
    sim.addActivationObject(domain, 'windows', `VA-Win-${site}`);
    sim.addMachine({ hostname: `kms-office.${domain}`, group: site, kind: 'server', profile: 'server-2022-standard', officeKmsHost: 2024 });
    sim.addMachines(n, (i) => ({
      hostname: `ws-${pad(i + 1, 2)}.${domain}`,
      group: site,
      profile: 'win11-24h2-enterprise',
      office: 'office-2024-proplus',
    }));
  }
}

/** A KMS host whose own service fails in the ways 12291 / 12292 and a stopped service show (KmsServiceFailing). */
function kmsServiceFailure(sim: Simulation): void {
  const host = sim.addKmsHost({ hostname: 'kms01.contoso.com', group: 'datacenter', profile: 'server-2022-datacenter', officeKmsHost: 2024 });
  sim.addMachines(30, (i) => ({
    hostname: `ws-${pad(i + 1, 4)}.contoso.com`,
    group: 'hq',
    profile: 'win11-24h2-enterprise',
    office: i % 3 === 0 ? 'office-2024-proplus' : null,
  }));
  sim.addMachines(5, (i) => ({ hostname: `srv-${pad(i + 1, 3)}.contoso.com`, group: 'datacenter', kind: 'server', profile: 'server-2025-standard' }));
  sim.at(sim.dayStart(2) + 10 * MS.HOUR, () => sim.failKmsRenewalTimer(host.hostname));
  // Clients renew every 7 days from their install on day 0: the faults cover the day-7 and day-14 renewals.
  sim.at(sim.dayStart(6) + 9 * MS.HOUR, () => sim.setKmsServiceFault(host.hostname, 'not-listening'));
  sim.at(sim.dayStart(8) + 9 * MS.HOUR, () => sim.setKmsServiceFault(host.hostname, 'none'));
  sim.at(sim.dayStart(12) + 9 * MS.HOUR, () => sim.setKmsServiceFault(host.hostname, 'stopped'));
  sim.plant({
    machineId: host.machineId,
    kind: 'kms-service-failing',
    note: `${host.hostname}: renewal timer failure (12292) on day 2, KMS initialization failure (12291, not listening) on day 6, restarted on day 8, licensing service stopped from day 12`,
  });
}

/** The Volume Activation 2.0 fleet the project started from (the `enterprise` scenario before issue 12). */
function vistaEra(sim: Simulation, factor: number): void {
  const clients = Math.max(25, Math.round(300 * factor));
  const servers = Math.max(1, Math.round(20 * factor));
  sim.addKmsHost({ hostname: 'kms01.contoso.com', group: 'datacenter' });
  sim.addKmsHost({ hostname: 'kms02.contoso.com', group: 'datacenter' });
  const groups = ['hq', 'hq', 'sales', 'engineering'];
  const ws = sim.addMachines(clients, (i) => ({
    hostname: `ws-${pad(i + 1, 4)}.contoso.com`,
    group: groups[i % groups.length]!,
    profile: (i % 3 === 2 ? 'vista-business' : 'vista-enterprise-sp1') as OsProfileName,
    vm: i % 10 === 9,
  }));
  sim.addMachines(servers, (i) => ({
    hostname: `srv-${pad(i + 1, 3)}.contoso.com`,
    group: 'datacenter',
    kind: 'server',
    profile: i % 4 === 3 ? 'server-2008-enterprise' : 'server-2008-standard',
    vm: i % 2 === 0,
  }));
  const laptops = sim.addMachines(5, (i) => ({
    hostname: `lt-${pad(i + 1, 3)}.contoso.com`,
    group: 'mobile',
    channel: 'mak',
  }));

  plantClassicProblems(sim, ws, laptops, 'vista-business');
}

function branchBelowThreshold(sim: Simulation): void {
  sim.addKmsHost({ hostname: 'kms-branch.branch.contoso.com', group: 'branch' });
  sim.addMachines(20, (i) => ({ hostname: `br-ws-${pad(i + 1, 2)}.branch.contoso.com`, group: 'branch' }));
}

function kmsOutage(sim: Simulation, factor: number): void {
  const host = sim.addKmsHost({ hostname: 'kms01.contoso.com', group: 'datacenter' });
  sim.addMachines(Math.max(1, Math.round(40 * factor)), (i) => ({
    hostname: `ws-${pad(i + 1, 4)}.contoso.com`,
    group: 'hq',
  }));
  sim.addMachines(Math.max(1, Math.round(10 * factor)), (i) => ({
    hostname: `srv-${pad(i + 1, 3)}.contoso.com`,
    group: 'datacenter',
    kind: 'server',
  }));
  sim.at(sim.dayStart(10) + 14 * MS.HOUR, () => sim.setHostDown(host.hostname, true));
}

function goldenImage(sim: Simulation): void {
  sim.addKmsHost({ hostname: 'kms01.contoso.com', group: 'datacenter' });
  // The image was captured without sysprep /generalize, so every clone carries the same CMID.
  const sharedCmid = '5a1c0d1e-0000-4000-8000-00000000c1de';
  const clones = sim.addMachines(40, (i) => ({
    hostname: `clone-${pad(i + 1, 2)}.contoso.com`,
    group: 'classroom',
    profile: 'vista-enterprise-sp1',
    cmid: sharedCmid,
  }));
  for (const c of clones) {
    sim.plant({
      machineId: c.machineId,
      kind: 'duplicate-cmid',
      note: `${c.hostname}: cloned without sysprep /generalize, shares CMID ${sharedCmid} with 39 others`,
    });
  }
}

function retirementWave(sim: Simulation): void {
  sim.addKmsHost({ hostname: 'kms01.contoso.com', group: 'datacenter' });
  const clients = sim.addMachines(40, (i) => ({ hostname: `ws-${pad(i + 1, 4)}.contoso.com`, group: 'hq' }));
  sim.at(sim.dayStart(5) + 9 * MS.HOUR, () => {
    for (let i = 0; i < clients.length; i += 2) sim.retire(clients[i]!.machineId);
  });
}

function scale(sim: Simulation, machines: number): void {
  const n = Math.max(2, Math.floor(machines));
  const sites = Math.max(1, Math.round(n / 1000));
  const perSite = Math.ceil((n - sites) / sites);
  let made = sites;
  for (let s = 0; s < sites; s++) {
    const domain = `site-${pad(s + 1, 2)}.contoso.com`;
    sim.addKmsHost({ hostname: `kms.${domain}`, group: `site-${pad(s + 1, 2)}` });
    for (let i = 0; i < perSite && made < n; i++, made++) {
      const server = i % 10 === 9;
      sim.addMachine({
        hostname: `${server ? 'srv' : 'ws'}-${pad(i + 1, 4)}.${domain}`,
        group: `site-${pad(s + 1, 2)}`,
        kind: server ? 'server' : 'client',
        // Machines come up over the first day, so renewals spread over the week as in a real fleet.
        firstAttemptDelayMs: Math.floor(((i * 7919) % 1440) * MS.MINUTE),
      });
    }
  }
}
