/**
 * The thin adapter between the collector's fleet state and the rules' FleetView. It follows the change feed, keeps
 * what the rules need beyond the state (recent activation events per machine, the 12290 history per KMS host) and
 * says which rules each change touches. Rebuilt at start from the state and the last weeks of stored events.
 */
import type { Database } from 'better-sqlite3';
import { KMS_CLIENT_WINDOW_DAYS, KMS_RENEWAL_INTERVAL_MINUTES, MS } from '../../shared/kms-rules.js';
import type { EventPayload, EventRecord } from '../../shared/protocol.js';
import type { FleetState } from '../server/state/fleet-state.js';
import type { KmsHostState } from '../server/state/kms-host-state.js';
import type { MachineState } from '../server/state/machine-state.js';
import type { StateChange, StoredEvent } from '../server/state/state-change.js';
import { dnsPublishingOf } from './fleet-view.js';
import { canonicalHostName, domainOf } from './host-names.js';
import type { FleetView, KmsHostView, KmsRequestObservation, MachineView } from './model.js';
import type { ChangeKind } from './rule-definition.js';
import type { FleetChange } from './rule-evaluator.js';

/** Events the rules read on a client; anything else is not kept. */
const CLIENT_KINDS = new Set(['activation-request', 'activation-response', 'activation-failed']);
const DNS_KINDS = new Set(['dns-publish-failed', 'dns-publish-succeeded']);
const MAX_CLIENT_EVENTS = 32;
const MAX_DNS_EVENTS = 16;
/** 12290s are kept for the 30-day window plus one renewal interval and a day, enough for the forecast's rhythm. */
const REQUEST_HISTORY_MS = KMS_CLIENT_WINDOW_DAYS * MS.DAY + KMS_RENEWAL_INTERVAL_MINUTES * MS.MINUTE + MS.DAY;

export interface CollectorFleetViewOptions {
  /** The agents' heartbeat interval: AgentStale fires after 3 of them. */
  heartbeatIntervalMs: number;
}

export class CollectorFleetView {
  #state: FleetState;
  #db: Database;
  #heartbeatMs: number;
  #machines = new Map<string, MachineView>();
  #requests = new Map<string, KmsRequestObservation[]>();
  #seeds = new Map<string, { observedSince: number; seedCount: number | null }>();

  constructor(state: FleetState, db: Database, options: CollectorFleetViewOptions) {
    this.#state = state;
    this.#db = db;
    this.#heartbeatMs = options.heartbeatIntervalMs;
  }

  /** Reads the current state and the stored events the rules need. */
  load(now: number): void {
    for (const m of this.#state.machines()) this.#machines.set(m.machineId, this.#machineView(m, []));
    const since = now - REQUEST_HISTORY_MS;
    const rows = this.#db
      .prepare(
        `SELECT machine_id, log, provider, event_id, record_id, time, payload FROM events
         WHERE time >= ? AND kind IN ('activation-request','activation-response','activation-failed','kms-request',
           'dns-publish-failed','dns-publish-succeeded') ORDER BY time, id`,
      )
      .all(since) as Array<{ machine_id: string; log: string; provider: string; event_id: number; record_id: number | null; time: number; payload: string }>;
    for (const r of rows) {
      this.#addEvent(r.machine_id, {
        log: r.log,
        provider: r.provider,
        id: r.event_id,
        recordId: r.record_id ?? 0,
        time: new Date(r.time).toISOString(),
        payload: JSON.parse(r.payload) as EventPayload,
      });
    }
    const first = this.#db.prepare(
      'SELECT at, current_count FROM kms_count_history WHERE host_id = ? ORDER BY at ASC LIMIT 1',
    );
    for (const h of this.#state.kmsHosts()) {
      const row = first.get(h.id) as { at: number; current_count: number | null } | undefined;
      if (row) this.#seeds.set(h.id, { observedSince: row.at, seedCount: row.current_count });
    }
  }

  /** Folds one change in; returns what it touched, or null when no rule cares. */
  apply(change: StateChange): FleetChange | null {
    switch (change.kind) {
      case 'machine': {
        const before = change.before;
        const after = change.after;
        const kinds: ChangeKind[] = [];
        if (!before || before.snapshot !== after.snapshot || before.group !== after.group || before.hostname !== after.hostname) kinds.push('snapshot');
        if (!before || before.lastReceivedAt !== after.lastReceivedAt || before.lastReportAt !== after.lastReportAt) kinds.push('report');
        if (!before || (before.retired === null) !== (after.retired === null)) kinds.push('retired');
        const events = this.#machines.get(after.machineId)?.recentEvents ?? [];
        this.#machines.set(after.machineId, this.#machineView(after, events));
        return kinds.length ? { machineId: after.machineId, kinds } : null;
      }
      case 'kms-host': {
        const after = change.after;
        if (!this.#seeds.has(after.id) && after.kmsService) {
          this.#seeds.set(after.id, { observedSince: after.serviceCollectedAt ?? after.firstSeenAt, seedCount: after.kmsService.currentCount });
        }
        return { machineId: after.machineId ?? '', kinds: ['snapshot'] };
      }
      case 'event': {
        const e = change.event;
        if (!this.#relevant(e.payload)) return null;
        this.#addEvent(e.machineId, toEventRecord(e));
        return { machineId: e.machineId, kinds: ['events'] };
      }
      case 'kms-client':
        return null;
    }
  }

  view(now: number): FleetView {
    const kmsHosts: KmsHostView[] = [];
    for (const h of this.#state.kmsHosts()) {
      const v = this.#hostView(h, now);
      if (v) kmsHosts.push(v);
    }
    return { machines: [...this.#machines.values()], kmsHosts };
  }

  #relevant(p: StoredEvent['payload']): p is EventPayload {
    return CLIENT_KINDS.has(p.kind) || DNS_KINDS.has(p.kind) || p.kind === 'kms-request';
  }

  #addEvent(machineId: string, e: EventRecord): void {
    if (e.payload.kind === 'kms-request') {
      const hostId = this.#hostIdOfMachine(machineId);
      if (!hostId) return;
      const list = this.#requests.get(hostId) ?? [];
      const p = e.payload;
      list.push({ time: Date.parse(e.time), clientFqdn: p.clientFqdn, cmid: p.cmid, nPolicy: p.nPolicy, hresult: p.hresult, licenseStatus: p.licenseStatus });
      this.#requests.set(hostId, list);
      return;
    }
    const m = this.#machines.get(machineId);
    if (!m) return;
    const client = m.recentEvents.filter((x) => CLIENT_KINDS.has(x.payload.kind));
    const dns = m.recentEvents.filter((x) => DNS_KINDS.has(x.payload.kind));
    if (CLIENT_KINDS.has(e.payload.kind)) client.push(e);
    else dns.push(e);
    m.recentEvents = [...client.slice(-MAX_CLIENT_EVENTS), ...dns.slice(-MAX_DNS_EVENTS)];
  }

  #hostIdOfMachine(machineId: string): string | null {
    for (const h of this.#state.kmsHosts()) if (h.machineId === machineId) return h.id;
    const m = this.#state.machine(machineId);
    return m ? canonicalHostName(m.hostname) : null;
  }

  #machineView(m: MachineState, recentEvents: EventRecord[]): MachineView {
    const s = m.snapshot;
    return {
      machineId: m.machineId,
      hostname: m.hostname,
      dnsDomain: domainOf(m.hostname),
      group: m.group,
      osKind: s?.os.kind ?? 'client',
      cmid: s?.cmid ?? null,
      products: s?.products ?? [],
      ...(s?.kmsService ? { kmsService: s.kmsService } : {}),
      // The collector's clock: "no report within 3 heartbeats" is judged where the reports arrive.
      lastReportAt: m.lastReceivedAt ?? m.lastReportAt ?? m.enrolledAt,
      agentClockOffsetMs: m.lastReportAt !== null && m.lastReceivedAt !== null ? m.lastReportAt - m.lastReceivedAt : 0,
      heartbeatIntervalMs: this.#heartbeatMs,
      retired: m.retired !== null,
      recentEvents,
    };
  }

  #hostView(h: KmsHostState, now: number): KmsHostView | undefined {
    if (!h.kmsService || !h.machineId) return undefined;
    const m = this.#machines.get(h.machineId);
    const list = this.#requests.get(h.id) ?? [];
    // Prune in place: the history only needs to reach back one window plus one renewal interval.
    const cutoff = now - REQUEST_HISTORY_MS;
    if (list.length && list[0]!.time < cutoff) this.#requests.set(h.id, list.filter((r) => r.time >= cutoff));
    const dnsEvents = m?.recentEvents.filter((e) => DNS_KINDS.has(e.payload.kind)) ?? [];
    const seed = this.#seeds.get(h.id) ?? { observedSince: h.firstSeenAt, seedCount: null };
    return {
      hostId: h.id,
      machineId: h.machineId,
      hostname: h.hostname,
      dnsDomain: domainOf(h.hostname),
      group: m?.group ?? '',
      retired: m?.retired ?? false,
      kmsService: h.kmsService,
      observedSince: seed.observedSince,
      seedCount: seed.seedCount,
      requests: this.#requests.get(h.id) ?? [],
      dnsPublishing: dnsPublishingFrom(dnsEvents, h),
      lastReportAt: m?.lastReportAt ?? now,
      agentClockOffsetMs: m?.agentClockOffsetMs ?? 0,
    };
  }
}

function toEventRecord(e: StoredEvent): EventRecord {
  return { log: e.log, provider: e.provider, id: e.eventId, recordId: e.recordId, time: new Date(e.time).toISOString(), payload: e.payload as EventPayload };
}

/** Per-domain publishing results from the host's events, falling back on the state's summary when none are kept. */
function dnsPublishingFrom(events: EventRecord[], h: KmsHostState): KmsHostView['dnsPublishing'] {
  const fromEvents = dnsPublishingOf(events);
  if (fromEvents.length > 0 || !h.dnsFailure) return fromEvents;
  const domain = canonicalHostName(h.dnsFailure.domain);
  return [{ domain, lastFailedAt: h.dnsFailure.at, lastFailedHresult: h.dnsFailure.hresult, lastSucceededAt: h.lastDnsSuccessAt }];
}
