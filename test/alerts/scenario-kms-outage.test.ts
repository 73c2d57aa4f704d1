import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MS } from '../../shared/kms-rules.js';
import { startSimRun, type SimRun } from '../support/alerts-sim-driver.js';

const START = Date.parse('2026-03-02T00:00:00Z');
const day = (n: number) => START + n * MS.DAY;

describe('kms-outage end to end: one incident, a blast radius the simulator then bears out, alerts on its dates', () => {
  let run: SimRun;
  let incident: any;
  let renewalOverdueBefore: number;
  let blast: any;
  /** machineId → the instant the simulator puts it in Notification. */
  const simulatedNotification = new Map<string, number>();
  beforeAll(async () => {
    run = await startSimRun('kms-outage', { startMs: START, recheckMs: 12 * MS.HOUR, applicationLogRecords: 200 });
    // The host goes down on day 10 at 14:00; the clients' weekly renewals fail from day 14.
    await run.runTo(day(15));
    incident = await run.api('/alerts?rule=ActivationFailing');
    renewalOverdueBefore = (await run.api('/alerts?rule=KmsRenewalOverdue')).total;
    blast = await run.api('/kms-hosts/kms01.contoso.com/blast-radius');
    // A quiet half-year: the simulator runs on its own (the collector's clock with it).
    await run.skipTo(day(196));
    for (const m of run.sim.machines) {
      if (m.isKmsHost) continue;
      const l = m.licence();
      // Every client is in OOT grace by now; the end of it is its Notification instant.
      if (l.status === 3 && l.endsAtMs !== null) simulatedNotification.set(m.machineId, l.endsAtMs);
    }
    // Agents report again through the weeks where grace runs out.
    await run.runTo(day(222));
  }, 600_000);
  afterAll(async () => {
    await run?.close();
  });

  it('groups the failing clients under the KMS host: one incident, not fifty alerts', () => {
    expect(incident.total).toBe(1);
    expect(incident.items[0]).toMatchObject({ kmsHost: 'kms01.contoso.com', machineCount: 50, subject: { kind: 'kms-host', id: 'kms01.contoso.com' } });
    expect(renewalOverdueBefore).toBe(0); // 8 days since the last renewal is not overdue yet
  });

  it('predicts the Notification dates the simulator then produces, within a day', () => {
    expect(blast.affected).toHaveLength(50);
    expect(blast.coveredByFailover).toEqual([]);
    expect(simulatedNotification.size).toBe(50);
    for (const a of blast.affected) {
      const simulated = simulatedNotification.get(a.machineId);
      expect(simulated, a.hostname).toBeDefined();
      expect(Math.abs(Date.parse(a.notificationAt) - simulated!), a.hostname).toBeLessThanOrEqual(MS.DAY);
    }
    for (const m of run.sim.machines) if (!m.isKmsHost) expect(m.licenseStatus(), m.hostname).toBe(5);
  });

  it('raises GraceExpiring and then ClientInNotification on the dates the simulator reaches them', async () => {
    const first = Math.min(...simulatedNotification.values());
    const grace = await run.api('/alerts?rule=GraceExpiring');
    expect(grace.items.length).toBeGreaterThanOrEqual(1);
    const graceRaised = Math.min(...grace.items.map((a: { raisedAt: string }) => Date.parse(a.raisedAt)));
    expect(Math.abs(graceRaised - (first - 14 * MS.DAY))).toBeLessThanOrEqual(MS.DAY);
    const notification = await run.api('/alerts?rule=ClientInNotification');
    expect(notification.total).toBe(1);
    expect(notification.items[0]).toMatchObject({ kmsHost: 'kms01.contoso.com', machineCount: 50, severity: 'critical', state: 'new' });
    expect(Math.abs(Date.parse(notification.items[0].raisedAt) - first)).toBeLessThanOrEqual(MS.DAY);
  });
});
