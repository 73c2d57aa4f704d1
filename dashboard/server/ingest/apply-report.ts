import type { KmsServiceState, MachineSnapshot, ProductState, Report } from '../../../shared/protocol.js';
import type { AgentRecord } from '../identity/agent-registry.js';
import type { ActivationRequestPayload } from '../../../shared/protocol.js';
import { thresholdFor } from '../../../shared/kms-rules.js';
import { windowKeyOf, type ClientSeenCount, type KmsClientEntry, type KmsHostState } from '../state/kms-host-state.js';
import { kmsHostIdOf, withKmsRequest, withSnapshot, type MachineState } from '../state/machine-state.js';
import type { UnitOfWork } from './unit-of-work.js';

/** A change of the expiry instant smaller than this is the agent's minute counter ticking, not a new period. */
const GRACE_JITTER_MS = 60 * 60_000;
/** What clients heard of a host without an agent is rewritten at most this often while its count stays the same. */
const SEEN_COUNT_REFRESH_MS = 60 * 60_000;

/**
 * Applies one validated, authorised, not-yet-seen report inside a unit of work: the machine's snapshot and times,
 * its products' state history, the KMS host it is or uses, its events and the client window they feed. O(size of
 * the report); nothing here scans the fleet.
 */
export function applyReport(u: UnitOfWork, agent: AgentRecord, report: Report, receivedAt: number): void {
  const sentAt = Date.parse(report.sentAt);
  const stored = u.machine(agent.machineId);
  if (stored && isHeartbeat(stored, agent, report)) {
    // Only the report times change: no history, no event, no host; one UPDATE of two columns at commit.
    u.touchMachine({ ...stored, lastReportAt: Math.max(stored.lastReportAt ?? sentAt, sentAt), lastReceivedAt: receivedAt });
    return;
  }
  let m: MachineState = stored ?? newMachine(agent, receivedAt);
  const wasRetired = m.retired;
  m = {
    ...m,
    agentId: agent.agentId,
    lastReportAt: Math.max(m.lastReportAt ?? sentAt, sentAt),
    lastReceivedAt: receivedAt,
    retired: null,
  };
  const hosts = new Map<string, KmsHostState>();
  const host = (id: string, hostname: string): KmsHostState => {
    const h = hosts.get(id) ?? u.kmsHost(id) ?? newHost(id, hostname, receivedAt);
    hosts.set(id, h);
    return h;
  };

  const snap = report.snapshot;
  if (snap && (!m.snapshot || Date.parse(snap.collectedAt) >= Date.parse(m.snapshot.collectedAt))) {
    recordHistory(u, m.machineId, m.snapshot, snap);
    m = withSnapshot(m, snap);
    if (snap.kmsService) {
      const id = kmsHostIdOf(snap.hostname);
      const h = host(id, snap.hostname);
      const at = Date.parse(snap.collectedAt);
      if (!h.kmsService || h.kmsService.currentCount !== snap.kmsService.currentCount) {
        u.store.addCountPoint(id, at, snap.kmsService.currentCount);
      }
      hosts.set(id, serviceUpdated(h, m.machineId, snap.hostname, snap.kmsService, at));
    }
    if (m.kmsHostId && m.primary?.kmsHost) host(m.kmsHostId, m.primary.kmsHost.name);
  }
  if (wasRetired) {
    u.addCollectorEvent(m.machineId, sentAt, receivedAt, 'machine-reactivated', `reporting again after it was retired (${wasRetired.reason})`);
  }

  const ownHostId = kmsHostIdOf(m.hostname);
  const clients = new Map<string, KmsClientEntry>();
  /** Window entries of hosts no agent reports, from this client's answered requests (12288 then 12289). */
  const seen = new Map<string, Map<string, KmsClientEntry>>();
  /** The newest 12288 of this report: the 12289 after it is its answer (12289 does not name the host). */
  let asked: { hostId: string; time: number; p: ActivationRequestPayload } | null = null;
  for (const e of report.events ?? []) {
    const time = Date.parse(e.time);
    const stored = u.addEvent({
      machineId: m.machineId,
      log: e.log,
      provider: e.provider,
      eventId: e.id,
      recordId: e.recordId,
      time,
      receivedAt,
      payload: e.payload,
    });
    if (!stored) continue;
    const p = e.payload;
    if (p.kind === 'activation-request' && p.kmsHost) {
      const id = kmsHostIdOf(p.kmsHost);
      host(id, p.kmsHost);
      m = withKmsRequest(m, { hostId: id, at: time, ok: p.hresult === 0 });
      if (!asked || asked.time <= time) asked = { hostId: id, time, p };
    } else if (p.kind === 'activation-response') {
      // 12289 does not name the host: it answers this report's newest 12288, else the machine's last known request.
      const to = asked ?? (m.lastKmsRequest ? { hostId: m.lastKmsRequest.hostId, time: m.lastKmsRequest.at, p: null } : null);
      if (to && to.time <= time) {
        const h = host(to.hostId, to.hostId);
        if (h.machineId === null) {
          let w = seen.get(to.hostId);
          if (!w) seen.set(to.hostId, (w = new Map()));
          hosts.set(to.hostId, answeredWithoutAgent(u, h, m, to, { time, hresult: p.hresult, count: p.currentCount }, w));
        }
      }
      asked = null;
    } else if (p.kind === 'kms-init-failure' || p.kind === 'kms-renewal-timer-failure') {
      const h = host(ownHostId, m.hostname);
      if (!h.serviceFailure || h.serviceFailure.at <= time) {
        const init = p.kind === 'kms-init-failure';
        hosts.set(ownHostId, {
          ...h,
          // Only a KMS host logs these: if its snapshot carried no KMS service (it failed to start), this is its agent.
          machineId: h.machineId ?? m.machineId,
          serviceFailure: { kind: init ? 'init' : 'renewal-timer', eventId: init ? 12291 : 12292, at: time, hresult: p.hresult, receivedAt },
        });
      }
    } else if (p.kind === 'kms-request') {
      const h = host(ownHostId, m.hostname);
      const key = windowKeyOf(p.cmid, u.state.applications.of(p.activationId));
      const old = clients.get(key) ?? u.kmsClient(ownHostId, key);
      if (!old || old.lastRequestAt <= time) {
        clients.set(key, {
          cmid: key,
          clientFqdn: p.clientFqdn,
          lastRequestAt: time,
          licenseStatus: p.licenseStatus,
          hresult: p.hresult,
          nPolicy: p.nPolicy,
          isVm: p.isVm,
          activationId: p.activationId,
          minutesToExpiry: p.minutesToExpiry,
          requests: (old?.requests ?? 0) + 1,
        });
      } else {
        clients.set(key, { ...old, requests: old.requests + 1 });
      }
      if (h.lastRequestAt === null || h.lastRequestAt < time) hosts.set(ownHostId, { ...h, lastRequestAt: time });
    } else if (p.kind === 'dns-publish-failed') {
      const h = host(ownHostId, m.hostname);
      if ((h.lastDnsSuccessAt === null || h.lastDnsSuccessAt < time) && (!h.dnsFailure || h.dnsFailure.at < time)) {
        hosts.set(ownHostId, { ...h, dnsFailure: { at: time, hresult: p.hresult, domain: p.domain } });
      }
    } else if (p.kind === 'dns-publish-succeeded') {
      const h = host(ownHostId, m.hostname);
      if (h.lastDnsSuccessAt === null || h.lastDnsSuccessAt < time) {
        hosts.set(ownHostId, {
          ...h,
          lastDnsSuccessAt: time,
          dnsFailure: h.dnsFailure && h.dnsFailure.at <= time ? null : h.dnsFailure,
        });
      }
    }
  }
  if ((report.lostEvents ?? 0) > 0) {
    u.addCollectorEvent(m.machineId, sentAt, receivedAt, 'events-lost', `the agent dropped ${report.lostEvents} events (its outbox was full)`);
  }

  u.putMachine(m);
  for (const [id, h] of hosts) if (h !== u.kmsHost(id)) u.putKmsHost(h);
  for (const c of clients.values()) u.putKmsClient(ownHostId, c);
  for (const [hostId, w] of seen) for (const c of w.values()) u.putKmsClient(hostId, c);
}

/**
 * A host no agent reports answered one of this machine's requests: what the answer says is all we know of it. Keeps
 * the count it answered with (per application, with a count history point for Windows) and the client in its window
 * (keyed as `windowKeyOf`, at the request's time: the host counts the CMID from then). Returns the host as it is now.
 */
function answeredWithoutAgent(
  u: UnitOfWork,
  h: KmsHostState,
  m: MachineState,
  to: { hostId: string; time: number; p: ActivationRequestPayload | null },
  answer: { time: number; hresult: number; count: number },
  window: Map<string, KmsClientEntry>,
): KmsHostState {
  const application = u.state.applications.of(to.p?.activationId ?? m.primary?.activationId);
  let next = seenCount(h, { application, count: answer.count, at: answer.time, machineId: m.machineId });
  if (next !== h) {
    const before = (h.seenByClients ?? []).find((c) => c.application === application);
    if (application === 'windows' && before?.count !== answer.count) u.store.addCountPoint(to.hostId, answer.time, answer.count);
  }
  const cmid = to.p?.cmid ?? m.snapshot?.cmid;
  if (!cmid) return next;
  const key = windowKeyOf(cmid, application);
  const old = window.get(key) ?? u.kmsClient(to.hostId, key);
  if (!old || old.lastRequestAt <= to.time) {
    window.set(key, {
      cmid: key,
      clientFqdn: m.hostname,
      lastRequestAt: to.time,
      licenseStatus: to.p?.licenseStatus ?? m.primary?.licenseStatus ?? 1,
      hresult: answer.hresult,
      nPolicy: to.p?.nPolicy ?? thresholdFor(m.snapshot?.os.kind ?? 'client'),
      isVm: (to.p?.vmFlag ?? 0) === 1,
      activationId: to.p?.activationId ?? m.primary?.activationId ?? '',
      minutesToExpiry: to.p?.minutesToExpiry ?? 0,
      requests: (old?.requests ?? 0) + 1,
    });
  }
  if (next.lastRequestAt === null || next.lastRequestAt < to.time) next = { ...next, lastRequestAt: to.time };
  return next;
}

/** The host with one application's count as a client heard it, when that is newer than what it holds. */
function seenCount(h: KmsHostState, c: ClientSeenCount): KmsHostState {
  const list = h.seenByClients ?? [];
  const old = list.find((x) => x.application === c.application);
  // Every client's renewal carries the count: the same count within the hour is not worth a write of the host's row.
  if (old && (old.at > c.at || (old.count === c.count && c.at - old.at < SEEN_COUNT_REFRESH_MS))) return h;
  return { ...h, seenByClients: [...list.filter((x) => x.application !== c.application), c] };
}

/**
 * A report that changes nothing but the machine's report times: no events, no loss count, and no snapshot, an older
 * one, or one equal to the stored snapshot apart from `collectedAt` and grace instants within GRACE_JITTER_MS.
 */
function isHeartbeat(m: MachineState, agent: AgentRecord, report: Report): boolean {
  if (m.retired || m.agentId !== agent.agentId) return false;
  if ((report.events?.length ?? 0) > 0 || (report.lostEvents ?? 0) > 0) return false;
  const snap = report.snapshot;
  if (!snap) return true;
  if (!m.snapshot) return false;
  if (Date.parse(snap.collectedAt) < Date.parse(m.snapshot.collectedAt)) return true; // older: ignored anyway
  return sameApartFromTimes(m.snapshot, snap);
}

function sameApartFromTimes(a: MachineSnapshot, b: MachineSnapshot): boolean {
  if (a.products.length !== b.products.length) return false;
  for (let i = 0; i < a.products.length; i++) {
    const pa = a.products[i]!;
    const pb = b.products[i]!;
    if (!sameGrace(pa, pb) || !sameJson(pa, pb, 'graceExpiresAt')) return false;
  }
  return sameJson(a, b, 'collectedAt', 'products');
}

/** Structural equality of JSON values (an absent key and an undefined one are the same), skipping some top-level keys. */
function sameJson(a: unknown, b: unknown, ...skip: string[]): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], bb[i])) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let na = 0;
  for (const k in ra) {
    if (ra[k] === undefined || skip.includes(k)) continue;
    na++;
    if (!sameJson(ra[k], rb[k])) return false;
  }
  let nb = 0;
  for (const k in rb) if (rb[k] !== undefined && !skip.includes(k)) nb++;
  return na === nb;
}

export function newMachine(agent: { agentId: string; machineId: string; hostname: string }, at: number): MachineState {
  return {
    machineId: agent.machineId,
    agentId: agent.agentId,
    hostname: agent.hostname,
    group: '',
    groupOverride: null,
    snapshot: null,
    primary: null,
    kmsHostId: null,
    lastKmsRequest: null,
    lastReportAt: null,
    lastReceivedAt: null,
    enrolledAt: at,
    retired: null,
  };
}

function newHost(id: string, hostname: string, at: number): KmsHostState {
  return {
    id,
    hostname,
    machineId: null,
    kmsService: null,
    serviceCollectedAt: null,
    lastRequestAt: null,
    dnsFailure: null,
    lastDnsSuccessAt: null,
    firstSeenAt: at,
    seenByClients: null,
    serviceFailure: null,
  };
}

function serviceUpdated(h: KmsHostState, machineId: string, hostname: string, s: KmsServiceState, at: number): KmsHostState {
  // Its own agent reports it now: what clients heard of it is superseded.
  return { ...h, machineId, hostname, kmsService: s, serviceCollectedAt: at, seenByClients: null };
}

/** Writes a history point for every product whose status, reason or period changed (or that is new). */
function recordHistory(u: UnitOfWork, machineId: string, old: MachineSnapshot | null, next: MachineSnapshot): void {
  const at = Date.parse(next.collectedAt);
  const before = new Map<string, ProductState>();
  for (const p of old?.products ?? []) before.set(p.activationId, p);
  for (const p of next.products) {
    const o = before.get(p.activationId);
    if (o && o.licenseStatus === p.licenseStatus && o.licenseStatusReason === p.licenseStatusReason && sameGrace(o, p)) continue;
    u.store.addHistory(machineId, at, p);
  }
}

function sameGrace(a: ProductState, b: ProductState): boolean {
  if (a.graceExpiresAt === null || b.graceExpiresAt === null) return a.graceExpiresAt === b.graceExpiresAt;
  return Math.abs(Date.parse(a.graceExpiresAt) - Date.parse(b.graceExpiresAt)) < GRACE_JITTER_MS;
}
