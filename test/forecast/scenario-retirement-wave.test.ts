import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MS } from '../../shared/kms-rules.js';
import { startSimRun, type SimRun } from '../support/alerts-sim-driver.js';

const START = Date.parse('2026-03-02T00:00:00Z');

describe('retirement-wave: the KMS count forecast against what the simulator then does', () => {
  let run: SimRun;
  let forecast: any;
  beforeAll(async () => {
    run = await startSimRun('retirement-wave', { startMs: START });
    // Half the clients are retired on day 5; forecast on day 9, when their agents have been silent for 3 days.
    await run.runTo(START + 9 * MS.DAY);
    forecast = await run.api('/kms-hosts/kms01.contoso.com/forecast');
  });
  afterAll(async () => {
    await run?.close();
  });

  it('predicts the day the count falls below 25 within one day, and names the retired clients', () => {
    const retired = new Set(run.sim.machines.filter((m) => m.retired).map((m) => m.hostname));
    expect(retired.size).toBe(20);
    const crossing = forecast.crossings.find((c: { threshold: number }) => c.threshold === 25);
    expect(crossing.at).not.toBeNull();
    const names: string[] = crossing.causedBy.map((c: { clientFqdn: string }) => c.clientFqdn);
    expect(names.length).toBeGreaterThanOrEqual(16);
    expect(names.every((n) => retired.has(n))).toBe(true);
    // Every client the forecast does not keep is a retired one, and every retired one is among them.
    const leaving = forecast.clients.filter((c: { status: string }) => c.status !== 'renewing').map((c: { clientFqdn: string }) => c.clientFqdn).sort();
    expect(leaving).toEqual([...retired].sort());

    // Now let the simulator run on its own, hour by hour, until the host's count really drops below 25.
    const host = run.sim.kmsHosts[0]!;
    let observed: number | null = null;
    for (let t = run.sim.clock.now(); t <= START + 45 * MS.DAY; t += MS.HOUR) {
      run.sim.runUntil(t);
      const count = host.currentCount();
      if (count !== null && count < 25) {
        observed = t;
        break;
      }
    }
    expect(observed).not.toBeNull();
    expect(Math.abs(observed! - Date.parse(crossing.at))).toBeLessThanOrEqual(MS.DAY);
  });
});
