import http from 'node:http';

/** One request as the fuzzer sends it: raw bytes, chosen headers, a Content-Length or chunks. */
export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent as Transfer-Encoding: chunked (two chunks) instead of with a Content-Length. */
  chunked?: boolean;
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * Keep-alive HTTP lanes to one server, each lane bound to its own loopback address (127.x.y.z) so that per-address
 * limits (sign-in, enrolment) see many clients, as they would in a fleet. `rotate()` moves every lane to fresh
 * addresses; requests in flight finish on their old connections.
 */
export class FuzzClient {
  #host: string;
  #port: number;
  #lanes: http.Agent[] = [];
  #generation = 0;
  #size: number;

  constructor(baseUrl: string, lanes: number) {
    const u = new URL(baseUrl);
    this.#host = u.hostname;
    this.#port = Number(u.port);
    this.#size = lanes;
    this.rotate();
  }

  /** Fresh loopback addresses for every lane (old connections close once idle). */
  rotate(): void {
    for (const a of this.#lanes) a.destroy();
    this.#generation++;
    this.#lanes = Array.from({ length: this.#size }, (_, i) => {
      const n = (this.#generation * this.#size + i) % (254 * 254 * 254);
      const address = `127.${1 + Math.floor(n / (254 * 254))}.${1 + (Math.floor(n / 254) % 254)}.${1 + (n % 254)}`;
      return new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: address });
    });
  }

  send(lane: number, req: RawRequest, timeoutMs = 30_000): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...req.headers };
      if (req.body !== undefined && !req.chunked) headers['content-length'] = String(req.body.length);
      if (req.chunked) headers['transfer-encoding'] = 'chunked';
      const r = http.request(
        { host: this.#host, port: this.#port, method: req.method, path: req.path, headers, agent: this.#lanes[lane % this.#size]! },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      r.on('error', reject);
      if (req.body !== undefined && req.chunked) {
        const half = Math.floor(req.body.length / 2);
        r.write(req.body.subarray(0, half));
        r.end(req.body.subarray(half));
      } else {
        r.end(req.body);
      }
    });
  }

  close(): void {
    for (const a of this.#lanes) a.destroy();
    this.#lanes = [];
  }
}
