import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLive, signIn, startCollector, until, type Harness } from '../support/collector-harness.js';

/** A raw TCP client from a chosen loopback address; records what it receives and when the collector closes it. */
function rawClient(h: Harness, localAddress = '127.0.0.1'): Promise<{ socket: net.Socket; received: () => string; closed: () => boolean }> {
  const url = new URL(h.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port), localAddress });
    let text = '';
    let closed = false;
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (text += c));
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    socket.once('connect', () => resolve({ socket, received: () => text, closed: () => closed }));
    socket.once('error', reject);
  });
}

/** GET over a fresh connection from `localAddress`; resolves with the status and how long the answer took. */
function getFrom(h: Harness, path: string, localAddress = '127.0.0.1'): Promise<{ status: number; ms: number }> {
  const url = new URL(h.url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get({ host: url.hostname, port: url.port, path, localAddress, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      })
      .on('error', reject);
  });
}

/** Sends `text` one byte at a time, one byte per `everyMs`, until the socket closes or the text runs out. */
function trickle(socket: net.Socket, text: string, everyMs: number): () => void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++]!);
  }, everyMs);
  return () => clearInterval(timer);
}

describe('collector: slow and abusive HTTP clients', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startCollector({ config: { headersTimeoutMs: 1000, requestTimeoutMs: 1500, keepAliveTimeoutMs: 300, maxHeaderBytes: 4096, maxConnectionsPerAddress: 40 } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('slowloris clients trickling headers are cut off (408) while /healthz keeps answering', async () => {
    const attackers = await Promise.all(Array.from({ length: 30 }, () => rawClient(h, '127.0.0.21')));
    const stops = attackers.map((a) => {
      a.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      return trickle(a.socket, 'X-Slow: ' + 'a'.repeat(1000), 20);
    });
    // During the attack, another client is answered again and again, each time well within the headers timeout.
    // A probe every 20 ms; the attackers must be gone well before a generous deadline (the cut-off comes at the
    // headers timeout plus the server's timeout check, ~1-2 s), whatever the machine's speed.
    const duringAttack: number[] = [];
    const deadline = Date.now() + 20_000;
    while (attackers.some((a) => !a.closed())) {
      const r = await getFrom(h, '/healthz');
      expect(r.status).toBe(200);
      if (attackers.every((a) => !a.closed())) duringAttack.push(r.ms);
      if (Date.now() > deadline) throw new Error('the slow clients were never cut off');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    stops.forEach((s) => s());
    expect(duringAttack.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...duringAttack)).toBeLessThan(1000);
    for (const a of attackers) expect(a.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a client trickling its body is cut off after the request timeout; nothing is stored', async () => {
    const before = h.collector.state.machineCount;
    const a = await rawClient(h);
    const body = JSON.stringify({ secret: 'x'.repeat(200), machineId: 'slow-1', hostname: 'slow-1.contoso.com' });
    a.socket.write(`POST /api/v1/agents/enrol HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    const stop = trickle(a.socket, body, 20); // 270 bytes take 5 s: longer than the 1.5 s request timeout
    await until(() => a.closed(), 'the trickled body to be cut off', 4500);
    stop();
    expect(a.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(h.collector.state.machineCount).toBe(before);
  });

  it('a connection that sends nothing, and an idle keep-alive connection, are closed', async () => {
    const silent = await rawClient(h);
    const idle = await rawClient(h);
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => idle.received().includes('{"status":"ok"}'), 'the first answer');
    await until(() => silent.closed() && idle.closed(), 'both to be closed', 5000);
  });

  it('headers over the size limit are refused with 431', async () => {
    const a = await rawClient(h);
    a.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(5000)}\r\n\r\n`);
    await until(() => a.received().length > 0, 'an answer');
    expect(a.received()).toMatch(/^HTTP\/1\.1 431 /);
    const ok = await getFrom(h, '/healthz');
    expect(ok.status).toBe(200);
  });

  it('connections over the per-address cap are answered 503 and closed; the address keeps its others, other addresses are untouched', async () => {
    const held = await Promise.all(Array.from({ length: 40 }, () => rawClient(h, '127.0.0.31')));
    const extra = await rawClient(h, '127.0.0.31');
    await until(() => extra.closed(), 'the 41st connection to be closed');
    expect(extra.received()).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(extra.received()).toContain('"code":"too-many-connections"');
    // One of the held connections still works, and another address is served.
    held[0]!.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => held[0]!.received().includes('{"status":"ok"}'), 'an answer on a held connection');
    expect((await getFrom(h, '/healthz', '127.0.0.32')).status).toBe(200);
    // Closing one frees a place for the address (once the collector has seen the close).
    held[1]!.socket.destroy();
    const statuses: number[] = [];
    for (let i = 0; i < 50 && statuses.at(-1) !== 200; i++) statuses.push((await getFrom(h, '/healthz', '127.0.0.31')).status);
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.every((s) => s === 503 || s === 200)).toBe(true);
    for (const c of held) c.socket.destroy();
  });
});

describe('collector: a browser that stops reading its live socket', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startCollector({ config: { liveMaxQueuedBytes: 1024 * 1024 } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('is dropped once 1 MiB is queued for it; the queue never grows past that; a reading browser stays', async () => {
    const cookie = await signIn(h);
    const dead = await connectLive(h, cookie);
    const alive = await connectLive(h, cookie);
    await until(() => h.collector.io.sockets.sockets.size === 2, 'both sockets on the server');
    // The dead browser: its TCP connection stays up but it reads nothing more.
    (dead.socket.io.engine.transport as unknown as { ws: { _socket: net.Socket } }).ws._socket.pause();
    const serverSide = h.collector.io.sockets.sockets.get(dead.socket.id!)!;
    const ws = (serverSide.conn.transport as unknown as { socket: { bufferedAmount: number } }).socket;
    const chunk = 'x'.repeat(100_000);
    let sent = 0;
    let maxQueued = 0;
    while (serverSide.connected) {
      serverSide.emit('delta', [{ kind: 'filler', chunk }] as never);
      sent += chunk.length;
      maxQueued = Math.max(maxQueued, ws.bufferedAmount);
      await new Promise((r) => setImmediate(r)); // lets the socket write what the kernel takes
      if (sent > 500_000_000) throw new Error('the dead browser was never dropped');
    }
    // Far more was offered than was ever held: the kernel's buffers took some, the collector at most 1 MiB + a message.
    expect(sent).toBeGreaterThan(1024 * 1024);
    expect(maxQueued).toBeLessThanOrEqual(1024 * 1024 + 100_100);
    await until(() => !h.collector.io.sockets.sockets.has(serverSide.id), 'the server to forget the socket');
    // The reading browser is still served.
    const ack = await new Promise<{ ok: boolean }>((resolve) => alive.socket.emit('join', { room: 'overview' }, resolve));
    expect(ack.ok).toBe(true);
    dead.socket.close();
    alive.socket.close();
  });

  it('a message over liveMaxMessageBytes (64 KiB) closes that socket; a normal one is answered', async () => {
    const cookie = await signIn(h);
    const { socket } = await connectLive(h, cookie);
    const small = await new Promise<{ ok: boolean }>((resolve) => socket.emit('join', { room: 'overview' }, resolve));
    expect(small.ok).toBe(true);
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));
    socket.emit('join', { room: `machine:${'m'.repeat(70 * 1024)}` } as never, () => reasons.push('answered'));
    await until(() => reasons.length > 0, 'the socket to be closed');
    expect(reasons).toEqual(['transport close']);
  });
});
