/**
 * Which KMS host a client depends on, and which clients depend on a host. In order of trust:
 * 1. the host its KMS client product reports (`ProductState.kmsHost`: /skms or the host found through DNS; Windows 7
 *    and later only: Vista-class products do not carry it);
 * 2. the host its newest activation request (12288) went to;
 * 3. the host whose 12290 log last named its CMID.
 */
import { applicationOf } from '../../shared/kms-rules.js';
import type { ProductState } from '../../shared/protocol.js';
import { canonicalHostName, sameHost } from './host-names.js';
import type { FleetView, KmsHostView, MachineView } from './model.js';

/** The machine's KMS client products (GVLK installed). */
export function kmsClientProducts(m: MachineView): ProductState[] {
  return m.products.filter((p) => p.channel === 'kms-client');
}

// cmid → the host that saw it last; built once per fleet view for hand-written fleets (the collector keeps an index).
const cmidIndexes = new WeakMap<readonly KmsHostView[], Map<string, { host: string; time: number }>>();

function hostThatSaw(fleet: Pick<FleetView, 'kmsHosts' | 'index'>, cmid: string): string | null {
  if (fleet.index) return fleet.index.hostThatSaw(cmid);
  let index = cmidIndexes.get(fleet.kmsHosts);
  if (!index) {
    index = new Map();
    for (const h of fleet.kmsHosts) {
      const name = canonicalHostName(h.hostname);
      for (const r of h.requests) {
        const key = r.cmid.toLowerCase();
        const seen = index.get(key);
        if (!seen || seen.time < r.time) index.set(key, { host: name, time: r.time });
      }
    }
    cmidIndexes.set(fleet.kmsHosts, index);
  }
  return index.get(cmid.toLowerCase())?.host ?? null;
}

function hostOfLastRequest(m: MachineView): string | null {
  let best: { t: number; host: string } | null = null;
  for (const e of m.recentEvents) {
    if (e.payload.kind !== 'activation-request' || !e.payload.kmsHost) continue;
    const t = Date.parse(e.time);
    if (!best || t >= best.t) best = { t, host: canonicalHostName(e.payload.kmsHost) };
  }
  return best?.host ?? null;
}

// Rules and the rollup ask this for every machine on every evaluation of a hand-written fleet: remember the answer
// while the machine's products and events are the same objects (each change replaces them). An answer that came from
// the hosts' logs (the last resort) is remembered only while the host list is the same object too.
const memo = new WeakMap<MachineView, { products: unknown; events: unknown; hosts: unknown; host: string | null }>();

/** The canonical name of the KMS host a machine depends on, or null (not a KMS client, or never asked one). */
export function kmsHostOfMachine(m: MachineView, fleet?: Pick<FleetView, 'kmsHosts' | 'index'>): string | null {
  // The collector builds a machine's view afresh for each question and its index knows the last resort: a memo entry
  // would hardly be read again, yet its table grew with the machines asked about between two collections.
  if (fleet?.index) {
    const own = ownHostOfMachine(m);
    return own !== undefined ? own : m.cmid ? hostThatSaw(fleet, m.cmid) : null;
  }
  const hit = memo.get(m);
  if (hit && hit.products === m.products && hit.events === m.recentEvents && (hit.hosts === null || hit.hosts === fleet?.kmsHosts)) return hit.host;
  const own = ownHostOfMachine(m);
  if (own !== undefined) {
    memo.set(m, { products: m.products, events: m.recentEvents, hosts: null, host: own });
    return own;
  }
  const host = fleet && m.cmid ? hostThatSaw(fleet, m.cmid) : null;
  memo.set(m, { products: m.products, events: m.recentEvents, hosts: fleet?.kmsHosts, host });
  return host;
}

/** What the machine itself says (null: not a KMS client), or undefined when only the hosts' logs can tell. */
function ownHostOfMachine(m: MachineView): string | null | undefined {
  const products = kmsClientProducts(m);
  if (products.length === 0) return null;
  const p = products.find((x) => x.primary && x.kmsHost) ?? products.find((x) => x.kmsHost);
  if (p?.kmsHost) return canonicalHostName(p.kmsHost.name);
  return hostOfLastRequest(m) ?? undefined;
}

/** The canonical name of the KMS host a product depends on, or null when it is not a KMS client or has none yet. */
export function kmsHostOfProduct(p: ProductState, m?: MachineView, fleet?: Pick<FleetView, 'kmsHosts' | 'index'>): string | null {
  if (p.channel !== 'kms-client') return null;
  if (p.kmsHost) return canonicalHostName(p.kmsHost.name);
  return m ? kmsHostOfMachine(m, fleet) : null;
}

/**
 * Kinds of dependents the rules ask about by themselves: client OS machines (a host is judged against 25 while one
 * depends on it) and volume Office clients (Office's own count). The collector's index keeps each kind apart, so a host
 * with 100,000 Windows clients and 3 Office ones is asked about its Office clients in 3 steps.
 */
export type DependentKind = 'client-os' | 'office-client';

// Every machine is of one of four combinations: the collector's index keeps one per machine, so they are shared.
const NO_KINDS: readonly DependentKind[] = Object.freeze([]);
const CLIENT_OS: readonly DependentKind[] = Object.freeze(['client-os']);
const OFFICE_CLIENT: readonly DependentKind[] = Object.freeze(['office-client']);
const BOTH_KINDS: readonly DependentKind[] = Object.freeze(['client-os', 'office-client']);

/** The kinds a machine is of (a shared array: do not change it). */
export function dependentKindsOf(m: MachineView): readonly DependentKind[] {
  const client = m.osKind === 'client';
  const office = m.products.some((p) => p.channel === 'kms-client' && applicationOf(p.applicationId) === 'office');
  return client ? (office ? BOTH_KINDS : CLIENT_OS) : office ? OFFICE_CLIENT : NO_KINDS;
}

/** The live (not retired) machines whose KMS client product uses this host; of one kind only when `only` is given. */
export function dependentsOf(fleet: FleetView, host: Pick<KmsHostView, 'hostname'>, only?: DependentKind): MachineView[] {
  const out: MachineView[] = [];
  for (const m of dependents(fleet, host, only)) out.push(m);
  return out;
}

/** True when some live machine of this kind depends on the host; stops at the first one. */
export function someDependent(fleet: FleetView, host: Pick<KmsHostView, 'hostname'>, only: DependentKind): boolean {
  return !dependents(fleet, host, only).next().done;
}

function* dependents(fleet: FleetView, host: Pick<KmsHostView, 'hostname'>, only?: DependentKind): Generator<MachineView> {
  for (const m of candidatesOf(fleet, host.hostname, only)) {
    if (m.retired || (only && !dependentKindsOf(m).includes(only))) continue;
    const h = kmsHostOfMachine(m, fleet);
    if (h !== null && sameHost(h, host.hostname)) yield m;
  }
}

/**
 * The machines that may use a host: the collector's index when there is one, else every machine. `only` narrows the
 * index to machines of that kind (a superset still: callers apply the exact test).
 */
export function candidatesOf(fleet: FleetView, hostname: string, only?: DependentKind): Iterable<MachineView> {
  return fleet.index ? fleet.index.dependentCandidates(hostname, only) : fleet.machines;
}

/** Every name a machine's KMS client products point at (and the machine's own dependency): what the index keys. */
export function kmsHostNamesOf(m: MachineView, fleet?: Pick<FleetView, 'kmsHosts' | 'index'>): string[] {
  const names = new Set<string>();
  for (const p of kmsClientProducts(m)) {
    const h = kmsHostOfProduct(p, m, fleet);
    if (h) names.add(h);
  }
  for (const e of m.recentEvents) {
    if (e.payload.kind === 'activation-request' && e.payload.kmsHost) names.add(canonicalHostName(e.payload.kmsHost));
  }
  return [...names];
}

/** The view of the host a client names, if that host runs an agent. */
export function findKmsHost(fleet: FleetView, name: string): KmsHostView | undefined {
  return fleet.kmsHosts.find((h) => sameHost(h.hostname, name));
}
