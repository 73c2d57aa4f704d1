import type { Server } from 'socket.io';
import type { SessionInfo } from '../../../shared/api.js';
import type { Cancel, Clock, Scheduler } from '../../../shared/scheduling.js';
import type { ClientToServerEvents, Delta, DeltaBatch, Room, RoomSnapshot, ServerToClientEvents } from '../../../shared/socket-events.js';
import type { Logger } from '../log.js';
import type { LiveHub as LiveHubApi } from '../plugin.js';
import type { Views } from '../read-model/views.js';
import type { FleetState } from '../state/fleet-state.js';
import { kmsHostIdOf, type MachineState } from '../state/machine-state.js';
import type { StateChange } from '../state/state-change.js';
import type { FleetStore } from '../store/fleet-store.js';

type Pending = Delta | (() => Delta | undefined);
/** Above this many queued changes a room gets a fresh snapshot instead: cheaper than a flood, and always right. */
const MAX_PENDING_PER_ROOM = 2000;

export type CollectorIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, { session: SessionInfo & { sessionHash: string } }>;

/**
 * Turns state changes into per-room deltas, coalesced (a later change of the same thing replaces the earlier one)
 * and sent every `intervalMs`. Nothing is queued for a room nobody is in; values are computed at send time, so
 * a machine that changed 50 times in 250 ms costs one row.
 */
export class LiveHub implements LiveHubApi {
  #io: CollectorIo;
  #views: Views;
  #state: FleetState;
  #store: FleetStore;
  #clock: Clock;
  #log: Logger;
  #pending = new Map<string, Map<string, Pending>>();
  #resync = new Set<string>();
  #seq = new Map<string, number>();
  #alertsSnapshot: ((room: Room, session: SessionInfo) => RoomSnapshot) | undefined;
  #cancel: Cancel | undefined;
  #unsubscribe: (() => void) | undefined;
  #scheduler: Scheduler | undefined;
  #intervalMs = 250;

  constructor(deps: { io: CollectorIo; views: Views; state: FleetState; store: FleetStore; clock: Clock; log: Logger }) {
    this.#io = deps.io;
    this.#views = deps.views;
    this.#state = deps.state;
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#log = deps.log;
  }

  /** Subscribes to the change feed; a flush is scheduled only while something is queued (no idle timer). */
  start(scheduler: Scheduler, intervalMs: number): void {
    this.#scheduler = scheduler;
    this.#intervalMs = intervalMs;
    this.#unsubscribe = this.#state.onChange((c) => this.#onChange(c));
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    this.#unsubscribe?.();
    this.#scheduler = undefined;
  }

  #scheduleFlush(): void {
    if (this.#cancel || !this.#scheduler) return;
    this.#cancel = this.#scheduler.at(this.#clock.now() + this.#intervalMs, () => {
      this.#cancel = undefined;
      this.flush();
    });
  }

  publish(room: Room, delta: Delta): void {
    this.#queue(room, keyOf(delta), delta);
  }

  provideSnapshot(_kind: 'alerts', snapshot: (room: Room, session: SessionInfo) => RoomSnapshot): void {
    this.#alertsSnapshot = snapshot;
  }

  /** Sends every room's queued changes now (the timer calls this; tests may too). */
  flush(): void {
    const at = new Date(this.#clock.now()).toISOString();
    for (const room of this.#resync) {
      this.#pending.delete(room);
      if (!this.#hasMembers(room)) continue;
      try {
        const snap = this.snapshot(room as Room, { username: '', role: 'viewer' });
        if (snap) this.#io.to(room).emit('snapshot', snap);
      } catch (e) {
        this.#log.error('live snapshot failed', { room, error: String(e) });
      }
    }
    this.#resync.clear();
    const batches = new Map<string, DeltaBatch>();
    for (const [room, queued] of this.#pending) {
      if (queued.size === 0 || !this.#hasMembers(room)) continue;
      const changes: Delta[] = [];
      for (const p of queued.values()) {
        try {
          const d = typeof p === 'function' ? p() : p;
          if (d) changes.push(d);
        } catch (e) {
          this.#log.error('live delta failed', { room, error: String(e) });
        }
      }
      if (changes.length === 0) continue;
      const seq = (this.#seq.get(room) ?? 0) + 1;
      this.#seq.set(room, seq);
      batches.set(room, { room, at, seq, changes });
    }
    this.#pending.clear();
    if (batches.size === 0) return;
    // One message per browser per tick, whatever the number of rooms it watches: sockets watching the same rooms
    // share one broadcast (encoded once).
    const audiences = new Map<string, { ids: string[]; batches: DeltaBatch[] }>();
    for (const room of batches.keys()) {
      for (const id of this.#io.sockets.adapter.rooms.get(room) ?? []) {
        const rooms = this.#io.sockets.sockets.get(id)?.rooms;
        if (!rooms) continue;
        const mine = [...rooms].filter((r) => batches.has(r)).sort();
        if (mine[0] !== room) continue; // handled once, at the socket's first room with news
        const key = mine.join('\u0000');
        let a = audiences.get(key);
        if (!a) audiences.set(key, (a = { ids: [], batches: mine.map((r) => batches.get(r)!) }));
        a.ids.push(id);
      }
    }
    for (const { ids, batches: list } of audiences.values()) this.#io.to(ids).emit('delta', list);
  }

  /** The state of a room now; undefined when its subject does not exist. */
  snapshot(room: Room, session: SessionInfo): RoomSnapshot | undefined {
    const at = new Date(this.#clock.now()).toISOString();
    const seq = this.#seq.get(room) ?? 0;
    if (room === 'overview') return { kind: 'overview', room, at, seq, summary: this.#views.summary() };
    if (room === 'machines') return { kind: 'machines', room, at, seq, total: this.#state.activeMachineCount };
    if (room === 'events') {
      const latest = this.#store.db.prepare('SELECT * FROM events ORDER BY time DESC, id DESC LIMIT 50').all() as Parameters<Views['eventFromRow']>[0][];
      return { kind: 'events', room, at, seq, latest: latest.map((r) => this.#views.eventFromRow(r)) };
    }
    if (room === 'alerts') {
      if (this.#alertsSnapshot) return { ...this.#alertsSnapshot(room, session), seq };
      return { kind: 'alerts', room, at, seq, alerts: [], counts: this.#views.health.alertCounts() };
    }
    if (room.startsWith('machine:')) {
      const m = this.#state.machine(room.slice('machine:'.length));
      return m ? { kind: 'machine', room, at, seq, machine: this.#views.machineDetail(m) } : undefined;
    }
    if (room.startsWith('kms-host:')) {
      const h = this.#state.kmsHost(room.slice('kms-host:'.length));
      return h ? { kind: 'kms-host', room, at, seq, kmsHost: this.#views.kmsHostDetail(h) } : undefined;
    }
    return undefined;
  }

  #hasMembers(room: string): boolean {
    return (this.#io.sockets.adapter.rooms.get(room)?.size ?? 0) > 0;
  }

  #queue(room: string, key: string, p: Pending): void {
    if (this.#resync.has(room) || !this.#hasMembers(room)) return;
    let q = this.#pending.get(room);
    if (!q) this.#pending.set(room, (q = new Map()));
    q.delete(key); // re-insert so the newest change goes last
    q.set(key, p);
    this.#scheduleFlush();
    if (q.size > MAX_PENDING_PER_ROOM) {
      this.#pending.delete(room);
      this.#resync.add(room);
      this.#scheduleFlush();
    }
  }

  #summary(): void {
    this.#queue('overview', 'summary', () => ({ type: 'summary', summary: this.#views.summary() }));
  }

  #hostRow(hostId: string): void {
    this.#queue(`kms-host:${hostId}`, `kms-host:${hostId}`, () => {
      const h = this.#state.kmsHost(hostId);
      return h ? { type: 'kms-host', kmsHost: this.#views.kmsHostItem(h) } : undefined;
    });
  }

  #onChange(c: StateChange): void {
    switch (c.kind) {
      case 'machine': {
        const id = c.id;
        this.#summary();
        this.#queue(`machine:${id}`, 'machine-detail', () => {
          const m = this.#state.machine(id);
          return m ? { type: 'machine-detail', machine: this.#views.machineCore(m) } : undefined;
        });
        if (c.before && onlyReportTimesMoved(c.before, c.after)) {
          // A heartbeat: the overview (stale count) and the machine's own room follow; no list row per machine (a
          // fleet heartbeats thousands of times a second), and a KMS host's row only when it is that host's machine.
          if (c.after.snapshot?.kmsService) this.#hostRow(kmsHostIdOf(c.after.snapshot.hostname));
          return;
        }
        const row = () => {
          const m = this.#state.machine(id);
          return m ? ({ type: 'machine', machine: this.#views.machineItem(m) } as const) : undefined;
        };
        this.#queue('machines', `machine:${id}`, row);
        if (c.before?.kmsHostId) this.#hostRow(c.before.kmsHostId);
        if (c.after.kmsHostId && c.after.kmsHostId !== c.before?.kmsHostId) this.#hostRow(c.after.kmsHostId);
        return;
      }
      case 'kms-host':
        this.#summary();
        this.#hostRow(c.id);
        return;
      case 'kms-client':
        this.#hostRow(c.id);
        if (c.after) this.#queue(`kms-host:${c.id}`, `kms-client:${c.after.cmid}`, { type: 'kms-client', kmsHost: c.id, client: this.#views.clientEntry(c.after) });
        return;
      case 'event': {
        const ev = c.event;
        const item = () => ({ type: 'event', event: this.#views.event(ev) }) as const;
        this.#queue('events', `event:${ev.id}`, item);
        this.#queue(`machine:${c.id}`, `event:${ev.id}`, item);
        const m = this.#state.machine(c.id);
        if (m?.snapshot?.kmsService) {
          for (const h of this.#state.kmsHosts()) {
            if (h.machineId === c.id) this.#queue(`kms-host:${h.id}`, `event:${ev.id}`, item);
          }
        }
        return;
      }
    }
  }
}

const REPORT_TIMES = new Set<string>(['lastReportAt', 'lastReceivedAt']);

/** True when a machine change moved nothing but its report times (what a heartbeat changes). */
function onlyReportTimesMoved(before: MachineState, after: MachineState): boolean {
  for (const k of Object.keys(after) as Array<keyof MachineState>) {
    if (!REPORT_TIMES.has(k) && before[k] !== after[k]) return false;
  }
  return true;
}

function keyOf(d: Delta): string {
  switch (d.type) {
    case 'summary':
      return 'summary';
    case 'machine':
      return `machine:${d.machine.machineId}`;
    case 'machine-detail':
      return 'machine-detail';
    case 'kms-host':
      return `kms-host:${d.kmsHost.id}`;
    case 'kms-client':
      return `kms-client:${d.kmsHost}:${d.client.cmid}`;
    case 'event':
      return `event:${d.event.id}`;
    case 'alert':
      return `alert:${d.alert.id}`;
    case 'alert-counts':
      return 'alert-counts';
  }
}
