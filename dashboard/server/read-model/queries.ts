import type {
  EventListItem,
  EventListQuery,
  KmsHostListItem,
  KmsHostListQuery,
  MachineListItem,
  MachineListQuery,
  Page,
} from '../../../shared/api.js';
import type { FleetState } from '../state/fleet-state.js';
import { kmsHostIdOf, type MachineState } from '../state/machine-state.js';
import type { EventRow, FleetStore } from '../store/fleet-store.js';
import type { Views } from './views.js';

type SortValue = string | number | null;

function sortKey(m: MachineState, key: string): SortValue {
  switch (key) {
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
}

/** Nulls last in either direction; ties by host name, then machine id, so pages are stable. */
function compare(a: SortValue, b: SortValue, desc: boolean): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const c = a < b ? -1 : 1;
  return desc ? -c : c;
}

/** GET /api/v1/machines: filtered, sorted and paged in memory (the state is the source for current values). */
export function queryMachines(state: FleetState, views: Views, q: MachineListQuery): Page<MachineListItem> {
  const statuses = q.status ? new Set(q.status.map(String)) : null;
  const channels = q.channel ? new Set<string>(q.channel) : null;
  const kmsHost = q.kmsHost ? kmsHostIdOf(q.kmsHost) : null;
  const text = q.q?.toLowerCase() ?? null;
  const matches: MachineState[] = [];
  const candidates: Iterable<MachineState> =
    kmsHost && q.retired === 'active'
      ? [...state.machinesUsingKmsHost(kmsHost)].map((id) => state.machine(id)!).filter(Boolean)
      : state.machines();
  for (const m of candidates) {
    if (q.retired === 'active' && m.retired) continue;
    if (q.retired === 'retired' && !m.retired) continue;
    if (statuses && !statuses.has(m.primary ? String(m.primary.licenseStatus) : 'none')) continue;
    if (channels && !channels.has(m.primary?.channel ?? 'none')) continue;
    if (kmsHost && m.kmsHostId !== kmsHost) continue;
    if (q.group !== undefined && m.group !== q.group) continue;
    if (
      text &&
      !m.hostname.toLowerCase().includes(text) &&
      !m.machineId.toLowerCase().includes(text) &&
      !(m.snapshot?.cmid ?? '').toLowerCase().includes(text)
    ) {
      continue;
    }
    matches.push(m);
  }
  const desc = q.sort.startsWith('-');
  const key = q.sort.replace(/^-/, '');
  const keyed = matches.map((m) => ({ m, k: sortKey(m, key), h: m.hostname.toLowerCase() }));
  keyed.sort((a, b) => compare(a.k, b.k, desc) || (a.h < b.h ? -1 : a.h > b.h ? 1 : 0) || (a.m.machineId < b.m.machineId ? -1 : 1));
  return {
    items: keyed.slice(q.offset, q.offset + q.limit).map((x) => views.machineItem(x.m)),
    total: matches.length,
  };
}

export function queryKmsHosts(state: FleetState, views: Views, q: KmsHostListQuery): Page<KmsHostListItem> {
  const text = q.q?.toLowerCase();
  const items = [...state.kmsHosts()].filter((h) => !text || h.id.includes(text)).map((h) => views.kmsHostItem(h));
  const desc = q.sort.startsWith('-');
  const key = q.sort.replace(/^-/, '') as 'hostname' | 'currentCount' | 'clientsUsing' | 'lastRequestAt';
  items.sort((a, b) => {
    const va: SortValue = key === 'hostname' ? a.id : a[key];
    const vb: SortValue = key === 'hostname' ? b.id : b[key];
    return compare(va, vb, desc) || a.id.localeCompare(b.id);
  });
  return { items: items.slice(q.offset, q.offset + q.limit), total: items.length };
}

/** GET /api/v1/events: newest first, from SQLite. */
export function queryEvents(store: FleetStore, state: FleetState, views: Views, q: EventListQuery): Page<EventListItem> {
  const where: string[] = [];
  const args: unknown[] = [];
  const machineIds: string[] = [];
  if (q.machineId !== undefined) machineIds.push(q.machineId);
  if (q.kmsHost !== undefined) {
    const h = state.kmsHost(kmsHostIdOf(q.kmsHost));
    machineIds.push(h?.machineId ?? '\u0000none');
  }
  if (q.group !== undefined) {
    for (const m of state.machines()) if (m.group === q.group) machineIds.push(m.machineId);
    if (machineIds.length === 0) machineIds.push('\u0000none');
  }
  if (machineIds.length > 0) {
    where.push(`machine_id IN (${machineIds.map(() => '?').join(',')})`);
    args.push(...machineIds);
  }
  if (q.eventId?.length) {
    where.push(`event_id IN (${q.eventId.map(() => '?').join(',')})`);
    args.push(...q.eventId);
  }
  if (q.kind?.length) {
    where.push(`kind IN (${q.kind.map(() => '?').join(',')})`);
    args.push(...q.kind);
  }
  if (q.since) {
    where.push('time >= ?');
    args.push(Date.parse(q.since));
  }
  if (q.until) {
    where.push('time < ?');
    args.push(Date.parse(q.until));
  }
  if (q.q) {
    where.push("payload LIKE ? ESCAPE '\\'");
    args.push(`%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (store.db.prepare(`SELECT COUNT(*) AS n FROM events ${clause}`).get(...args) as { n: number }).n;
  const rows = store.db
    .prepare(`SELECT * FROM events ${clause} ORDER BY time DESC, id DESC LIMIT ? OFFSET ?`)
    .all(...args, q.limit, q.offset) as EventRow[];
  return { items: rows.map((r) => views.eventFromRow(r)), total };
}
