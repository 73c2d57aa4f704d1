/**
 * A stand-in for the collector, on node:http at 127.0.0.1:0, speaking exactly the HTTP envelope of shared/protocol.ts:
 * enrol, and report batches answered with a ReportAck, deduplicated on (agent, epoch, seq) like the real one. Modes
 * let a test make it refuse, throttle, fail or vanish.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnrolRequest, ReportBatch, describeIssues, type EventRecord, type Report } from '../../shared/protocol.js';

export type FakeCollectorMode =
  | { kind: 'ack' }
  /** Connections are cut: the agent sees a network error. */
  | { kind: 'down' }
  | { kind: 'status'; status: 500 | 502 | 503 }
  | { kind: 'throttle'; retryAfterSeconds: number };

export interface StoredReport {
  agentId: string;
  report: Report;
}

export interface FakeCollector {
  url: string;
  secret: string;
  mode: FakeCollectorMode;
  /** Every enrol request, in order. */
  enrolments: EnrolRequest[];
  /** Every batch request that reached the report endpoint (any answer), in order. */
  batchRequests: number;
  /** Reports stored, in arrival order, each (agent, epoch, seq) once. */
  stored: StoredReport[];
  /** Reports whose arrival was a duplicate of a stored one. */
  duplicates: number;
  /** A report for which this returns a message is refused with 400 (the whole batch, as a validation error would). */
  refuse: ((r: Report) => string | undefined) | undefined;
  /** Bodies above this many bytes are refused with 413, as express.json({limit}) does. */
  bodyLimitBytes: number;
  /** Makes every token issued so far invalid (401). */
  revokeAll(): void;
  /** Stored events of one agent, in arrival order. */
  eventsOf(agentId: string): EventRecord[];
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

export async function startFakeCollector(opts: { secret?: string } = {}): Promise<FakeCollector> {
  const tokens = new Map<string, string>(); // token → agentId
  const agentOfMachine = new Map<string, string>();
  const seen = new Set<string>();
  const acked = new Map<string, number>(); // agentId:epoch → highest seq
  const fake: FakeCollector = {
    url: '',
    secret: opts.secret ?? 'enrol-secret',
    mode: { kind: 'ack' },
    enrolments: [],
    batchRequests: 0,
    stored: [],
    duplicates: 0,
    refuse: undefined,
    bodyLimitBytes: Infinity,
    revokeAll: () => tokens.clear(),
    eventsOf: (agentId) => fake.stored.filter((s) => s.agentId === agentId).flatMap((s) => s.report.events ?? []),
    close: async () => {},
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (fake.mode.kind === 'down') {
        req.socket.destroy();
        return;
      }
      if (Buffer.concat(chunks).length > fake.bodyLimitBytes) {
        send(res, 413, errorBody('too_large', `the body is larger than ${fake.bodyLimitBytes} bytes`));
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        send(res, 400, errorBody('bad_json', 'the body is not JSON'));
        return;
      }
      if (req.method === 'POST' && req.url === '/api/v1/agents/enrol') {
        const r = EnrolRequest.safeParse(body);
        if (!r.success) return send(res, 400, errorBody('invalid_enrolment', describeIssues(r.error).summary));
        fake.enrolments.push(r.data);
        if (r.data.secret !== fake.secret) return send(res, 401, errorBody('bad_secret', 'the enrolment secret is wrong'));
        const agentId = agentOfMachine.get(r.data.machineId) ?? `agent-${randomUUID()}`;
        agentOfMachine.set(r.data.machineId, agentId);
        const token = `tok-${randomUUID()}`;
        tokens.set(token, agentId);
        return send(res, 200, { agentId, machineId: r.data.machineId, token });
      }
      if (req.method === 'POST' && req.url === '/api/v1/reports') {
        fake.batchRequests++;
        if (fake.mode.kind === 'status') return send(res, fake.mode.status, errorBody('unavailable', 'try later'));
        if (fake.mode.kind === 'throttle') {
          return send(res, 429, errorBody('rate_limited', 'slow down'), { 'retry-after': String(fake.mode.retryAfterSeconds) });
        }
        const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
        const agentId = auth ? tokens.get(auth[1]!) : undefined;
        if (!agentId) return send(res, 401, errorBody('bad_token', 'unknown or revoked token'));
        const r = ReportBatch.safeParse(body);
        if (!r.success) return send(res, 400, errorBody('invalid_batch', describeIssues(r.error).summary));
        for (const rep of r.data.reports) {
          const why = fake.refuse?.(rep);
          if (why) return send(res, 400, errorBody('invalid_report', `reports[seq ${rep.seq}]: ${why}`));
          if (rep.agentId !== agentId) return send(res, 403, errorBody('wrong_agent', 'this token reports for another agent'));
        }
        let epoch = 0;
        for (const rep of r.data.reports) {
          const key = `${agentId}:${rep.epoch}:${rep.seq}`;
          epoch = rep.epoch;
          if (seen.has(key)) {
            fake.duplicates++;
          } else {
            seen.add(key);
            fake.stored.push({ agentId, report: rep });
          }
          const k = `${agentId}:${rep.epoch}`;
          acked.set(k, Math.max(acked.get(k) ?? 0, rep.seq));
        }
        return send(res, 200, { epoch, ackedThrough: acked.get(`${agentId}:${epoch}`) ?? 0 });
      }
      send(res, 404, errorBody('not_found', `${req.method} ${req.url}`));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return fake;
}
