import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { MachineListQuery, type MachineListItem } from '../../shared/api.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { countedAsOf, FleetStateSource } from '../../dashboard/metrics/fleet-state-source.js';
import { MetricsExporter } from '../../dashboard/metrics/metrics-exporter.js';
import { defaultHealth } from '../../dashboard/server/read-model/default-health.js';
import { MachineListIndex } from '../../dashboard/server/read-model/machine-list-index.js';
import { queryMachines } from '../../dashboard/server/read-model/queries.js';
import { Views } from '../../dashboard/server/read-model/views.js';
import type { FleetState } from '../../dashboard/server/state/fleet-state.js';
import { kmsHostIdOf, type MachineState } from '../../dashboard/server/state/machine-state.js';
import type { FleetStore } from '../../dashboard/server/store/fleet-store.js';
import { parseExposition, value } from '../support/metrics-exposition.js';
import { syntheticFleet, syntheticMachine } from '../support/read-model-fleet.js';

const NOW = Date.UTC(2026, 11, 1, 12);
const STALE_MS = 15 * 60_000;
const query = (s: string) => MachineListQuery.parse(Object.fromEntries(new URLSearchParams(s)));

/** Counts every machine read through the state's accessors (a walk of `machines()` counts each machine it yields). */
function countVisits(state: FleetState): { visits: () => number; reset: () => void } {
  let visits = 0;
  const all = state.machines.bind(state);
  const one = state.machine.bind(state);
  state.machines = function* () {
    for (const m of all()) {
      visits++;
      yield m;
    }
  };
  state.machine = (id: string) => {
    visits++;
    return one(id);
  };
  return { visits: () => visits, reset: () => void (visits = 0) };
}

/**
 * The machines list as it was computed before the indexes: filter and sort the whole fleet (the oracle). Nulls last;
 * ties by host name, then machine id, in the sort's direction.
 */
function naivePage(state: FleetState, q: MachineListQuery): { ids: string[]; total: number } {
  const statuses = q.status ? new Set(q.status.map(String)) : null;
  const channels = q.channel ? new Set<string>(q.channel) : null;
  const kmsHost = q.kmsHost ? kmsHostIdOf(q.kmsHost) : null;
  const text = q.q?.toLowerCase() ?? null;
  const matches = [...state.machines()].filter(
    (m) =>
      !(q.retired === 'active' && m.retired) &&
      !(q.retired === 'retired' && !m.retired) &&
      !(statuses && !statuses.has(m.primary ? String(m.primary.licenseStatus) : 'none')) &&
      !(channels && !channels.has(m.primary?.channel ?? 'none')) &&
      !(kmsHost && m.kmsHostId !== kmsHost) &&
      !(q.group !== undefined && m.group !== q.group) &&
      !(text && ![m.hostname, m.machineId, m.snapshot?.cmid ?? ''].some((s) => s.toLowerCase().includes(text))),
  );
  const key = (m: MachineState): string | number | null => {
    switch (q.sort.replace(/^-/, '')) {
      case 'group':
        return m.group.toLowerCase();
      case 'status':
        return m.primary?.licenseStatus ?? null;
      case 'channel':
        return m.primary?.channel ?? null;
      case 'graceExpiresAt':
        return m.primary?.graceExpiresAt ? Date.parse(m.primary.graceExpiresAt) : null;
      case 'lastReportAt':
        return m.lastReportAt;
      case 'kmsHost':
        return m.kmsHostId;
      default:
        return m.hostname.toLowerCase();
    }
  };
  const desc = q.sort.startsWith('-');
  const cmp = (a: MachineState, b: MachineState) => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) {
      if (ka === null) return 1;
      if (kb === null) return -1;
      return (ka < kb ? -1 : 1) * (desc ? -1 : 1);
    }
    const ha = a.hostname.toLowerCase();
    const hb = b.hostname.toLowerCase();
    return (ha < hb ? -1 : ha > hb ? 1 : a.machineId < b.machineId ? -1 : 1) * (desc ? -1 : 1);
  };
  matches.sort(cmp);
  return { ids: matches.slice(q.offset, q.offset + q.limit).map((m) => m.machineId), total: matches.length };
}

const QUERIES = [
  '',
  'sort=-hostname&offset=37&limit=20',
  'status=5&sort=-lastReportAt',
  'status=2,none&sort=graceExpiresAt&offset=3',
  'group=G3&sort=graceExpiresAt&limit=100&offset=150',
  'channel=mak&sort=kmsHost',
  'kmsHost=KMS02.contoso.com&status=1&sort=-status&offset=900',
  'sort=group&offset=1234',
  'sort=-group&limit=7',
  'sort=status',
  'sort=-channel&offset=400',
  'sort=-kmsHost',
  'sort=lastReportAt&offset=10',
  'sort=-graceExpiresAt',
  'q=WS-1&sort=hostname',
  'q=cmid-12&status=1&sort=-lastReportAt',
  'q=M-000012&sort=-hostname', // by machine id alone
  'retired=retired&sort=-lastReportAt',
  'retired=all&group=G1&sort=channel&offset=20',
  'status=6',
  'sort=hostname&limit=30',
  'sort=-hostname&offset=2950',
];

describe('machines page: the maintained indexes answer exactly what a sort of the whole fleet answered', () => {
  it('agrees with the naive list for every filter and sort, after heartbeats, status changes, retirements and new machines', () => {
    const N = 3000;
    const clock = new VirtualClock(NOW);
    const state = syntheticFleet(N, NOW);
    const views = new Views(state, {} as FleetStore, clock, defaultHealth(state, clock), STALE_MS);
    const check = () => {
      for (const s of QUERIES) {
        const q = query(s);
        const page = queryMachines(state, views, q);
        expect({ q: s, ids: page.items.map((m: MachineListItem) => m.machineId), total: page.total }).toEqual({ q: s, ...naivePage(state, q) });
      }
    };
    check(); // builds every index
    const commit = (m: MachineState) => state.commit([{ kind: 'machine', id: m.machineId, before: state.machine(m.machineId) ?? null, after: m }]);
    for (let i = 0; i < 600; i++) {
      const id = `m-${String((i * 41) % N).padStart(7, '0')}`;
      const m = state.machine(id)!;
      if (i % 5 === 0) {
        // A status change (Notification), a group move, a rename.
        const p = { ...m.primary!, licenseStatus: 5, graceExpiresAt: null };
        commit({ ...m, primary: p, snapshot: { ...m.snapshot!, products: [p] }, group: i % 2 ? 'G7' : m.group, hostname: i % 3 ? m.hostname : `renamed-${i}.contoso.com` });
      } else if (i % 7 === 0) {
        commit({ ...m, retired: { at: NOW, reason: 'test', replacedBy: null } });
      } else {
        commit({ ...m, lastReportAt: NOW + i * 1000, lastReceivedAt: NOW + i * 1000 }); // a heartbeat
      }
    }
    for (let i = N; i < N + 50; i++) {
      // Every fifth shares a host name (in another case) with others: those tie by host name and go by machine id.
      const m = syntheticMachine(i, NOW + 5000);
      commit(i % 5 ? m : { ...m, hostname: `A-TWIN-${i % 3}.contoso.com` });
    }
    check();
  });
});

describe('machines page: indexes derived in the background while machines change', () => {
  it('agree with the naive list once derived, whatever changed during the derivation', async () => {
    const N = 10_000; // several slices per pass (a slice checks its time every 4,096 entries)
    const clock = new VirtualClock(NOW);
    const state = syntheticFleet(N, NOW);
    const list = new MachineListIndex(state);
    let i = 0;
    const commit = (m: MachineState) => state.commit([{ kind: 'machine', id: m.machineId, before: state.machine(m.machineId) ?? null, after: m }]);
    // Tiny slices: every yield lets a few machines change (heartbeats, status changes, new machines) mid-derivation.
    let yields = 0;
    await list.prebuild(async () => {
      yields++;
      for (let k = 0; k < 3; k++, i++) {
        const m = state.machine(`m-${String((i * 53) % N).padStart(7, '0')}`)!;
        if (i % 4 === 0) {
          const p = { ...m.primary!, licenseStatus: 2, graceExpiresAt: new Date(NOW + (i % 40) * 86_400_000).toISOString() };
          commit({ ...m, primary: p, snapshot: { ...m.snapshot!, products: [p] }, kmsHostId: i % 8 ? m.kmsHostId : null });
        } else if (i % 9 === 0) {
          commit(syntheticMachine(N + i, NOW + i));
        } else {
          commit({ ...m, lastReportAt: NOW + i * 997, lastReceivedAt: NOW + i * 997 });
        }
      }
    }, 0);
    expect(yields).toBeGreaterThan(20);
    const before = list.visited;
    for (const s of QUERIES) {
      const q = query(s);
      const page = list.query(q);
      expect({ q: s, ids: page.machines.map((m) => m.machineId), total: page.total }).toEqual({ q: s, ...naivePage(state, q) });
    }
    expect(list.visited - before).toBeLessThan(QUERIES.length * N); // answered by the derived indexes, not rebuilt
  });
});

describe('machines page just after start: a request waits for the background order instead of sorting', () => {
  it('whenSorted waits while the order is derived in slices, then answers at once', async () => {
    const N = 20_000;
    const state = syntheticFleet(N, NOW);
    const list = new MachineListIndex(state);
    // Only the host-name order exists at first: a page by host name needs no wait, one by report time does.
    expect(list.whenSorted('hostname')).toBeNull();
    const wait = list.whenSorted('-lastReportAt');
    expect(wait).not.toBeNull();
    // The derivation hands the event loop back while the request waits (it does not run in one go).
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    await wait;
    clearInterval(ticking);
    expect(turns).toBeGreaterThan(0);
    expect(list.whenSorted('-lastReportAt')).toBeNull();
    expect(list.whenSorted('graceExpiresAt')).toBeNull();
    // Answered by the derived order: a page looks at a few blocks, not the fleet.
    const before = list.visited;
    const q = query('sort=-lastReportAt&limit=100');
    expect(list.query(q).machines.map((m) => m.machineId)).toEqual(naivePage(state, q).ids);
    expect(list.visited - before).toBeLessThan(5_000);
  });
});

describe('reads at scale: a summary, a machines page and a scrape visit O(page size) machines, not O(fleet)', () => {
  const N = 100_000;
  const clock = new VirtualClock(NOW);
  let state: FleetState;
  let views: Views;
  let exporter: MetricsExporter;
  let counter: ReturnType<typeof countVisits>;

  beforeAll(async () => {
    state = syntheticFleet(N, NOW);
    views = new Views(state, {} as FleetStore, clock, defaultHealth(state, clock), STALE_MS);
    exporter = new MetricsExporter({
      registry: new Registry(),
      source: new FleetStateSource(state, { staleAfterMs: STALE_MS }),
      clock,
      log: { info: () => undefined, warn: () => undefined },
      options: { processMetrics: false, machineSeriesLimit: 10_000 },
      yieldToLoop: async () => undefined,
    });
    state.onChange((c) => {
      if (c.kind === 'machine') exporter.machineChanged(c.before ? countedAsOf(c.before) : null, countedAsOf(c.after));
    });
    await exporter.start(); // counts the fleet once, at start
    // Build the indexes the pages below use (once, like the first request after start).
    for (const s of ['sort=-lastReportAt', 'sort=graceExpiresAt', 'sort=hostname']) queryMachines(state, views, query(s));
    counter = countVisits(state);
  }, 300_000);

  it('a summary walks nothing, and its stale count follows the clock', () => {
    counter.reset();
    const s = views.summary();
    clock.advanceBy(5 * 60_000);
    const later = views.summary();
    // The KMS host rows read their host's machine; nothing else is read.
    expect(counter.visits()).toBeLessThanOrEqual(2 * 3);
    expect(s.machines).toEqual({ total: N, retired: 0, stale: 0 });
    // Reports are spread over the 15 minutes before NOW: 5 minutes on, a third of the fleet is past the limit.
    const expected = [...syntheticMachinesTimes(N)].filter((t) => clock.now() - t > STALE_MS).length;
    expect(later.machines.stale).toBe(expected);
    expect(expected).toBeGreaterThan(N / 4);
  });

  it('a machines page with a filter and a sort looks at a few blocks of entries, not the fleet', () => {
    for (const s of ['status=5&sort=-lastReportAt&limit=100', 'group=G3&channel=kms-client&sort=graceExpiresAt&offset=2000&limit=100', 'kmsHost=kms02.contoso.com&limit=100']) {
      counter.reset();
      const before = views.machineList.visited;
      const page = queryMachines(state, views, query(s));
      expect(page.items).toHaveLength(100);
      expect(counter.visits()).toBe(0);
      expect(views.machineList.visited - before, s).toBeLessThan(5_000);
    }
  });

  it('a page looks at a few blocks whatever the offset, walking the ascending order from its end when descending', () => {
    const ids = (s: string) => queryMachines(state, views, query(s)).items.map((m) => m.machineId);
    for (const s of [
      'sort=hostname&offset=60000&limit=100',
      'sort=-hostname&offset=60000&limit=100',
      'sort=-group&offset=45000&limit=100',
      'sort=-kmsHost&offset=95000&limit=100', // past the known values, into the nulls (the MAK clients)
      'sort=-graceExpiresAt&offset=99000&limit=100',
      'status=2&sort=-graceExpiresAt&offset=1000&limit=100',
      'status=5&sort=-graceExpiresAt&offset=1000&limit=100', // no value at all: only the nulls are walked
    ]) {
      counter.reset();
      const before = views.machineList.visited;
      expect(ids(s), s).toHaveLength(100);
      expect(counter.visits()).toBe(0);
      expect(views.machineList.visited - before, s).toBeLessThan(5_000);
    }
    // Never null: a descending page is the ascending order's mirror (ties by host name, then id, reverse too).
    expect(ids('sort=-group&offset=100&limit=50')).toEqual(ids(`sort=group&offset=${N - 150}&limit=50`).reverse());
    expect(ids('sort=-hostname&limit=50')).toEqual(ids(`sort=hostname&offset=${N - 50}&limit=50`).reverse());
  });

  it('a scrape walks nothing, and neither does the background refresh while per-machine series are off', async () => {
    counter.reset();
    const text = await exporter.metrics();
    await exporter.refresh();
    await exporter.metrics();
    expect(counter.visits()).toBe(0);
    const s = parseExposition(text);
    expect(value(s, 'vawatch_machine_series_exported')).toBe(0);
    const up = [...syntheticMachinesTimes(N)].filter((t, i) => i % 10 === 3 && clock.now() - t <= STALE_MS).length;
    expect(value(s, 'vawatch_agents', { group: 'G3', state: 'up' })).toBe(up);
  });

  it('a heartbeat moves one entry and reads nothing else', () => {
    const m = state.machine('m-0000042')!;
    counter.reset();
    state.commit([{ kind: 'machine', id: m.machineId, before: m, after: { ...m, lastReportAt: clock.now(), lastReceivedAt: clock.now() } }]);
    expect(counter.visits()).toBe(0);
    expect(queryMachines(state, views, query('sort=-lastReportAt&limit=1')).items[0]!.machineId).toBe('m-0000042');
  });
});

/** The report times syntheticMachine gives machine i, in order of i. */
function* syntheticMachinesTimes(n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield NOW - ((i * 9) % 900_000);
}
