/**
 * Baselines measured in the same run as each benchmark, because absolute times on a shared 2-core machine are noisy:
 * every figure is printed with its ratio to one of these.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fixed CPU workload (JSON round trips of a report-sized object): operations per second on this machine now. */
export function cpuBaselineOpsPerSec(durationMs = 500): number {
  const obj = {
    machineId: '6f1c2a4e-0000-4000-8000-000000000000',
    hostname: 'ws-0001.contoso.com',
    products: Array.from({ length: 3 }, (_, i) => ({ activationId: `id-${i}`, licenseStatus: 1, grace: 259200 })),
  };
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    for (let i = 0; i < 100; i++) JSON.parse(JSON.stringify(obj));
    ops += 100;
  }
  return ops / ((performance.now() - start) / 1000);
}

/** Node's bare http server answering 1 KB POSTs sequentially from one client: requests per second. */
export async function httpBaselineReqPerSec(requests = 2000): Promise<number> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const body = JSON.stringify({ pad: 'x'.repeat(950) });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      next++;
      await new Promise<void>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const rate = requests / ((performance.now() - start) / 1000);
  agent.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  return rate;
}

/** Prints one figure, aligned, with an optional ratio to a baseline and a target. */
export function report(name: string, value: string, extra = ''): void {
  console.log(`${name.padEnd(58)} ${value.padStart(16)}  ${extra}`);
}
