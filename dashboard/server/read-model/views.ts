import type {
  EventListItem,
  KmsApplicationCountItem,
  KmsClientWindowEntry,
  KmsHostDetail,
  KmsHostListItem,
  MachineDetail,
  MachineListItem,
  Summary,
} from '../../../shared/api.js';
import { formatHresult, hresultHex } from '../../../shared/hresult.js';
import { applicationOf, KMS_CLIENT_THRESHOLD, KMS_CLIENT_WINDOW_DAYS, KMS_SERVER_THRESHOLD, MS, OFFICE_KMS_THRESHOLD } from '../../../shared/kms-rules.js';
import type { Clock } from '../../../shared/scheduling.js';
import type { HealthProvider } from '../plugin.js';
import { MachineListIndex } from './machine-list-index.js';
import type { FleetState } from '../state/fleet-state.js';
import { applicationOfEntry, cmidOfEntry, type KmsClientEntry, type KmsHostState } from '../state/kms-host-state.js';
import { officeNameOf, type MachineState } from '../state/machine-state.js';
import type { StoredEvent } from '../state/state-change.js';
import type { EventRow, FleetStore } from '../store/fleet-store.js';

const WINDOW_MS = KMS_CLIENT_WINDOW_DAYS * MS.DAY;
const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** Builds the API's shapes from the state and the store. One instance per collector; health is swappable. */
export class Views {
  #state: FleetState;
  #store: FleetStore;
  #clock: Clock;
  #staleMs: number;
  health: HealthProvider;
  /** The machines list's maintained indexes (GET /api/v1/machines). */
  readonly machineList: MachineListIndex;

  constructor(state: FleetState, store: FleetStore, clock: Clock, health: HealthProvider, staleMs: number) {
    this.#state = state;
    this.#store = store;
    this.#clock = clock;
    this.health = health;
    this.#staleMs = staleMs;
    this.machineList = new MachineListIndex(state);
    // The other list orders are derived in the background, in slices; until one is ready, its first request builds it.
    this.machineList.prebuild().catch(() => undefined);
    // The first count walks the distinct report seconds once; do it at start, not in the first summary.
    this.#staleCount();
  }

  machineItem(m: MachineState): MachineListItem {
    const p = m.primary;
    return {
      machineId: m.machineId,
      hostname: m.hostname,
      group: m.group,
      osKind: m.snapshot?.os.kind ?? null,
      osCaption: m.snapshot?.os.caption ?? null,
      cmid: m.snapshot?.cmid ?? null,
      status: (p?.licenseStatus ?? null) as MachineListItem['status'],
      statusReason: p?.licenseStatusReason ?? null,
      statusReasonHex: hresultHex(p?.licenseStatusReason),
      channel: p?.channel ?? null,
      graceExpiresAt: p?.graceExpiresAt ?? null,
      kmsHost: m.kmsHostId,
      isKmsHost: Boolean(m.snapshot?.kmsService),
      office: officeNameOf(m.snapshot),
      productCount: m.snapshot?.products.length ?? 0,
      lastReportAt: iso(m.lastReportAt),
      lastReceivedAt: iso(m.lastReceivedAt),
      collectedAt: m.snapshot?.collectedAt ?? null,
      retired: m.retired !== null,
      health: this.health.machine(m),
    };
  }

  /** The detail without events and history (what live deltas carry). */
  machineCore(m: MachineState): Omit<MachineDetail, 'events' | 'stateHistory'> {
    return {
      ...this.machineItem(m),
      agentId: m.agentId,
      os: m.snapshot?.os ?? null,
      products: (m.snapshot?.products ?? []).map((p) => ({ ...p, licenseStatusReasonHex: hresultHex(p.licenseStatusReason) })),
      kmsService: m.snapshot?.kmsService ?? null,
      retiredAt: iso(m.retired?.at),
      retiredReason: m.retired?.reason ?? null,
      replacedBy: m.retired?.replacedBy ?? null,
    };
  }

  machineDetail(m: MachineState): MachineDetail {
    return {
      ...this.machineCore(m),
      events: this.#store.eventsOfMachine(m.machineId, 100).map((r) => this.eventFromRow(r)),
      stateHistory: this.#store.historyOfMachine(m.machineId).map((h) => ({
        at: new Date(h.at).toISOString(),
        activationId: h.activation_id,
        productName: h.product_name,
        primary: h.is_primary === 1,
        status: h.status as MachineDetail['stateHistory'][number]['status'],
        statusReason: h.status_reason,
        statusReasonHex: hresultHex(h.status_reason),
        graceExpiresAt: iso(h.grace_expires_at),
      })),
    };
  }

  kmsHostItem(h: KmsHostState): KmsHostListItem {
    const machine = h.machineId ? this.#state.machine(h.machineId) : undefined;
    // A host's own agent reports it (its service, or at least its service's failures); else only clients know it.
    const basis = h.kmsService || h.machineId ? 'host' : 'clients';
    const windows = this.windowCounts(h.id);
    const seenWindows = basis === 'clients' ? (h.seenByClients ?? []).find((c) => c.application === 'windows') : undefined;
    const seenBy = seenWindows ? this.#state.machine(seenWindows.machineId) : undefined;
    return {
      id: h.id,
      hostname: h.hostname,
      machineId: h.machineId,
      group: machine?.group ?? null,
      currentCount: h.kmsService ? h.kmsService.currentCount : (seenWindows?.count ?? null),
      requiredClientCount: h.kmsService?.requiredClientCount ?? null,
      windowCount: windows.windows,
      clientsUsing: this.#state.machineCountUsingKmsHost(h.id),
      clientOsUsing: this.#state.clientOsUsingKmsHost(h.id),
      lastRequestAt: iso(h.lastRequestAt),
      dnsPublishing: h.kmsService?.dnsPublishing ?? null,
      dnsPublishFailedAt: iso(h.dnsFailure?.at),
      dnsPublishFailedHresult: h.dnsFailure?.hresult ?? null,
      dnsPublishFailedHresultHex: hresultHex(h.dnsFailure?.hresult),
      lastReportAt: iso(machine?.lastReportAt),
      health: this.health.kmsHost(h.id),
      basis,
      countAt: iso(h.kmsService ? h.serviceCollectedAt : seenWindows?.at),
      countSeenBy: seenWindows ? { machineId: seenWindows.machineId, hostname: seenBy?.hostname ?? seenWindows.machineId } : null,
      applications: this.applicationCounts(h, windows),
      service: {
        running: h.kmsService?.serviceRunning ?? null,
        listening: h.kmsService?.listening ?? null,
        failure: openFailure(h, machine?.lastReceivedAt ?? null),
      },
    };
  }

  /**
   * Each application's count against its own threshold: from the host's report (one entry per KMS host product on
   * Win8+, else the service's count as Windows'), or from what its clients heard; Office appears once there is a count
   * or a window for it.
   */
  applicationCounts(h: KmsHostState, windows = this.windowCounts(h.id)): KmsApplicationCountItem[] {
    const windowsThreshold = this.#state.clientOsUsingKmsHost(h.id) > 0 ? KMS_CLIENT_THRESHOLD : KMS_SERVER_THRESHOLD;
    const item = (application: 'windows' | 'office', name: string, count: number | null, at: number | null, required: number | null): KmsApplicationCountItem => {
      const threshold = application === 'office' ? OFFICE_KMS_THRESHOLD : windowsThreshold;
      return {
        application,
        name,
        currentCount: count,
        countAt: iso(at),
        threshold,
        requiredClientCount: required,
        windowCount: application === 'office' ? windows.office : windows.windows,
        belowThreshold: count !== null && count < threshold,
      };
    };
    const out: KmsApplicationCountItem[] = [];
    const s = h.kmsService;
    if (s) {
      const apps = (s.applications ?? []).filter((a) => applicationOf(a.applicationId) !== 'other');
      const win = apps.find((a) => applicationOf(a.applicationId) === 'windows');
      out.push(item('windows', win?.name || 'Windows', win ? win.currentCount : s.currentCount, h.serviceCollectedAt, win ? win.requiredClientCount : s.requiredClientCount));
      const office = apps.find((a) => applicationOf(a.applicationId) === 'office');
      if (office) out.push(item('office', office.name || 'Office', office.currentCount, h.serviceCollectedAt, office.requiredClientCount));
      else if (windows.office > 0) out.push(item('office', 'Office', null, null, null));
      return out;
    }
    const seen = h.seenByClients ?? [];
    const w = seen.find((c) => c.application === 'windows');
    const o = seen.find((c) => c.application === 'office');
    out.push(item('windows', 'Windows', w?.count ?? null, w?.at ?? null, null));
    if (o || windows.office > 0) out.push(item('office', 'Office', o?.count ?? null, o?.at ?? null, null));
    return out;
  }

  /** CMIDs whose newest request on the host is within 30 days of the host's newest request (its own clock), per application. */
  windowCounts(hostId: string): { windows: number; office: number } {
    const h = this.#state.kmsHost(hostId);
    const ref = h?.lastRequestAt;
    if (ref === null || ref === undefined) return { windows: 0, office: 0 };
    const n = this.#state.windowCountsAfter(hostId, ref - WINDOW_MS, 0);
    return { windows: n.client + n.server, office: n.office };
  }

  /** The Windows window (see windowCounts). */
  windowCount(hostId: string): number {
    return this.windowCounts(hostId).windows;
  }

  clientEntry(c: KmsClientEntry): KmsClientWindowEntry {
    return {
      cmid: cmidOfEntry(c),
      application: applicationOfEntry(c),
      clientFqdn: c.clientFqdn,
      lastRequestAt: new Date(c.lastRequestAt).toISOString(),
      agesOutAt: new Date(c.lastRequestAt + WINDOW_MS).toISOString(),
      licenseStatus: c.licenseStatus,
      hresult: c.hresult,
      hresultHex: formatHresult(c.hresult),
      nPolicy: c.nPolicy,
      isVm: c.isVm,
      requests: c.requests,
    };
  }

  kmsHostDetail(h: KmsHostState): KmsHostDetail {
    const ref = h.lastRequestAt ?? this.#clock.now();
    const window = [...this.#state.clientWindow(h.id).values()]
      .filter((c) => c.lastRequestAt > ref - WINDOW_MS)
      .sort((a, b) => a.lastRequestAt - b.lastRequestAt)
      .map((c) => this.clientEntry(c));
    return {
      ...this.kmsHostItem(h),
      kmsService: h.kmsService,
      countHistory: this.#store.countHistory(h.id).map((p) => ({ at: new Date(p.at).toISOString(), currentCount: p.current_count })),
      clientWindow: window,
      events: h.machineId ? this.#store.eventsOfMachine(h.machineId, 100).map((r) => this.eventFromRow(r)) : [],
    };
  }

  event(e: StoredEvent): EventListItem {
    const m = this.#state.machine(e.machineId);
    return {
      id: e.id,
      machineId: e.machineId,
      hostname: m?.hostname ?? e.machineId,
      group: m?.group ?? '',
      log: e.log,
      provider: e.provider,
      eventId: e.eventId,
      recordId: e.recordId,
      time: new Date(e.time).toISOString(),
      receivedAt: new Date(e.receivedAt).toISOString(),
      payload: e.payload,
      hresultHex: 'hresult' in e.payload ? formatHresult(e.payload.hresult) : null,
    };
  }

  eventFromRow(r: EventRow): EventListItem {
    return this.event({
      id: r.id,
      machineId: r.machine_id,
      log: r.log,
      provider: r.provider,
      eventId: r.event_id,
      recordId: r.record_id ?? 0,
      time: r.time,
      receivedAt: r.received_at,
      payload: JSON.parse(r.payload),
    });
  }

  summary(): Summary {
    const byStatus: Record<string, number> = { '0': 0, '1': 0, '2': 0, '3': 0, '4': 0, '5': 0, '6': 0, none: 0 };
    for (const [k, n] of this.#state.statusCounts()) byStatus[k] = n;
    const byChannel: Record<string, number> = {};
    for (const [k, n] of this.#state.channelCounts()) byChannel[k] = n;
    const byGroup = [...this.#state.groupStatusCounts()]
      .map(([group, counts]) => {
        const s: Record<string, number> = {};
        let total = 0;
        for (const [k, n] of counts) {
          s[k] = n;
          total += n;
        }
        return { group, total, byStatus: s, health: this.health.group(group) };
      })
      .sort((a, b) => a.group.localeCompare(b.group));
    const kmsHosts = [...this.#state.kmsHosts()].map((h) => this.kmsHostItem(h)).sort((a, b) => a.id.localeCompare(b.id));
    return {
      generatedAt: new Date(this.#clock.now()).toISOString(),
      machines: {
        total: this.#state.activeMachineCount,
        retired: this.#state.machineCount - this.#state.activeMachineCount,
        stale: this.#staleCount(),
      },
      byStatus,
      byChannel,
      byProduct: { windows: topCounts(this.#state.osCaptionCounts()), office: topCounts(this.#state.officeCounts()) },
      byGroup,
      kmsHosts,
      health: { fleet: this.health.fleet() },
      alerts: this.health.alertCounts(),
    };
  }

  /** Active machines whose newest report is older than the stale limit, from the state's running count (no scan). */
  #staleCount(): number {
    return this.#state.activeReportedBefore(this.#clock.now() - this.#staleMs);
  }
}

/** The most common names first (at most 12), each with its count: what the fleet runs, at a glance. */
function topCounts(counts: ReadonlyMap<string, number>): Array<{ name: string; count: number }> {
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 12).map(([name, count]) => ({ name, count }));
}

/** The host's newest 12291 / 12292 while no report from the host arrived after the one that carried it. */
function openFailure(h: KmsHostState, lastReceivedAt: number | null): KmsHostListItem['service']['failure'] {
  const f = h.serviceFailure;
  if (!f || (lastReceivedAt !== null && lastReceivedAt > f.receivedAt)) return null;
  return { eventId: f.eventId, at: new Date(f.at).toISOString(), hresult: f.hresult };
}
