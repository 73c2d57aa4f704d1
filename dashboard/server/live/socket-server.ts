import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { JoinRequest, LeaveRequest, type RoomAck } from '../../../shared/socket-events.js';
import { describeIssues } from '../../../shared/protocol.js';
import type { Cancel, Clock, Scheduler } from '../../../shared/scheduling.js';
import { readCookie, SESSION_COOKIE } from '../http/cookies.js';
import type { UserService } from '../identity/user-service.js';
import type { Logger } from '../log.js';
import type { CollectorIo, LiveHub } from './live-hub.js';

/** A socket's session expiry is looked at again at least this often (long idle limits are re-armed in steps). */
const RECHECK_SESSION_MS = 24 * 3_600_000;
/** A socket may watch this many rooms at once (a screen needs a handful). */
const MAX_ROOMS_PER_SOCKET = 32;

export interface SocketLimits {
  /** Largest message a browser may send (socket.io's maxHttpBufferSize). */
  maxMessageBytes: number;
  /** Unsent bytes a socket may have queued (engine.io's buffer plus the websocket's) before it is dropped. */
  maxQueuedBytes: number;
  log: Logger;
}

/** socket.io on the collector's HTTP server, signed in by the same session cookie as the REST API. */
export function createSocketServer(httpServer: HttpServer, users: UserService, limits: SocketLimits): CollectorIo {
  const io: CollectorIo = new Server(httpServer, {
    serveClient: false,
    // The dashboard is served by this same origin; no cross-origin sockets.
    cors: { origin: false },
    maxHttpBufferSize: limits.maxMessageBytes,
  });
  dropSlowReaders(io, limits);
  io.use((socket, next) => {
    const cookie = readCookie(socket.request.headers.cookie, SESSION_COOKIE);
    const session = cookie ? users.session(cookie) : undefined;
    if (!session) {
      next(new Error('unauthorized: sign in first (POST /api/v1/session)'));
      return;
    }
    socket.data.session = session;
    next();
  });
  users.onSessionEnded((hash, reason) => {
    for (const s of io.sockets.sockets.values()) {
      if (s.data.session?.sessionHash === hash) {
        s.emit('session-ended', { message: reason });
        s.disconnect(true);
      }
    }
  });
  return io;
}

/** engine.io's connection, as far as the queue bound reads it. */
interface EngineConnection {
  on(event: 'packetCreate', l: (packet: { data?: unknown }) => void): void;
  on(event: 'flush', l: () => void): void;
  transport: { name: string; socket?: { bufferedAmount?: number; terminate?: () => void } };
  close(): void;
}

/**
 * A browser that stops reading (a frozen tab, a dead network path with the TCP connection still up) would have every
 * delta queued for it until the ping timeout: the bytes waiting in engine.io's buffer and in the websocket are counted
 * at each packet (O(1)), and past `maxQueuedBytes` the connection is cut at once (not closed politely, which waits for
 * the peer to read), so the queue is freed.
 */
function dropSlowReaders(io: CollectorIo, limits: SocketLimits): void {
  io.on('connection', (socket) => {
    const conn = socket.conn as unknown as EngineConnection;
    let engineQueued = 0;
    let dropped = false;
    conn.on('flush', () => void (engineQueued = 0));
    conn.on('packetCreate', (packet) => {
      const d = packet.data;
      engineQueued += typeof d === 'string' ? d.length : d instanceof Uint8Array ? d.byteLength : 16;
      const queued = engineQueued + (conn.transport.socket?.bufferedAmount ?? 0);
      if (queued <= limits.maxQueuedBytes || dropped) return;
      dropped = true;
      limits.log.warn('live socket dropped: it stopped reading', { user: socket.data.session.username, queuedBytes: queued, address: socket.handshake.address });
      const ws = conn.transport.socket;
      if (conn.transport.name === 'websocket' && ws?.terminate) ws.terminate();
      else conn.close();
    });
  });
}

/**
 * A socket whose session expires (idle past sessionIdleHours: REST use keeps it alive, the socket alone does not) is
 * told `session-ended` and disconnected when it does, on the collector's clock: one timer per socket, re-armed when
 * the session was used in between.
 */
export function endExpiredSessions(io: CollectorIo, users: UserService, scheduler: Scheduler): void {
  io.on('connection', (socket) => {
    let cancel: Cancel | undefined;
    const check = () => {
      cancel = undefined;
      const at = users.sessionExpiresAt(socket.data.session.sessionHash);
      if (at === undefined || at <= scheduler.now()) {
        socket.emit('session-ended', { message: 'the session expired; sign in again' });
        socket.disconnect(true);
        return;
      }
      // At most a day ahead: a timer further out than ~24.8 days would overflow setTimeout and fire at once.
      cancel = scheduler.at(Math.min(at, scheduler.now() + RECHECK_SESSION_MS), check);
    };
    check();
    socket.on('disconnect', () => cancel?.());
  });
}

/** Wires join / leave: validate, answer with a snapshot, then the room's deltas follow. */
export function handleRooms(io: CollectorIo, hub: LiveHub, clock: Clock, startedAt: number, deltaIntervalMs: number, log: Logger): void {
  io.on('connection', (socket) => {
    const { username, role } = socket.data.session;
    socket.emit('hello', {
      serverTime: new Date(clock.now()).toISOString(),
      startedAt: new Date(startedAt).toISOString(),
      session: { username, role },
      deltaIntervalMs,
    });
    const answer = (ack: unknown, a: RoomAck) => {
      if (typeof ack === 'function') (ack as (a: RoomAck) => void)(a);
    };
    socket.on('join', (raw: unknown, ack?: unknown) => {
      try {
        const r = JoinRequest.safeParse(raw);
        if (!r.success) {
          answer(ack, { ok: false, error: { code: 'invalid-message', message: describeIssues(r.error).summary } });
          return;
        }
        const room = r.data.room;
        if (socket.rooms.size > MAX_ROOMS_PER_SOCKET && !socket.rooms.has(room)) {
          answer(ack, { ok: false, error: { code: 'too-many-rooms', message: `leave a room first (at most ${MAX_ROOMS_PER_SOCKET})` } });
          return;
        }
        const snap = hub.snapshot(room, { username, role });
        if (!snap) {
          answer(ack, { ok: false, error: { code: 'not-found', message: `${room} does not exist` } });
          return;
        }
        void socket.join(room);
        socket.emit('snapshot', snap);
        answer(ack, { ok: true, room });
      } catch (e) {
        log.error('join failed', { error: e instanceof Error ? e.stack : String(e) });
        answer(ack, { ok: false, error: { code: 'internal', message: 'internal error' } });
      }
    });
    socket.on('leave', (raw: unknown, ack?: unknown) => {
      const r = LeaveRequest.safeParse(raw);
      if (!r.success) {
        answer(ack, { ok: false, error: { code: 'invalid-message', message: describeIssues(r.error).summary } });
        return;
      }
      void socket.leave(r.data.room);
      answer(ack, { ok: true, room: r.data.room });
    });
  });
}
