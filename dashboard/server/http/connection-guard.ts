import type { Server } from 'node:net';
import type { Socket } from 'node:net';

const BUSY_BODY = JSON.stringify({ error: { code: 'too-many-connections', message: 'this address holds too many open connections to the collector; close some and retry' } });
const BUSY = `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(BUSY_BODY)}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n${BUSY_BODY}`;

export interface ConnectionGuard {
  /** True for a connection over the cap: its requests must not be handled (it is answered 503 and closed). */
  refused(socket: Socket): boolean;
  /** Open connections per address now (for tests and diagnostics). */
  openFrom(address: string): number;
}

/**
 * Caps the connections one remote address holds open at once: the next one is answered 503 (plain HTTP; over TLS it
 * is closed) and closed, the address's other connections and everybody else's are untouched. The address is the
 * socket's: behind a reverse proxy every connection is the proxy's, so the cap is off there (max 0) and the proxy
 * enforces its own. Memory: one counter per address with an open connection.
 */
export function guardConnections(server: Server, max: number, opts: { plainHttp: boolean; onRefused?: (address: string) => void }): ConnectionGuard {
  const open = new Map<string, number>();
  const refused = new WeakSet<Socket>();
  if (max > 0) {
    // Before Node's own listener: nothing of a refused connection reaches the HTTP parser's handlers (see refused()).
    server.prependListener('connection', (socket: Socket) => {
      const address = socket.remoteAddress ?? '';
      const n = (open.get(address) ?? 0) + 1;
      if (n > max) {
        refused.add(socket);
        opts.onRefused?.(address);
        socket.on('error', () => undefined);
        if (opts.plainHttp) socket.write(BUSY, () => socket.destroy());
        else socket.destroy();
        return;
      }
      open.set(address, n);
      socket.once('close', () => {
        const left = (open.get(address) ?? 1) - 1;
        if (left <= 0) open.delete(address);
        else open.set(address, left);
      });
    });
  }
  return {
    refused: (socket) => refused.has(socket),
    openFrom: (address) => open.get(address) ?? 0,
  };
}
