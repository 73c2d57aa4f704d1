/**
 * The thin adapter between the collector's fleet state and the rules' FleetView. It follows the change feed, keeps
 * what the rules need beyond the state (recent activation events per machine, the 12290 history per KMS host) and
 * says which rules each change touches. It is also the rules' FleetIndex: which machines may depend on a host, which
 * host last saw a CMID, which machines are known to have stopped, which reach Notification soon; each kept up to date
 * per change, so no question the rules or the forecasts ask walks the fleet.
 * Rebuilt at start from the state and the last weeks of stored events.
 */
import type { Database } from 'better-sqlite3';
import { KMS_CLIENT_WINDOW_DAYS, KMS_DEFAULT_PORT, KMS_RENEWAL_INTERVAL_MINUTES, MS, OFFICE_APPLICATION_ID } from '../../shared/kms-rules.js';
import type { EventPayload, EventRecord } from '../../shared/protocol.js';
import { expiryPathOf } from '../forecast/notification-date.js';
import type { FleetState } from '../server/state/fleet-state.js';
import { keyPart, SharedValues } from '../server/state/interned.js';
import { applicationOfEntry, cmidOfEntry, type KmsHostState } from '../server/state/kms-host-state.js';
import type { MachineState } from '../server/state/machine-state.js';
import { addTo, removeFrom } from '../server/state/single-index.js';
import type { StateChange, StoredEvent } from '../server/state/state-change.js';
import { dnsPublishingOf } from './fleet-view.js';
import { canonicalHostName, domainOf, firstLabel } from './host-names.js';
import { dependentKindsOf, kmsHostNamesOf, kmsHostOfMachine, type DependentKind } from './kms-dependency.js';
import type { FleetIndex, FleetView, KmsHostView, KmsRequestObservation, MachineView } from './model.js';
import type { ChangeKind } from './rule-definition.js';
import type { FleetChange } from './rule-evaluator.js';

/** Events the rules read on a client; anything else is not kept. */
const CLIENT_KINDS = new Set(['activation-request', 'activation-response', 'activation-failed']);
const DNS_KINDS = new Set(['dns-publish-failed', 'dns-publish-succeeded']);
const MAX_CLIENT_EVENTS = 32;
const MAX_DNS_EVENTS = 16;
/** 12290s are kept for the 30-day window plus one renewal interval and a day, enough for the forecast's rhythm. */
const REQUEST_HISTORY_MS = KMS_CLIENT_WINDOW_DAYS * MS.DAY + KMS_RENEWAL_INTERVAL_MINUTES * MS.MINUTE + MS.DAY;
const NO_EVENTS: EventRecord[] = [];
/** The expiry bucket of machines already in Notification (before any day). */
const IN_NOTIFICATION = -Infinity;

export interface CollectorFleetViewOptions {
  /** The agents' heartbeat interval: AgentStale fires after 3 of them. */
  heartbeatIntervalMs: number;
  /**
   * When the collector started listening. Silence is counted from then at the earliest: while the collector was down
   * no agent could report, and a restart after a long stop must not find the whole fleet stale at once.
   */
  listeningSince?: number;
}

/** What the index remembers of one live machine: its dependency, and where it is filed (to take it out again). */
interface Indexed {
  readonly dep: string | null;
  /** First labels of the host names it points at: one string (the common case) or several. */
  readonly labels: string | readonly string[] | null;
  readonly expiryDay: number | null;
  /** The kinds the rules ask about by themselves (see `DependentKind`); one of four shared arrays. */
  readonly kinds: readonly DependentKind[];
}

export class CollectorFleetView implements FleetIndex {
  #state: FleetState;
  #db: Database;
  #heartbeatMs: number;
  #since: number;
  /** Recent client and DNS events of the machines that have any (most machines' views are built without a copy). */
  #events = new Map<string, EventRecord[]>();
  #requests = new Map<string, KmsRequestObservation[]>();
  #seeds = new Map<string, { observedSince: number; seedCount: number | null }>();
  #hostIdByMachine = new Map<string, string>();
  // ---- the index (live machines only) ----
  #indexed = new Map<string, Indexed>();
  /**
   * First label of every host name a machine points at → those machines, apart per kinds of dependent the machine is
   * (one of four shared arrays, see dependentKindsOf): "does a client OS depend on this host?" and "which Office
   * clients use it?" are asked per host every minute, and a host only servers use, or with few Office clients, would
   * otherwise walk all its dependents to answer. Each machine is in one set per label, not in one per kind as well.
   */
  #byKindsAndLabel = new Map<readonly DependentKind[], Map<string, Set<string>>>();
  #cmidSeen = new Map<string, { host: string; time: number }>();
  /** Records repeat across the fleet (a few hosts, their clients' expiry days, four kinds): one per distinct value. */
  #records = new SharedValues<Indexed>();
  #retired = new Set<string>();
  #byExpiryDay = new Map<number, Set<string>>();
  /** Machines whose derived facts (health inputs, dependency) changed since the last `drainTouched()`. */
  #touched = new Set<string>();
  #staleIds: () => Iterable<string> = () => [];
  #stopped: { at: number; value: { cmids: Set<string>; hostnames: string[] } } | undefined;
  /** Machines looked at through the index (tests prove per-change work is bounded with it). */
  visits = 0;

  constructor(state: FleetState, db: Database, options: CollectorFleetViewOptions) {
    this.#state = state;
    this.#db = db;
    this.#heartbeatMs = options.heartbeatIntervalMs;
    this.#since = options.listeningSince ?? -Infinity;
  }

  /** Where `knownStopped` finds the machines currently judged silent (the AgentStale findings). */
  setStaleSource(ids: () => Iterable<string>): void {
    this.#staleIds = ids;
    this.#stopped = undefined;
  }

  /** The stale source changed: `knownStopped` must look again even at the same instant. */
  staleChanged(): void {
    this.#stopped = undefined;
  }

  /** Reads the current state and the stored events the rules need (start-up: the one pass over the fleet). */
  load(now: number): void {
    this.#loadStored(now);
    // Nothing is "touched" at start (every machine is new to the engine, which evaluates them all anyway).
    for (const m of this.#state.machines()) this.#reindex(m.machineId, false, m);
    this.#touched.clear();
  }

  /**
   * `load`, with the pass over the fleet in slices of about `sliceMs` that hand the event loop back (a big fleet: ~6 s
   * at a million machines, while the collector already takes reports). A machine that changes meanwhile is filed by
   * its change, at once, and again, the same, when the pass comes to it: the pass reads each machine as it is then.
   * Until the promise settles, questions about a host's dependents see only the machines filed so far.
   */
  async loadInSlices(now: number, options: { sliceMs?: number; stopped?: () => boolean } = {}): Promise<void> {
    const { sliceMs = 10, stopped = () => false } = options;
    this.#loadStored(now);
    let sliceStart = performance.now();
    let n = 0;
    // The state's own iterator: machines enrolled meanwhile come at its end, and are filed like the others.
    for (const m of this.#state.machines()) {
      this.#reindex(m.machineId, false, m);
      if (++n % 256 === 0 && performance.now() - sliceStart >= sliceMs) {
        await new Promise((r) => setImmediate(r));
        if (stopped()) return;
        sliceStart = performance.now();
      }
    }
  }

  #loadStored(now: number): void {
    for (const h of this.#state.kmsHosts()) if (h.machineId) this.#hostIdByMachine.set(h.machineId, h.id);
    const since = now - REQUEST_HISTORY_MS;
    const rows = this.#db
      .prepare(
        `SELECT machine_id, log, provider, event_id, record_id, time, payload FROM events
         WHERE time >= ? AND kind IN ('activation-request','activation-response','activation-failed','kms-request',
           'dns-publish-failed','dns-publish-succeeded') ORDER BY time, id`,
      )
      .iterate(since) as IterableIterator<{ machine_id: string; log: string; provider: string; event_id: number; record_id: number | null; time: number; payload: string }>;
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
    const first = this.#db.prepare('SELECT at, current_count FROM kms_count_history WHERE host_id = ? ORDER BY at ASC LIMIT 1');
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
        // A heartbeat moves only the times: nothing the index keeps depends on them.
        if (kinds.some((k) => k !== 'report')) this.#reindex(after.machineId);
        return kinds.length ? { machineId: after.machineId, kinds } : null;
      }
      case 'kms-host': {
        const after = change.after;
        if (after.machineId) this.#hostIdByMachine.set(after.machineId, after.id);
        if (!this.#seeds.has(after.id) && after.kmsService) {
          this.#seeds.set(after.id, { observedSince: after.serviceCollectedAt ?? after.firstSeenAt, seedCount: after.kmsService.currentCount });
        }
        return { machineId: after.machineId ?? '', kinds: ['snapshot'] };
      }
      case 'event': {
        const e = change.event;
        if (!this.#relevant(e.payload)) return null;
        this.#addEvent(e.machineId, toEventRecord(e));
        if (e.payload.kind !== 'kms-request' && this.#state.machine(e.machineId)) this.#reindex(e.machineId);
        return { machineId: e.machineId, kinds: ['events'] };
      }
      case 'kms-client':
        return null;
    }
  }

  /** The machines whose health inputs changed since the last call. */
  drainTouched(): string[] {
    const out = [...this.#touched];
    this.#touched.clear();
    return out;
  }

  /** The rules' view of a machine, built from the state when asked (a few fields; nothing is kept per machine). */
  machine(id: string): MachineView | undefined {
    const m = this.#state.machine(id);
    return m ? this.#machineView(m) : undefined;
  }

  /** Ids of every machine known (start-up evaluation walks them once, in slices). */
  *machineIds(): IterableIterator<string> {
    for (const m of this.#state.machines()) yield m.machineId;
  }

  /** The machine's KMS host dependency as the index knows it (null: none, or retired). */
  dependencyOf(id: string): string | null {
    return this.#indexed.get(id)?.dep ?? null;
  }

  /**
   * The view the rules evaluate: the KMS hosts (few; `hosts: false` leaves them out for machine-scoped rules, which do
   * not read them) and just the machines named, every other question answered by the index. The whole-fleet list is
   * never built.
   */
  view(now: number, machineIds: Iterable<string> = [], options: { hosts?: readonly KmsHostView[] | false } = {}): FleetView {
    const machines: MachineView[] = [];
    for (const id of machineIds) {
      const m = this.machine(id);
      if (m) machines.push(m);
    }
    const kmsHosts = options.hosts === false ? [] : [...(options.hosts ?? this.hostViews(now))];
    return { machines, kmsHosts, index: this };
  }

  hostViews(now: number): KmsHostView[] {
    const kmsHosts: KmsHostView[] = [];
    for (const h of this.#state.kmsHosts()) {
      const v = this.#hostView(h, now);
      if (v) kmsHosts.push(v);
    }
    return kmsHosts;
  }

  /**
   * The machines DuplicateClientMachineId must see: every live machine whose CMID another live machine shares, or that
   * a host's log names under another client name. O(duplicates + the hosts' requests), not O(fleet).
   */
  duplicateCandidates(kmsHosts: readonly KmsHostView[]): string[] {
    const ids = new Set<string>();
    for (const [, machines] of this.#state.duplicateCmids()) for (const id of machines) ids.add(id);
    const names = new Map<string, Set<string>>();
    for (const h of kmsHosts) {
      for (const r of h.requests) {
        const cmid = r.cmid.toLowerCase();
        let s = names.get(cmid);
        if (!s) names.set(cmid, (s = new Set()));
        s.add(canonicalHostName(r.clientFqdn));
      }
    }
    for (const [cmid, seen] of names) {
      const machines = this.#state.machinesWithCmid(cmid);
      if (machines.size === 0) continue;
      const all = new Set(seen);
      for (const id of machines) all.add(canonicalHostName(this.#state.machine(id)?.hostname ?? ''));
      if (all.size >= 2) for (const id of machines) ids.add(id);
    }
    return [...ids];
  }

  // ---- FleetIndex ----

  *dependentCandidates(hostname: string, only?: DependentKind): Iterable<MachineView> {
    const label = firstLabel(canonicalHostName(hostname));
    for (const [kinds, byLabel] of this.#byKindsAndLabel) {
      if (only && !kinds.includes(only)) continue;
      for (const id of byLabel.get(label) ?? []) {
        const m = this.machine(id);
        this.visits++;
        if (m) yield m;
      }
    }
  }

  hostThatSaw(cmid: string): string | null {
    return this.#cmidSeen.get(cmid.toLowerCase())?.host ?? null;
  }

  knownStopped(now: number): { cmids: Set<string>; hostnames: string[] } {
    // Every KMS host of one evaluation asks at the same instant: answer once per instant (and change, see below).
    if (this.#stopped?.at === now) return this.#stopped.value;
    const value = this.#knownStopped(now);
    this.#stopped = { at: now, value };
    return value;
  }

  #knownStopped(now: number): { cmids: Set<string>; hostnames: string[] } {
    const cmids = new Set<string>();
    const hostnames: string[] = [];
    const add = (m: MachineView) => {
      if (m.cmid) cmids.add(m.cmid.toLowerCase());
      hostnames.push(m.hostname);
    };
    for (const id of this.#retired) {
      const m = this.machine(id);
      if (m) add(m);
    }
    for (const id of this.#staleIds()) {
      const m = this.machine(id);
      if (m && !m.retired && now - m.lastReportAt > 3 * m.heartbeatIntervalMs) add(m);
    }
    return { cmids, hostnames };
  }

  *expiringBefore(t: number): Iterable<MachineView> {
    for (const [day, ids] of this.#byExpiryDay) {
      if (day !== IN_NOTIFICATION && day * MS.DAY >= t) continue;
      for (const id of ids) {
        const m = this.machine(id);
        this.visits++;
        if (m) yield m;
      }
    }
  }

  // ---- upkeep ----

  /**
   * Files a machine anew. What it is filed under rarely changes with a report, so the sets and the map keep the
   * entries that stay: a big Set or a million-entry Map that keeps losing and gaining entries is rehashed whole every
   * so often (hundreds of ms at a million machines, on the event loop).
   */
  #reindex(id: string, touch = true, state = this.#state.machine(id)): void {
    const old = this.#indexed.get(id);
    this.#retired.delete(id);
    if (touch) this.#touched.add(id);
    this.#stopped = undefined;
    const next = state && !state.retired ? this.#recordOf(state) : undefined;
    if (old) {
      if (!next || !sameLabelsAndKinds(old, next)) {
        const byLabel = this.#byKindsAndLabel.get(old.kinds);
        if (byLabel) for (const l of labelsOf(old.labels)) removeFrom(byLabel, l, id);
      }
      if (old.expiryDay !== null && old.expiryDay !== next?.expiryDay) removeFrom(this.#byExpiryDay, old.expiryDay, id);
      if (!next) this.#indexed.delete(id);
    }
    if (state?.retired) this.#retired.add(id);
    if (!next) return;
    if (!old || !sameLabelsAndKinds(old, next)) {
      let byLabel = this.#byKindsAndLabel.get(next.kinds);
      if (!byLabel) this.#byKindsAndLabel.set(next.kinds, (byLabel = new Map()));
      for (const l of labelsOf(next.labels)) addTo(byLabel, l, id);
    }
    if (next.expiryDay !== null && next.expiryDay !== old?.expiryDay) addTo(this.#byExpiryDay, next.expiryDay, id);
    this.#indexed.set(id, next);
  }

  /** What the index files a live machine under. */
  #recordOf(state: MachineState): Indexed {
    const m = this.#machineView(state);
    const fleet = { kmsHosts: [], index: this };
    const names = kmsHostNamesOf(m, fleet);
    let labels: string | string[] | null = null;
    for (const n of names) {
      const l = firstLabel(n);
      if (labels === null) labels = l;
      else if (typeof labels === 'string') labels = labels === l ? labels : [labels, l];
      else if (!labels.includes(l)) labels.push(l);
    }
    return this.#shared({ dep: kmsHostOfMachine(m, fleet), labels, expiryDay: expiryDayOf(m), kinds: dependentKindsOf(m) });
  }

  /** The shared record equal to this one; one with several labels is rare and kept as is. */
  #shared(r: Indexed): Indexed {
    const labels = r.labels;
    if (labels !== null && typeof labels !== 'string') return r;
    return this.#records.share(`${r.expiryDay}/${r.kinds.join()}/${keyPart(r.dep)}/${keyPart(labels)}`, r);
  }

  #relevant(p: StoredEvent['payload']): p is EventPayload {
    return CLIENT_KINDS.has(p.kind) || DNS_KINDS.has(p.kind) || p.kind === 'kms-request';
  }

  #addEvent(machineId: string, e: EventRecord): void {
    if (e.payload.kind === 'kms-request') {
      const hostId = this.#hostIdByMachine.get(machineId) ?? this.#ownHostId(machineId);
      if (!hostId) return;
      const list = this.#requests.get(hostId) ?? [];
      const p = e.payload;
      const time = Date.parse(e.time);
      const application = this.#state.applications.of(p.activationId);
      list.push({ time, clientFqdn: p.clientFqdn, cmid: p.cmid, nPolicy: p.nPolicy, hresult: p.hresult, licenseStatus: p.licenseStatus, application });
      this.#requests.set(hostId, list);
      const cmid = p.cmid.toLowerCase();
      const seen = this.#cmidSeen.get(cmid);
      const host = canonicalHostName(this.#state.kmsHost(hostId)?.hostname ?? hostId);
      if (!seen || seen.time < time) {
        this.#cmidSeen.set(cmid, { host, time });
        // Machines that name no host themselves depend on the host that last saw their CMID. One not indexed yet is
        // indexed later (at start, after the events; in a batch, by its own change).
        if (seen?.host !== host) for (const id of this.#state.machinesWithCmid(cmid)) if (this.#indexed.has(id)) this.#reindex(id);
      }
      return;
    }
    const recent = this.#events.get(machineId) ?? [];
    const client = recent.filter((x) => CLIENT_KINDS.has(x.payload.kind));
    const dns = recent.filter((x) => DNS_KINDS.has(x.payload.kind));
    if (CLIENT_KINDS.has(e.payload.kind)) client.push(e);
    else dns.push(e);
    // A new array each time: views built earlier keep what they saw, and memos keyed on the array stay right.
    this.#events.set(machineId, [...client.slice(-MAX_CLIENT_EVENTS), ...dns.slice(-MAX_DNS_EVENTS)]);
  }

  #ownHostId(machineId: string): string | null {
    const m = this.#state.machine(machineId);
    return m ? canonicalHostName(m.hostname) : null;
  }

  #machineView(m: MachineState): MachineView {
    const recentEvents = this.#events.get(m.machineId) ?? NO_EVENTS;
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
      // The collector's clock: "no report within 3 heartbeats" is judged where the reports arrive, and only over
      // the time the collector was there to receive them.
      lastReportAt: Math.max(m.lastReceivedAt ?? m.lastReportAt ?? m.enrolledAt, this.#since),
      agentClockOffsetMs: m.lastReportAt !== null && m.lastReceivedAt !== null ? m.lastReportAt - m.lastReceivedAt : 0,
      heartbeatIntervalMs: this.#heartbeatMs,
      retired: m.retired !== null,
      recentEvents,
    };
  }

  /**
   * A host nobody runs an agent on, as its clients show it: one request per client seen asking it (the newest), and the
   * count its newest answer to one of them carried. For the forecast (basis `clients`); the rules never see it.
   * O(its window).
   */
  inferredHostView(id: string, now: number): KmsHostView | undefined {
    const h = this.#state.kmsHost(id);
    if (!h || h.kmsService) return undefined;
    const requests: KmsRequestObservation[] = [];
    for (const c of this.#state.clientWindow(id).values()) {
      requests.push({
        time: c.lastRequestAt,
        clientFqdn: c.clientFqdn,
        cmid: cmidOfEntry(c),
        nPolicy: c.nPolicy,
        hresult: c.hresult,
        licenseStatus: c.licenseStatus,
        application: applicationOfEntry(c),
      });
    }
    requests.sort((a, b) => a.time - b.time);
    const seen = h.seenByClients ?? [];
    const windows = seen.find((c) => c.application === 'windows');
    const office = seen.find((c) => c.application === 'office');
    return {
      hostId: h.id,
      basis: 'clients',
      machineId: null,
      hostname: h.hostname,
      dnsDomain: domainOf(h.hostname),
      group: '',
      retired: false,
      kmsService: {
        currentCount: windows?.count ?? null,
        requiredClientCount: null,
        listeningPort: KMS_DEFAULT_PORT,
        dnsPublishing: false,
        lowPriority: false,
        requests: { total: null, failed: null, unlicensed: null, licensed: null, oobGrace: null, ootGrace: null, nonGenuineGrace: null, notification: null },
        ...(office ? { applications: [{ applicationId: OFFICE_APPLICATION_ID, name: 'Office', currentCount: office.count, requiredClientCount: null }] } : {}),
      },
      observedSince: h.firstSeenAt,
      seedCount: null,
      requests,
      dnsPublishing: [],
      lastReportAt: Math.max(windows?.at ?? 0, office?.at ?? 0, h.lastRequestAt ?? 0) || now,
    };
  }

  #hostView(h: KmsHostState, now: number): KmsHostView | undefined {
    if (!h.machineId) return undefined;
    // A host whose service failed to start may report no KMS service at all: its failure still needs a view.
    const kmsService = h.kmsService ?? (h.serviceFailure ? NO_SERVICE_FIGURES : null);
    if (!kmsService) return undefined;
    const m = this.machine(h.machineId);
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
      kmsService,
      observedSince: seed.observedSince,
      seedCount: seed.seedCount,
      requests: this.#requests.get(h.id) ?? [],
      dnsPublishing: dnsPublishingFrom(dnsEvents, h),
      serviceFailure: openServiceFailure(h, this.#state.machine(h.machineId)?.lastReceivedAt ?? null),
      lastReportAt: m?.lastReportAt ?? now,
      agentClockOffsetMs: m?.agentClockOffsetMs ?? 0,
    };
  }
}

/** The KMS service of a host that logged a failure but reports no service: nothing known. */
const NO_SERVICE_FIGURES: KmsHostView['kmsService'] = {
  currentCount: null,
  requiredClientCount: null,
  listeningPort: KMS_DEFAULT_PORT,
  dnsPublishing: false,
  lowPriority: false,
  requests: { total: null, failed: null, unlicensed: null, licensed: null, oobGrace: null, ootGrace: null, nonGenuineGrace: null, notification: null },
};

/** The host's newest 12291 / 12292 unless a report from the host arrived after the one that carried it. */
function openServiceFailure(h: KmsHostState, lastReceivedAt: number | null): KmsHostView['serviceFailure'] {
  const f = h.serviceFailure;
  if (!f || (lastReceivedAt !== null && lastReceivedAt > f.receivedAt)) return null;
  return { kind: f.kind, at: f.at, hresult: f.hresult };
}

/** The UTC day of a machine's first Notification instant (IN_NOTIFICATION when it is in it), null when none. */
function expiryDayOf(m: MachineView): number | null {
  let first: number | null = null;
  for (const p of m.products) {
    const path = expiryPathOf(p);
    if (path.alreadyInNotification) return IN_NOTIFICATION;
    if (path.notificationAt !== null && (first === null || path.notificationAt < first)) first = path.notificationAt;
  }
  return first === null ? null : Math.floor(first / MS.DAY);
}

/** True when two records file a machine under the same host labels and kinds (kinds arrays are shared: see dependentKindsOf). */
function sameLabelsAndKinds(a: Indexed, b: Indexed): boolean {
  if (a.kinds !== b.kinds) return false;
  if (a.labels === b.labels) return true;
  return Array.isArray(a.labels) && Array.isArray(b.labels) && a.labels.length === b.labels.length && a.labels.every((l, i) => l === (b.labels as string[])[i]);
}

function labelsOf(labels: string | readonly string[] | null): readonly string[] {
  return labels === null ? [] : typeof labels === 'string' ? [labels] : labels;
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
