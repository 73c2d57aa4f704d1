/**
 * ActivationFailing: a client's latest activation attempts failed: a 12288 with an HRESULT, a 12288 never answered by
 * a 12289, a 12289 refusing activation (count too low), or an 8198. One success (a 12289 that activated, or a renewal
 * visible in the product's new expiry) clears it. Warning, with the error decoded.
 */
import { z } from 'zod';
import { KMS_ACTIVATION_VALIDITY_DAYS, MS } from '../../../shared/kms-rules.js';
import { LICENSE_STATUS } from '../../../shared/license-status.js';
import type { EventRecord } from '../../../shared/protocol.js';
import { agentNow } from '../agent-time.js';
import { decodeHresult, hresultName } from '../knowledge/hresult-text.js';
import { canonicalHostName } from '../host-names.js';
import { kmsClientProducts, kmsHostOfMachine } from '../kms-dependency.js';
import type { Finding, FleetView, MachineView } from '../model.js';
import { firstAfter, type ByGroup } from '../rule-definition.js';

export const ActivationFailingConfig = z.strictObject({
  rule: z.literal('ActivationFailing'),
  enabled: z.boolean().default(true),
  /** Consecutive failed attempts before it fires. */
  minFailures: z.number().int().min(1).default(1),
  /** A 12288 with no 12289 after this long counts as unanswered. */
  responseTimeoutMinutes: z.number().positive().default(15),
});
export type ActivationFailingConfig = z.infer<typeof ActivationFailingConfig>;

/** 0xC004F038: the count is too low; what a refusal with the NOT_ENOUGH_COUNT flag means. */
const COUNT_TOO_LOW = 0xc004f038;
/** 0xC004F074: no KMS host could be contacted; what an unanswered request amounts to. */
const NO_KMS_CONTACTED = 0xc004f074;

interface Failure {
  time: number;
  hresult: number;
  host: string | null;
}

// The walk over a machine's events depends only on its events and products (each change replaces them), not on
// the instant: remember it, and apply the response timeout afresh at each evaluation.
const walks = new WeakMap<MachineView, { events: unknown; products: unknown; walk: Walk }>();
interface Walk {
  failures: Failure[];
  pending: { time: number; host: string | null } | null;
  lastRenewal: number;
  latest: number;
}

/** The failures since the last success, oldest first. */
export function failuresSinceSuccess(m: MachineView, now: number, responseTimeoutMs: number): Failure[] {
  const full = walkOf(m);
  // Events later than `now` (an agent clock ahead of the collector's) are left out: walk again without them.
  const w = full.latest > now ? walkEvents(m, now) : full;
  return w.failures.concat(pendingFailure(w, now, responseTimeoutMs));
}

/**
 * The walk over all of a machine's events, remembered per view. Not for a machine without events (most of them):
 * their walk is free, and a million of them would only grow the memo's table, which never shrinks.
 */
function walkOf(m: MachineView): Walk {
  if (m.recentEvents.length === 0) return NO_WALK;
  let hit = walks.get(m);
  if (!hit || hit.events !== m.recentEvents || hit.products !== m.products) {
    hit = { events: m.recentEvents, products: m.products, walk: walkEvents(m) };
    walks.set(m, hit);
  }
  return hit.walk;
}

function pendingFailure(w: Walk, now: number, responseTimeoutMs: number): Failure[] {
  const p = w.pending;
  return p && now - p.time > responseTimeoutMs && p.time > w.lastRenewal ? [{ time: p.time, hresult: NO_KMS_CONTACTED, host: p.host }] : [];
}

/** What a machine without activation events walks to (most machines between renewals): nothing. */
const NO_WALK: Walk = { failures: [], pending: null, lastRenewal: -Infinity, latest: -Infinity };

function walkEvents(m: MachineView, upTo = Infinity): Walk {
  if (m.recentEvents.length === 0) return NO_WALK;
  const events = m.recentEvents
    .filter((e) => e.payload.kind === 'activation-request' || e.payload.kind === 'activation-response' || e.payload.kind === 'activation-failed')
    .map((e) => ({ e, t: Date.parse(e.time) }))
    .filter((x) => x.t <= upTo)
    .sort((a, b) => a.t - b.t || a.e.recordId - b.e.recordId);
  // A renewal the product state shows (its 180 days restarted) is a success even if its events were not read.
  const lastRenewal = Math.max(
    -Infinity,
    ...kmsClientProducts(m)
      .filter((p) => p.licenseStatus === LICENSE_STATUS.LICENSED && p.graceExpiresAt !== null)
      .map((p) => Date.parse(p.graceExpiresAt!) - KMS_ACTIVATION_VALIDITY_DAYS * MS.DAY),
  );
  let failures: Failure[] = [];
  let pending: { time: number; host: string | null } | null = null;
  const fail = (f: Failure) => {
    if (f.time > lastRenewal) failures.push(f);
  };
  for (const { e, t } of events) {
    const p = (e as EventRecord).payload;
    if (p.kind === 'activation-request') {
      const host = p.kmsHost ? canonicalHostName(p.kmsHost) : null;
      if (pending) fail({ time: pending.time, hresult: NO_KMS_CONTACTED, host: pending.host });
      pending = null;
      if (p.hresult !== 0) fail({ time: t, hresult: p.hresult, host });
      else pending = { time: t, host };
    } else if (p.kind === 'activation-response') {
      const host = pending?.host ?? null;
      pending = null;
      if (p.hresult === 0 && p.activated) failures = [];
      else fail({ time: t, hresult: p.hresult !== 0 ? p.hresult : p.notEnoughCount ? COUNT_TOO_LOW : NO_KMS_CONTACTED, host });
    } else if (p.kind === 'activation-failed') {
      if (p.hresult !== 0) fail({ time: t, hresult: p.hresult, host: null });
    }
  }
  const latest = events.length ? events[events.length - 1]!.t : -Infinity;
  return { failures, pending, lastRenewal, latest };
}

export function evaluate(state: FleetView, now: number, config: ByGroup<ActivationFailingConfig>): Finding[] {
  const out: Finding[] = [];
  for (const m of state.machines) {
    const c = config.forGroup(m.group);
    if (m.retired || !c.enabled) continue;
    const failures = failuresSinceSuccess(m, agentNow(m, now), c.responseTimeoutMinutes * MS.MINUTE);
    if (failures.length < c.minFailures) continue;
    const last = failures[failures.length - 1]!;
    const decoded = decodeHresult(last.hresult);
    const kmsHost = [...failures].reverse().find((f) => f.host)?.host ?? kmsHostOfMachine(m, state);
    out.push({
      rule: 'ActivationFailing',
      severity: 'warning',
      key: `ActivationFailing|machine:${m.machineId}`,
      subject: { kind: 'machine', id: m.machineId, name: m.hostname },
      group: m.group,
      kmsHost,
      machines: [
        {
          machineId: m.machineId,
          hostname: m.hostname,
          detail: `${failures.length} failed attempt(s) since ${new Date(failures[0]!.time).toISOString()}, last ${decoded.code}`,
        },
      ],
      summary: `${m.hostname}: activation failing with ${decoded.code} (${hresultName(last.hresult)})`,
      knowledge: {
        meaning: 'The client tried to activate or renew with a KMS host and did not succeed. It keeps retrying every 2 hours.',
        cause: causeOf(last.hresult),
        action:
          'Fix what the error code names (host reachable on TCP 1688, SRV record present, host count at the threshold, clock within 4 hours), then activate.',
        hresult: decoded,
        commands: [
          'cscript //nologo %windir%\\system32\\slmgr.vbs /ato',
          'nslookup -type=srv _vlmcs._tcp',
          `Test-NetConnection ${kmsHost ?? '<kms-host>'} -Port 1688`,
          "Get-WinEvent -FilterHashtable @{LogName='Application'; Id=12288,12289,8198} -MaxEvents 10",
        ],
      },
    });
  }
  return out;
}

function causeOf(hr: number): string {
  switch (hr >>> 0) {
    case 0xc004f074:
    case 0xc004f039:
    case 0xc0020017:
    case 0x8007139f:
    case 0x800706ba:
      return 'The KMS host did not answer: it is down, the Software Protection service stopped, or TCP 1688 is blocked on the way.';
    case 0xc004f038:
      return 'The KMS host answered but its count is below the threshold this client needs (25 for client OS, 5 for servers).';
    case 0xc004f06c:
      return "The client's clock and the KMS host's clock differ by more than 4 hours.";
    case 0x8007232b:
    case 0x8007251d:
    case 0x8007007b:
    case 0x80092328:
      return 'The client found no _vlmcs._tcp SRV record in its DNS domain.';
    case 0xc004f041:
      return 'The KMS host itself is not activated.';
    case 0xc004f042:
      return 'The KMS host key cannot activate this product (host key too old for this Windows version).';
    default:
      return 'See the decoded error code.';
  }
}

/**
 * An unanswered request counts as failed once the response timeout has passed; events stamped ahead of the
 * collector's clock (an agent clock running fast) come into view when their time comes.
 */
export function dueAt(m: MachineView, now: number, config: ByGroup<ActivationFailingConfig>): number | null {
  const c = config.forGroup(m.group);
  if (m.retired || !c.enabled || m.recentEvents.length === 0) return null;
  const at = agentNow(m, now);
  const offset = at - now;
  const timeoutMs = c.responseTimeoutMinutes * MS.MINUTE;
  const full = walkOf(m);
  const seen = full.latest > at ? walkEvents(m, at) : full;
  const instants: Array<number | null> = [seen.pending ? seen.pending.time + timeoutMs + 1 - offset : null];
  if (full.latest > at) instants.push(full.latest - offset, full.pending ? full.pending.time + timeoutMs + 1 - offset : null);
  return firstAfter(now, instants);
}
