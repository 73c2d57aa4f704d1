import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../dashboard/server/cli-config.js';
import { parseCollectorConfig } from '../../dashboard/server/config.js';
import { EnrolResponse, ReportAck } from '../../shared/protocol.js';
import { enrolAgent, postJson, report, sendBatch, SECRET, startCollector, T0, type Harness } from '../support/collector-harness.js';

describe('collector configuration: heartbeatSeconds', () => {
  it('defaults to 300 s, and stale to 3 heartbeats unless staleAfterMinutes is given', () => {
    expect(parseCollectorConfig({})).toMatchObject({ heartbeatSeconds: 300, staleAfterMinutes: 15 });
    expect(parseCollectorConfig({ heartbeatSeconds: 60 })).toMatchObject({ heartbeatSeconds: 60, staleAfterMinutes: 3 });
    expect(parseCollectorConfig({ heartbeatSeconds: 60, staleAfterMinutes: 45 })).toMatchObject({ heartbeatSeconds: 60, staleAfterMinutes: 45 });
  });

  it('takes --heartbeat-seconds over VAWATCH_HEARTBEAT_SECONDS, and refuses anything but a whole number ≥ 10', () => {
    expect(loadConfig(new Map(), { VAWATCH_HEARTBEAT_SECONDS: '120' }, {}).heartbeatSeconds).toBe(120);
    expect(loadConfig(new Map([['--heartbeat-seconds', '30']]), { VAWATCH_HEARTBEAT_SECONDS: '120' }, {})).toMatchObject({ heartbeatSeconds: 30, staleAfterMinutes: 1.5 });
    expect(() => loadConfig(new Map([['--heartbeat-seconds', '5']]), {}, {})).toThrow(/^--heartbeat-seconds: expected a whole number of seconds ≥ 10$/);
    expect(() => loadConfig(new Map(), { VAWATCH_HEARTBEAT_SECONDS: '12.5' }, {})).toThrow(/^VAWATCH_HEARTBEAT_SECONDS: /);
  });
});

describe('the collector tells agents the heartbeat', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('in the enrolment answer and in every ack', async () => {
    h = await startCollector({ config: { heartbeatSeconds: 90 } });
    const enrol = await postJson(`${h.url}/api/v1/agents/enrol`, { secret: SECRET, machineId: 'm-1', hostname: 'ws-1' });
    expect(enrol.status).toBe(201);
    expect(enrol.body.heartbeatSeconds).toBe(90);
    expect(EnrolResponse.parse(enrol.body).heartbeatSeconds).toBe(90);
    const a = enrol.body as { agentId: string; machineId: string; token: string };
    const first = await sendBatch(h, a, [report(a, 1, T0, { heartbeat: true })]);
    expect(first.body).toEqual({ epoch: 1, ackedThrough: 1, heartbeatSeconds: 90 });
    // A duplicate is acknowledged with the heartbeat too.
    expect((await sendBatch(h, a, [report(a, 1, T0, { heartbeat: true })])).body).toEqual({ epoch: 1, ackedThrough: 1, heartbeatSeconds: 90 });
  });

  it('an agent built before the field still reads both answers (zod objects drop unknown keys)', async () => {
    h = await startCollector();
    const OldEnrolResponse = EnrolResponse.omit({ heartbeatSeconds: true });
    const OldReportAck = ReportAck.omit({ heartbeatSeconds: true });
    const a = await enrolAgent(h, 'm-2', 'ws-2');
    const enrolAgain = await postJson(`${h.url}/api/v1/agents/enrol`, { secret: SECRET, machineId: 'm-2', hostname: 'ws-2', previousToken: a.token });
    expect(OldEnrolResponse.safeParse(enrolAgain.body).success).toBe(true);
    const b = enrolAgain.body as { agentId: string; machineId: string; token: string };
    const ack = await sendBatch(h, b, [report(b, 1, T0, { heartbeat: true })]);
    expect(OldReportAck.parse(ack.body)).toEqual({ epoch: 1, ackedThrough: 1 });
  });
});
