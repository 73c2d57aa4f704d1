import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorPlugin } from '../../dashboard/server/plugin.js';
import {
  enrolAgent,
  postJson,
  report,
  SECRET,
  sendBatch,
  signIn,
  snapshot,
  startCollector,
  storeCounts,
  T0,
  type EnrolledAgent,
  type Harness,
} from '../support/collector-harness.js';

/** Every refusal of the ingest path: the right status and ErrorBody code, and nothing stored. */
describe('collector: ingest refusals leave the store unchanged', () => {
  let h: Harness;
  let a: EnrolledAgent;
  let b: EnrolledAgent;
  const refusals: string[] = [];
  beforeAll(async () => {
    // Records what the ingest path reports as refused (the metrics count these as rejects by reason).
    const counter: CollectorPlugin = { name: 'refusal-counter', setup: (ctx) => void ctx.ingest.onRefusal((code) => refusals.push(code)) };
    h = await startCollector({ config: { bodyLimitBytes: 4096 }, plugins: [counter] });
    a = await enrolAgent(h, 'm-a', 'ws-a.contoso.com');
    b = await enrolAgent(h, 'm-b', 'ws-b.contoso.com');
  });
  afterAll(async () => {
    await h.close();
  });

  const good = () => report(a, 1, T0, { snapshot: snapshot('m-a', 'ws-a.contoso.com', T0) });
  const url = () => `${h.url}/api/v1/reports`;

  const cases: Array<{ name: string; send: () => Promise<{ status: number; body: any; headers: Headers }>; status: number; code: string; agent?: () => EnrolledAgent }> = [
    { name: 'no token', send: () => postJson(url(), { protocol: 1, reports: [good()] }), status: 401, code: 'missing-token' },
    { name: 'unknown token', send: () => postJson(url(), { protocol: 1, reports: [good()] }, { authorization: 'Bearer nope' }), status: 401, code: 'bad-token' },
    { name: 'malformed JSON', send: () => postJson(url(), '{"protocol":1,', { authorization: `Bearer ${a.token}` }), status: 400, code: 'malformed-json' },
    { name: 'not JSON', send: () => fetch(url(), { method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-type': 'text/plain' }, body: 'hi' }).then(async (r) => ({ status: r.status, body: await r.json(), headers: r.headers })), status: 415, code: 'expected-json' },
    { name: 'wrong protocol', send: () => postJson(url(), { protocol: 2, reports: [good()] }, { authorization: `Bearer ${a.token}` }), status: 400, code: 'invalid-batch' },
    { name: 'no valid report', send: () => sendBatch(h, a, [{ ...good(), seq: -1 }]), status: 400, code: 'invalid-batch' },
    { name: 'body over the limit', send: () => sendBatch(h, a, [good(), { pad: 'x'.repeat(5000) }]), status: 413, code: 'body-too-large' },
    { name: "another machine's snapshot", send: () => sendBatch(h, a, [report(a, 1, T0, { snapshot: snapshot('m-b', 'ws-b.contoso.com', T0) })]), status: 403, code: 'wrong-machine' },
    { name: "another agent's id", send: () => sendBatch(h, a, [{ ...good(), agentId: b.agentId }]), status: 403, code: 'wrong-agent' },
    { name: 'one good report with one for another machine', send: () => sendBatch(h, a, [good(), report(a, 2, T0, { snapshot: snapshot('m-b', 'ws-b.contoso.com', T0) })]), status: 403, code: 'wrong-machine' },
  ];

  it.each(cases)('$name → $status $code', async ({ send, status, code }) => {
    const before = storeCounts(h);
    const r = await send();
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ error: { code, message: expect.any(String) } });
    expect(storeCounts(h)).toEqual(before);
    expect(refusals.at(-1)).toBe(code);
  });

  it.each([
    ['null', 'null'],
    ['an array', '[]'],
    ['a number', '42'],
    ['reports not an array', '{"protocol":1,"reports":{}}'],
    ['a report that is a string', '{"protocol":1,"reports":["x"]}'],
    ['deeply nested junk', `{"protocol":1,"reports":[${'['.repeat(500)}${']'.repeat(500)}]}`],
    ['a huge seq', '{"protocol":1,"reports":[{"protocol":1,"agentId":"x","epoch":1,"seq":1e400,"sentAt":"2026-11-01T00:00:00Z","heartbeat":true}]}'],
    ['an impossible date', '{"protocol":1,"reports":[{"protocol":1,"agentId":"x","epoch":1,"seq":1,"sentAt":"2026-02-31T25:00:00Z","heartbeat":true}]}'],
    ['__proto__ keys', '{"protocol":1,"__proto__":{"admin":true},"reports":[{"__proto__":{"seq":5}}]}'],
  ])('answers %s with a 4xx, never a 5xx, storing nothing', async (_name, body) => {
    const before = storeCounts(h);
    const r = await postJson(url(), body, { authorization: `Bearer ${a.token}` });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body.error.code).toEqual(expect.any(String));
    expect(storeCounts(h)).toEqual(before);
  });

  it('names the field that is wrong', async () => {
    const bad = report(a, 1, T0, { snapshot: snapshot('m-a', 'ws-a.contoso.com', T0) });
    (bad.snapshot!.products[0] as any).licenseStatus = 9;
    const r = await sendBatch(h, a, [bad]);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('reports[0].snapshot.products[0].licenseStatus: expected 0..6, got 9');
  });

  it('keeps the good reports of a batch and lists the refused one', async () => {
    const bad = { ...report(a, 2, T0 + 1000, { heartbeat: true }), sentAt: 'yesterday' };
    const r = await sendBatch(h, a, [good(), bad, report(a, 3, T0 + 2000, { heartbeat: true })]);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      epoch: 1,
      ackedThrough: 3,
      refused: [{ index: 1, seq: 2, code: 'invalid-report', message: expect.stringContaining('reports[1].sentAt') }],
      heartbeatSeconds: 300,
    });
    expect(h.collector.state.machine('m-a')?.snapshot?.hostname).toBe('ws-a.contoso.com');
  });

  it('a revoked token is refused and stores nothing', async () => {
    const c = await enrolAgent(h, 'm-c', 'ws-c.contoso.com');
    const cookie = await signIn(h);
    const revoke = await postJson(`${h.url}/api/v1/agents/${c.agentId}/revoke`, {}, { cookie });
    expect(revoke.status).toBe(200);
    expect(revoke.body.revokedAt).toBe(new Date(T0).toISOString());
    const before = storeCounts(h);
    const r = await sendBatch(h, c, [report(c, 1, T0, { snapshot: snapshot('m-c', 'ws-c.contoso.com', T0) })]);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('bad-token');
    expect(storeCounts(h)).toEqual(before);
  });

  it('429 with Retry-After when an agent floods, and the refused requests store nothing', async () => {
    const tight = await startCollector({ config: { agentBurst: 3, agentRequestsPerSecond: 0.1 } });
    try {
      const flood = await enrolAgent(tight, 'm-f', 'ws-f.contoso.com');
      const statuses: number[] = [];
      let last: { status: number; headers: Headers; body: any } | undefined;
      for (let i = 1; i <= 5; i++) {
        last = await sendBatch(tight, flood, [report(flood, i, T0, { heartbeat: true })]);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(last!.headers.get('retry-after')).toBe('10');
      expect(last!.body.error.code).toBe('too-many-requests');
      expect(tight.collector.agents.get(flood.agentId)?.seqs.get(1)).toBe(3);
      // The bucket refills on the collector's clock: after the advertised wait, the agent is heard again.
      tight.clock.advanceBy(10_000);
      expect((await sendBatch(tight, flood, [report(flood, 4, T0, { heartbeat: true })])).status).toBe(200);
    } finally {
      await tight.close();
    }
  });

  it('enrolment with a wrong secret is refused', async () => {
    const before = storeCounts(h);
    const r = await postJson(`${h.url}/api/v1/agents/enrol`, { secret: `${SECRET}x`, machineId: 'm-z', hostname: 'z' });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('bad-enrolment-secret');
    expect(storeCounts(h)).toEqual(before);
  });
});
