/**
 * The bench fixture fleet: N synthetic machines cloned from the simulator's shapes (one snapshot per kind of machine,
 * taken from the `vista-era` scenario after a few simulated days), each with a unique machine id, host name, CMID,
 * agent id and agent token, spread over sites (groups) and KMS hosts. Everything about machine i is a pure function
 * of (i, the shape, the templates), so the store builder and the load generator (another process) agree on ids,
 * tokens and snapshots without sharing anything but the templates and the shape. Not a real fleet: a bench fixture.
 */
import { normaliseSnapshot } from '../agent/normalise.js';
import { createScenario } from '../agent/sim/index.js';
import type { MachineSnapshot } from '../shared/protocol.js';

export interface FleetShape {
  machines: number;
  /** KMS host machines (indexes 0..kmsHosts-1), each reporting its kmsService. */
  kmsHosts: number;
  /** Sites, used as the agents' group labels; each site's clients use one KMS host. */
  sites: number;
  /** The fixture's "now": snapshots were collected shortly before it. */
  anchorMs: number;
}

/** The seq every fixture agent has already reached in epoch 1: the load generator sends from SEQ_BASE + 1 on. */
export const SEQ_BASE = 1000;

export function fleetShape(machines: number, anchorMs: number): FleetShape {
  return {
    machines,
    kmsHosts: Math.max(3, Math.ceil(machines / 100_000)),
    sites: Math.min(200, Math.max(4, Math.round(machines / 5000))),
    anchorMs,
  };
}

export type MachineKind = 'kms-host' | 'workstation' | 'workstation-business' | 'server' | 'mak-laptop' | 'in-grace';
export type FleetTemplates = Record<MachineKind, MachineSnapshot>;

/** The kind of machine i: a few KMS hosts, then mostly KMS-client workstations, 10% servers, 2% MAK, some in grace. */
export function kindOf(i: number, shape: FleetShape): MachineKind {
  if (i < shape.kmsHosts) return 'kms-host';
  if (i % 500 === 11) return 'in-grace';
  if (i % 50 === 7) return 'mak-laptop';
  if (i % 10 === 9) return 'server';
  return i % 3 === 2 ? 'workstation-business' : 'workstation';
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
/** A cheap, fixed 32-bit mix, so ids look random after their sortable prefix. */
function mix(i: number, salt: number): number {
  let x = (i ^ salt) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
// GUID-shaped, with the index first so rows go into the primary-key B-trees in order.
export const machineIdOf = (i: number) => `${hex(i, 8)}-${hex(mix(i, 1) & 0xffff, 4)}-4${hex(mix(i, 2) & 0xfff, 3)}-8${hex(mix(i, 3) & 0xfff, 3)}-${hex(mix(i, 4), 8)}be4c`;
export const agentIdOf = (i: number) => `agt_${hex(i, 8)}-${hex(mix(i, 5) & 0xffff, 4)}-4000-8000-${hex(mix(i, 6), 8)}a9e1`;
export const cmidOf = (i: number) => `${hex(mix(i, 7), 8)}-${hex(i & 0xffff, 4)}-4${hex((i >>> 16) & 0xfff, 3)}-9${hex(mix(i, 8) & 0xfff, 3)}-${hex(mix(i, 9), 8)}c01d`;
/** The agent's bearer token (the store keeps its SHA-256). Guessable on purpose: a bench fixture, never a real store. */
export const tokenOf = (i: number) => `bt_${hex(i, 8)}_${hex(mix(i, 10), 8)}${hex(mix(i, 11), 8)}_vawatch-bench`;
export const siteOf = (i: number, shape: FleetShape) => i % shape.sites;
export const groupOf = (i: number, shape: FleetShape) => `site-${String(siteOf(i, shape) + 1).padStart(3, '0')}`;
export const kmsHostNameOf = (h: number) => `kms-${String(h + 1).padStart(2, '0')}.contoso.com`;
/** The KMS host a machine's site uses. */
export const kmsHostOf = (i: number, shape: FleetShape) => siteOf(i, shape) % shape.kmsHosts;
export function hostnameOf(i: number, shape: FleetShape): string {
  const kind = kindOf(i, shape);
  if (kind === 'kms-host') return kmsHostNameOf(i);
  const prefix = kind === 'server' ? 'srv' : kind === 'mak-laptop' ? 'lt' : 'ws';
  return `${prefix}-${String(i).padStart(7, '0')}.${groupOf(i, shape)}.contoso.com`;
}

/**
 * One snapshot per kind, from the simulator: the `vista-era` scenario (the fleet the recorded figures were measured
 * with; `enterprise` became today's fleet in issue 12) run for 3 days ending at `anchorMs`, each
 * machine read and normalised exactly as the agent's `sim` source does.
 */
export function simulatorTemplates(anchorMs: number): FleetTemplates {
  const days = 3;
  const sim = createScenario('vista-era', { startMs: anchorMs - days * 86_400_000 });
  sim.runDays(days);
  const now = sim.clock.now();
  const found: Partial<FleetTemplates> = {};
  for (const m of sim.machines) {
    const s = normaliseSnapshot({ products: m.readProducts(), service: m.readService(), os: m.readOs() }, { machineId: m.machineId, hostname: m.hostname, group: m.group }, now);
    const primary = s.products.find((p) => p.primary);
    const status = primary?.licenseStatus;
    const kind: MachineKind | undefined = m.isKmsHost
      ? 'kms-host'
      : m.channel === 'mak'
        ? status === 1 ? 'mak-laptop' : undefined
        : status !== 1
          ? 'in-grace'
          : m.osKind === 'server'
            ? 'server'
            : /Business/.test(s.os.caption)
              ? 'workstation-business'
              : 'workstation';
    if (kind && !found[kind]) found[kind] = s;
  }
  const missing = (['kms-host', 'workstation', 'workstation-business', 'server', 'mak-laptop', 'in-grace'] as const).filter((k) => !found[k]);
  if (missing.length) throw new Error(`the vista-era scenario gave no ${missing.join(', ')} machine to clone`);
  return found as FleetTemplates;
}

type Slot = 'MID' | 'HOST' | 'GROUP' | 'CMID' | 'KMS' | 'ST' | 'RS' | 'AT';

/** A template turned into literal JSON pieces with slots, so a clone costs a few string joins, not a stringify. */
class SnapshotJson {
  readonly #parts: string[] = [];
  readonly #slots: Slot[] = [];
  readonly status: number;
  readonly reason: number | null;

  constructor(template: MachineSnapshot) {
    const t = structuredClone(template) as unknown as Record<string, unknown> & MachineSnapshot;
    const primary = t.products.find((p) => p.primary) ?? t.products[0];
    this.status = primary?.licenseStatus ?? 1;
    this.reason = primary?.licenseStatusReason ?? null;
    const slot = (s: Slot) => `@@${s}@@` as never;
    t.machineId = slot('MID');
    t.hostname = slot('HOST');
    t.group = slot('GROUP');
    t.cmid = slot('CMID');
    t.collectedAt = slot('AT');
    for (const p of t.products) {
      if (p.channel === 'kms-client') p.kmsHost = { name: slot('KMS'), port: 1688, source: 'dns' };
      if (p === primary) {
        p.licenseStatus = slot('ST');
        p.licenseStatusReason = slot('RS');
      }
    }
    const pieces = JSON.stringify(t).split(/"@@([A-Z]+)@@"/);
    for (let k = 0; k < pieces.length; k++) (k % 2 === 0 ? this.#parts : (this.#slots as string[])).push(pieces[k]!);
  }

  render(values: Record<Slot, string>): string {
    let out = this.#parts[0]!;
    for (let k = 0; k < this.#slots.length; k++) out += values[this.#slots[k]!] + this.#parts[k + 1]!;
    return out;
  }
}

/** LicenseStatus 3 (OOT grace) with its HRESULT 0x4004F00D, the state a lapsed KMS client reports. */
const OOT_GRACE = { status: 3, reason: 0x4004f00d };

/** Renders machine i's snapshot as JSON (the stored form and the body of a report). */
export class FleetSnapshots {
  readonly shape: FleetShape;
  readonly #json: Record<MachineKind, SnapshotJson>;
  readonly templates: FleetTemplates;

  constructor(shape: FleetShape, templates: FleetTemplates) {
    this.shape = shape;
    this.templates = templates;
    this.#json = Object.fromEntries(Object.entries(templates).map(([k, t]) => [k, new SnapshotJson(t)])) as Record<MachineKind, SnapshotJson>;
  }

  /** The template's primary licence status of machine i (what the store holds). */
  statusOf(i: number): number {
    return this.#json[kindOf(i, this.shape)].status;
  }

  /**
   * Machine i's snapshot collected at `collectedAtIso`; `flipped` turns its primary product's status to another one
   * (Licensed ↔ OOT grace), a change the collector must store and evaluate.
   */
  json(i: number, collectedAtIso: string, flipped = false): string {
    const kind = kindOf(i, this.shape);
    const j = this.#json[kind];
    let status = j.status;
    let reason = j.reason;
    if (flipped) ({ status, reason } = status === 1 ? OOT_GRACE : { status: 1, reason: 0 });
    return j.render({
      MID: JSON.stringify(machineIdOf(i)),
      HOST: JSON.stringify(hostnameOf(i, this.shape)),
      GROUP: JSON.stringify(kind === 'kms-host' ? 'datacenter' : groupOf(i, this.shape)),
      CMID: JSON.stringify(cmidOf(i)),
      KMS: JSON.stringify(kmsHostNameOf(kmsHostOf(i, this.shape))),
      ST: String(status),
      RS: reason === null ? 'null' : String(reason),
      AT: JSON.stringify(collectedAtIso),
    });
  }

  /** When machine i last reported in the fixture: spread over the 5 minutes before the anchor. */
  lastReportAt(i: number): number {
    return this.shape.anchorMs - (mix(i, 12) % 300_000);
  }
}
