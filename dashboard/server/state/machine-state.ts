import { applicationOf, officeKmsClientSku } from '../../../shared/kms-rules.js';
import type { MachineSnapshot, ProductState } from '../../../shared/protocol.js';
import { internSnapshot } from './interned.js';

/** A 12288 seen from a client: which host, when (event time, ms), and whether it succeeded (HRESULT 0). */
export interface KmsRequestSeen {
  readonly hostId: string;
  readonly at: number;
  readonly ok: boolean;
}

/** Why and when a machine left the fleet. Its history stays; nothing alerts on it. */
export interface Retirement {
  readonly at: number;
  readonly reason: string;
  /** The machine that replaced it (same hostname, reinstalled under a new machine id). */
  readonly replacedBy: string | null;
}

/**
 * One machine as the collector knows it. Immutable: every change makes a new object, so the change feed can hand out
 * `before` and `after` without copying.
 */
export interface MachineState {
  readonly machineId: string;
  /** The agent currently bound to this machine (null once revoked and never re-enrolled). */
  readonly agentId: string | null;
  readonly hostname: string;
  /** Effective group: the admin's override if any, else the agent's. */
  readonly group: string;
  readonly groupOverride: string | null;
  /** The newest snapshot (null until the first report with one). */
  readonly snapshot: MachineSnapshot | null;
  /** The primary Windows product of that snapshot, if any. */
  readonly primary: ProductState | null;
  /**
   * Lower-case FQDN of the KMS host the machine uses: the primary product's (registry or DNS discovery) when Windows
   * reports it, else the host of its newest successful activation request (12288), else the one it last tried.
   */
  readonly kmsHostId: string | null;
  /** The newest activation request (12288) this machine reported, by the host it went to. */
  readonly lastKmsRequest: KmsRequestSeen | null;
  /** `sentAt` of the newest report (agent's clock, ms). */
  readonly lastReportAt: number | null;
  /** When the collector received it (collector's clock, ms). */
  readonly lastReceivedAt: number | null;
  readonly enrolledAt: number;
  readonly retired: Retirement | null;
}

/** The primary Windows product of a snapshot: the one flagged primary, else none. */
export function primaryProductOf(snapshot: MachineSnapshot | null): ProductState | null {
  if (!snapshot) return null;
  return snapshot.products.find((p) => p.primary) ?? null;
}

/** KMS host ids are lower-case host names, so a client's `KMS01.contoso.com` and the host's own name meet. */
export function kmsHostIdOf(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** The status key a machine is counted under: LicenseStatus of its primary product, or `none`. */
export function statusKeyOf(m: MachineState): string {
  return m.primary ? String(m.primary.licenseStatus) : 'none';
}

/**
 * The machine's volume Office product by name: the SKU's public name when vawatch knows its activation ID (e.g.
 * `Office LTSC Professional Plus 2021`), else the name Windows gives it; null without Office.
 */
export function officeNameOf(snapshot: MachineSnapshot | null): string | null {
  for (const p of snapshot?.products ?? []) {
    if (applicationOf(p.applicationId) === 'office') return officeKmsClientSku(p.activationId)?.name ?? p.name;
  }
  return null;
}

/** The channel key a machine is counted under. */
export function channelKeyOf(m: MachineState): string {
  return m.primary?.channel ?? 'none';
}

/** A new machine state with a new snapshot (derived fields recomputed; its repeated strings shared, see interned.ts). */
export function withSnapshot(m: MachineState, snapshot: MachineSnapshot): MachineState {
  const primary = primaryProductOf(internOwnSnapshot(snapshot, m.machineId));
  const kmsHostId = effectiveKmsHostId(primary, m.lastKmsRequest);
  return { ...m, snapshot, hostname: snapshot.hostname, group: m.groupOverride ?? snapshot.group, primary, kmsHostId };
}

/** A new machine state after a 12288: a success replaces anything older; a failure only replaces other failures. */
export function withKmsRequest(m: MachineState, seen: KmsRequestSeen): MachineState {
  const cur = m.lastKmsRequest;
  const newer = !cur || seen.at >= cur.at;
  const replace = !cur || (seen.ok && (newer || !cur.ok)) || (!seen.ok && !cur.ok && newer);
  if (!replace) return m;
  return { ...m, lastKmsRequest: seen, kmsHostId: effectiveKmsHostId(m.primary, seen) };
}

/**
 * A machine as the store holds it, made in one piece (a million of these at start): the same object `withSnapshot`
 * and `withKmsRequest` would make from a bare machine, without the copies in between.
 */
export function storedMachine(
  fields: Omit<MachineState, 'snapshot' | 'primary' | 'kmsHostId' | 'group'>,
  snapshot: MachineSnapshot | null,
): MachineState {
  const primary = snapshot ? primaryProductOf(internOwnSnapshot(snapshot, fields.machineId)) : null;
  return {
    machineId: fields.machineId,
    agentId: fields.agentId,
    hostname: snapshot ? snapshot.hostname : fields.hostname,
    group: fields.groupOverride ?? snapshot?.group ?? '',
    groupOverride: fields.groupOverride,
    snapshot,
    primary,
    kmsHostId: effectiveKmsHostId(primary, fields.lastKmsRequest),
    lastKmsRequest: fields.lastKmsRequest,
    lastReportAt: fields.lastReportAt,
    lastReceivedAt: fields.lastReceivedAt,
    enrolledAt: fields.enrolledAt,
    retired: fields.retired,
  };
}

/** Shares the snapshot's repeated strings (interned.ts) and points it at the machine's own id instance. */
function internOwnSnapshot(snapshot: MachineSnapshot, machineId: string): MachineSnapshot {
  internSnapshot(snapshot);
  if (snapshot.machineId === machineId) snapshot.machineId = machineId;
  return snapshot;
}

function effectiveKmsHostId(primary: ProductState | null, lastKmsRequest: KmsRequestSeen | null): string | null {
  // Activated by an Active Directory object: it depends on no KMS host, whatever it asked one before.
  if (primary?.channel === 'ad-based') return null;
  if (primary?.kmsHost) return kmsHostIdOf(primary.kmsHost.name);
  return lastKmsRequest?.hostId ?? null;
}
