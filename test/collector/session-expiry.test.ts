import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLive, getJson, signIn, startCollector, until, type Harness, type LiveSocket } from '../support/collector-harness.js';

const HOUR = 3_600_000;

/** A live socket is pushed off when its session expires, on the collector's clock (sessionIdleHours 12). */
describe('collector: a session that expires while its socket is connected', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startCollector({ config: { sessionIdleHours: 12 } });
  });
  afterAll(async () => {
    await h.close();
  });

  /** The socket still answers: a join is acknowledged by the collector. */
  const answers = (socket: LiveSocket) =>
    new Promise<boolean>((resolve) => {
      if (!socket.connected) return resolve(false);
      socket.once('disconnect', () => resolve(false));
      socket.emit('join', { room: 'overview' }, (ack) => resolve(ack.ok));
    });

  const watch = (socket: LiveSocket) => {
    const seen: string[] = [];
    socket.on('session-ended', (r) => seen.push(`session-ended: ${r.message}`));
    socket.on('disconnect', (reason) => seen.push(`disconnect: ${reason}`));
    return seen;
  };

  it('is told session-ended and disconnected at the instant the session expires, and the cookie is refused', async () => {
    const cookie = await signIn(h);
    const { socket } = await connectLive(h, cookie);
    const seen = watch(socket);
    h.clock.advanceBy(12 * HOUR - 1);
    expect(await answers(socket)).toBe(true);
    expect(seen).toEqual([]);
    h.clock.advanceBy(1);
    await until(() => seen.length === 2, 'the push-off');
    expect(seen).toEqual(['session-ended: the session expired; sign in again', 'disconnect: io server disconnect']);
    expect((await getJson(`${h.url}/api/v1/session`, cookie)).status).toBe(401);
    socket.close();
  });

  it('stays while the session is used over REST; goes 12 hours after the last use', async () => {
    const cookie = await signIn(h);
    const other = await signIn(h);
    const { socket } = await connectLive(h, cookie);
    const { socket: bystander } = await connectLive(h, other);
    const seen = watch(socket);
    h.clock.advanceBy(8 * HOUR);
    expect((await getJson(`${h.url}/api/v1/session`, cookie)).status).toBe(200); // used: 12 h from now
    expect((await getJson(`${h.url}/api/v1/session`, other)).status).toBe(200);
    h.clock.advanceBy(8 * HOUR); // 16 h after sign-in, 8 h after the last use
    expect(await answers(socket)).toBe(true);
    expect(seen).toEqual([]);
    h.clock.advanceBy(2 * HOUR);
    expect((await getJson(`${h.url}/api/v1/session`, other)).status).toBe(200); // the bystander keeps going
    h.clock.advanceBy(2 * HOUR);
    await until(() => seen.length === 2, 'the push-off');
    expect(seen[0]).toBe('session-ended: the session expired; sign in again');
    expect(await answers(bystander)).toBe(true);
    socket.close();
    bystander.close();
  });

  it('a long idle limit (60 days) is waited out in steps of a day, not one timer past setTimeout\'s range', async () => {
    const long = await startCollector({ config: { sessionIdleHours: 60 * 24 } });
    try {
      const cookie = await signIn(long);
      const { socket } = await connectLive(long, cookie);
      const seen = watch(socket);
      long.clock.advanceBy(60 * 24 * HOUR - 1);
      expect(await answers(socket)).toBe(true);
      expect(long.clock.pending).toBeLessThan(10);
      long.clock.advanceBy(1);
      await until(() => seen.length === 2, 'the push-off');
      expect(seen[0]).toBe('session-ended: the session expired; sign in again');
      socket.close();
    } finally {
      await long.close();
    }
  });

  it('a socket that disconnects first leaves no timer behind', async () => {
    const cookie = await signIn(h);
    const { socket } = await connectLive(h, cookie);
    const pending = h.clock.pending;
    socket.close();
    await until(() => h.collector.io.sockets.sockets.size === 0, 'the server to see the close');
    expect(h.clock.pending).toBe(pending - 1);
    h.clock.advanceBy(13 * HOUR); // nothing to push off, nothing throws
    expect(h.collector.io.sockets.sockets.size).toBe(0);
  });
});
