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
import { kmsHostIdOf } from '../state/machine-state.js';
import type { EventRow, FleetStore } from '../store/fleet-store.js';
import type { Views } from './views.js';

type SortValue = string | number | null;

/** Nulls last in either direction. */
function compare(a: SortValue, b: SortValue, desc: boolean): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const c = a < b ? -1 : 1;
  return desc ? -c : c;
}

/**
 * GET /api/v1/machines: filtered, sorted and paged from the maintained list index (ties by host name, then machine id,
 * so pages are stable). Never sorts or walks the fleet; with a text filter `total` may be a lower bound (then
 * `totalIsLowerBound` is true).
 */
export function queryMachines(_state: FleetState, views: Views, q: MachineListQuery): Page<MachineListItem> & { totalIsLowerBound?: true } {
  const r = views.machineList.query(q);
  const page = { items: r.machines.map((m) => views.machineItem(m)), total: r.total };
  return r.totalIsLowerBound ? { ...page, totalIsLowerBound: true } : page;
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
  // Machine filters add up (as they always did): the machine, the KMS host's machine, the group's machines.
  const byMachine: string[] = [];
  if (machineIds.length > 0) {
    byMachine.push(`machine_id IN (${machineIds.map(() => '?').join(',')})`);
    args.push(...machineIds);
  }
  if (q.group !== undefined) {
    // The machines table's group index (retired machines too: their events stay listed).
    byMachine.push('machine_id IN (SELECT machine_id FROM machines WHERE effective_group = ?)');
    args.push(q.group);
  }
  if (byMachine.length > 0) where.push(`(${byMachine.join(' OR ')})`);
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
