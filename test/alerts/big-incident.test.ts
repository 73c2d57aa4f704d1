/**
 * An incident grouping many clients (a KMS outage) costs O(its machines) to rebuild, so above a size it is rebuilt at
 * most once per fleetEvalMs, not on every report that touches one of its clients; changes in between wait for the next
 * slot and are not lost. Real collector (port 0, SQLite, virtual clock); the size limit set to 2 to see it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import { enrolAgent, getJson, product, report, sendBatch, signIn, snapshot, startCollector, T0, type Harness } from '../support/collector-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startCollector({ plugins: [alertsPlugin({ bigAlertFindings: 2, fleetEvalMs: 1000 })] });
});
afterEach(async () => {
  await h.close();
});

describe('a big incident', () => {
  it('is rebuilt at most once a second, and what changed in between arrives at the next slot', async () => {
    const cookie = await signIn(h);
    const machines = async () => {
      const r = await getJson(`${h.url}/api/v1/alerts?rule=ClientInNotification`, cookie);
      return r.body.items.map((a: { machineCount: number }) => a.machineCount);
    };
    const notify = async (i: number) => {
      const agent = await enrolAgent(h, `m-${i}`, `ws-${i}.contoso.com`);
      const s = snapshot(`m-${i}`, `ws-${i}.contoso.com`, T0, { products: [product({ licenseStatus: 5 })] });
      expect((await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: s })])).status).toBe(200);
    };
    await notify(1);
    await notify(2);
    // Two findings: not big yet, rebuilt at once.
    expect(await machines()).toEqual([2]);
    await notify(3);
    // Three: big, rebuilt now (it had not been rebuilt as a big one before).
    expect(await machines()).toEqual([3]);
    await notify(4);
    // Within the same second: it waits.
    expect(await machines()).toEqual([3]);
    await h.clock.advanceToAsync(T0 + 1000);
    expect(await machines()).toEqual([4]);
  });
});
