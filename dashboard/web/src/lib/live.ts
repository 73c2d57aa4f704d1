// The live stream: one socket.io connection, rooms joined by whatever views are on screen, snapshots and delta batches
// validated at the edge and routed to their room's listeners. socket.io reconnects by itself; on every (re)connect we
// join our rooms again and the server answers each with a fresh snapshot, which is the whole catch-up.
import { io, type Socket } from 'socket.io-client';
import { DeltaBatch, Hello, RoomSnapshot, type ClientToServerEvents, type Room, type ServerToClientEvents } from '../../../../shared/socket-events.js';
import type { Clock } from '../../../../shared/scheduling.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface RoomListener {
  snapshot(s: RoomSnapshot): void;
  delta(b: DeltaBatch): void;
}

export interface LiveStatus {
  state: ConnectionState;
  /** Local time of the newest snapshot or delta, or null before the first. */
  lastDataAt: number | null;
  /** Local time the connection was lost, while it is lost. */
  lostAt: number | null;
  /** Why the last attempt failed, for the banner. */
  reason: string | null;
}

export class LiveConnection {
  readonly #socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  readonly #clock: Clock;
  readonly #rooms = new Map<Room, Set<RoomListener>>();
  readonly #lastSeq = new Map<Room, number>();
  readonly #statusListeners = new Set<(s: LiveStatus) => void>();
  #status: LiveStatus = { state: 'connecting', lastDataAt: null, lostAt: null, reason: null };
  /** Server time minus local time, from `hello`; turns server instants into local ones. */
  skewMs = 0;
  onSessionEnded: (message: string) => void = () => {};
  /** Called when the server refused the connection (not a network failure). */
  onRefused: () => void = () => {};
  #refusals = 0;
  #retry: ReturnType<typeof setTimeout> | null = null;

  constructor(clock: Clock, url?: string) {
    this.#clock = clock;
    this.#socket = io(url ?? '/', {
      transports: ['websocket', 'polling'],
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.3,
      withCredentials: true,
    });
    const s = this.#socket;
    s.on('connect', () => {
      this.#refusals = 0;
      this.#setStatus({ state: 'live', lostAt: null, reason: null });
      for (const room of this.#rooms.keys()) this.#join(room);
    });
    s.on('disconnect', (reason) => {
      // An explicit server disconnect (session ended) does not reconnect by itself; try anyway, the sign-in check decides.
      if (reason === 'io server disconnect') s.connect();
      this.#setStatus({ state: 'reconnecting', lostAt: this.#status.lostAt ?? this.#clock.now(), reason: String(reason) });
    });
    s.on('connect_error', (err) => {
      // A refusal by the server (for instance a collector that restarted and forgot the session) is not retried by
      // socket.io itself; retry with a capped backoff, and let the shell check whether we are still signed in.
      if (!s.active) {
        this.#refusals++;
        if (this.#retry) clearTimeout(this.#retry);
        this.#retry = setTimeout(() => s.connect(), Math.min(30_000, 1000 * 2 ** Math.min(this.#refusals - 1, 5)));
        this.onRefused();
      }
      this.#setStatus({
        state: this.#status.lastDataAt === null ? 'connecting' : 'offline',
        lostAt: this.#status.lostAt ?? this.#clock.now(),
        reason: err.message,
      });
    });
    s.on('hello', (raw) => {
      const hello = Hello.safeParse(raw);
      if (hello.success) this.skewMs = Date.parse(hello.data.serverTime) - this.#clock.now();
    });
    s.on('snapshot', (raw) => {
      const snap = RoomSnapshot.safeParse(raw);
      if (!snap.success) return console.warn('vawatch: malformed snapshot', snap.error.issues[0]);
      const room = snap.data.room as Room;
      this.#lastSeq.set(room, snap.data.seq);
      this.#touch();
      for (const l of this.#rooms.get(room) ?? []) l.snapshot(snap.data);
    });
    s.on('delta', (raw) => {
      if (!Array.isArray(raw)) return;
      for (const item of raw) {
        const batch = DeltaBatch.safeParse(item);
        if (!batch.success) {
          console.warn('vawatch: malformed delta', batch.error.issues[0]);
          continue;
        }
        const room = batch.data.room as Room;
        const listeners = this.#rooms.get(room);
        if (!listeners) continue;
        const last = this.#lastSeq.get(room);
        this.#lastSeq.set(room, batch.data.seq);
        // A gap means a batch went missing: ask again for a snapshot rather than show a wrong screen.
        if (last !== undefined && batch.data.seq > last + 1) {
          this.#join(room);
          continue;
        }
        this.#touch();
        for (const l of listeners) l.delta(batch.data);
      }
    });
    s.on('session-ended', (r) => this.onSessionEnded(typeof r?.message === 'string' ? r.message : 'Your session ended.'));
  }

  get status(): LiveStatus {
    return this.#status;
  }

  onStatus(fn: (s: LiveStatus) => void): () => void {
    this.#statusListeners.add(fn);
    fn(this.#status);
    return () => this.#statusListeners.delete(fn);
  }

  /** Listens to a room; joins it when the first listener arrives and leaves when the last one goes. */
  subscribe(room: Room, listener: RoomListener): () => void {
    let set = this.#rooms.get(room);
    if (!set) {
      set = new Set();
      this.#rooms.set(room, set);
      if (this.#socket.connected) this.#join(room);
    } else if (this.#socket.connected) {
      // A second screen on the same room needs its own starting point.
      this.#join(room);
    }
    set.add(listener);
    return () => {
      const s = this.#rooms.get(room);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) {
        this.#rooms.delete(room);
        this.#lastSeq.delete(room);
        if (this.#socket.connected) this.#socket.emit('leave', { room });
      }
    };
  }

  /** Asks every room for a fresh snapshot (the NOC does this now and then as a belt-and-braces resync). */
  resync(): void {
    if (this.#socket.connected) for (const room of this.#rooms.keys()) this.#join(room);
  }

  close(): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#socket.close();
  }

  #join(room: Room): void {
    const since = this.#lastSeq.get(room);
    this.#socket.emit('join', since === undefined ? { room } : { room, since }, (ack) => {
      if (ack && ack.ok === false) console.warn(`vawatch: cannot join ${room}: ${ack.error.message}`);
    });
  }

  #touch(): void {
    this.#setStatus({ lastDataAt: this.#clock.now() });
  }

  #setStatus(patch: Partial<LiveStatus>): void {
    this.#status = { ...this.#status, ...patch };
    for (const fn of this.#statusListeners) fn(this.#status);
  }
}
