/** A fake HTTP receiver on 127.0.0.1:0 for notifier tests: records every request and answers from a script. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: unknown;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export class FakeReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Answers used in order; when empty, `fallback`. */
  readonly script: ScriptedAnswer[] = [];
  fallback: ScriptedAnswer = { status: 200, body: '' };
  #server: http.Server;
  #waiters: Array<{ n: number; resolve: () => void }> = [];
  url = '';

  constructor() {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown = raw;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          // keep the raw text
        }
        this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body });
        const a = this.script.shift() ?? this.fallback;
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body ?? '');
        this.#waiters = this.#waiters.filter((w) => (this.requests.length >= w.n ? (w.resolve(), false) : true));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Resolves once `n` requests in total have arrived. */
  waitFor(n: number, timeoutMs = 5000): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`expected ${n} requests, got ${this.requests.length}`)), timeoutMs);
      this.#waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
