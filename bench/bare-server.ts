/**
 * The ceiling every ingest figure is compared with: Node's bare `http` server in its own process, reading each body,
 * parsing it as JSON and answering 200 with a small ack, as the collector answers an accepted batch. Nothing else.
 * Forked by load-client.ts; sends `{port}` over IPC once listening.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    // The /healthz probe's reference: what a fresh connection costs on a server doing only this.
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let ack: string;
    try {
      const batch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { reports?: Array<{ epoch?: number; seq?: number }> };
      const last = batch.reports?.at(-1);
      ack = JSON.stringify({ epoch: last?.epoch ?? 1, ackedThrough: last?.seq ?? 0 });
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"code":"malformed-json","message":"bad JSON"}}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ack) }).end(ack);
  });
});
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
