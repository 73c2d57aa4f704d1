import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MS } from '../../shared/kms-rules.js';
import { startSimRun, type SimRun } from '../support/alerts-sim-driver.js';

const START = Date.parse('2026-03-02T00:00:00Z');
const day = (n: number) => START + n * MS.DAY;
const HOST = 'kms01.contoso.com';

/**
 * The simulator's kms-service-failure scenario through real agents into the real collector: day 2 the host's renewal
 * timer fails (12292); day 6 the KMS fails to initialise (12291) and stops listening; restarted on day 8; day 12 the
 * licensing service stops for good.
 */
describe('kms-service-failure end to end: KmsServiceFailing raised by the host\'s own events and state, cleared by a healthy report', () => {
  let run: SimRun;
  /** Per step (every 6 h): whether KmsServiceFailing was active, and its title. */
  const seen: Array<{ at: number; active: boolean; title: string | null }> = [];
  let alert: any;
  let hostItem: any;
  beforeAll(async () => {
    run = await startSimRun('kms-service-failure', { startMs: START, stepMs: 6 * MS.HOUR, applicationLogRecords: 500 });
    // Sampled after every step, straight from the alert book (the run does not wait for an HTTP round trip).
    const sample = () => {
      const at = run.h.clock.now();
      const page = run.engine.book().query({ state: 'active', rule: 'KmsServiceFailing', offset: 0, limit: 10 }, at);
      seen.push({ at, active: page.total > 0, title: page.items[0]?.title ?? null });
    };
    await run.runTo(day(15), sample);
    const page = await run.api('/alerts?rule=KmsServiceFailing&state=active');
    alert = page.items[0] ? await run.api(`/alerts/${page.items[0].id}`) : null;
    hostItem = (await run.api('/kms-hosts')).items.find((x: { id: string }) => x.id === HOST);
  }, 600_000);
  afterAll(async () => {
    await run?.close();
  });

  const activeBetween = (from: number, to: number) => seen.filter((s) => s.at >= from && s.at < to);

  it('stays quiet while the service is healthy (days 0-2 and after the day-8 restart)', () => {
    expect(activeBetween(day(0), day(2)).every((s) => !s.active)).toBe(true);
    expect(activeBetween(day(9), day(12)).every((s) => !s.active)).toBe(true);
  });

  it('raises it for the day-2 renewal-timer failure (12292) and clears it once a later report shows the service running', () => {
    const after = activeBetween(day(2) + 10 * MS.HOUR, day(3));
    expect(after.some((s) => s.active && /renewal timer/.test(s.title ?? ''))).toBe(true);
    expect(activeBetween(day(4), day(6)).every((s) => !s.active)).toBe(true);
  });

  it('raises it for the initialisation failure and the port not listening (days 6-8)', () => {
    const during = activeBetween(day(6) + 12 * MS.HOUR, day(8));
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((s) => s.active)).toBe(true);
    expect(during.map((s) => s.title).join('\n')).toMatch(/12291|not accept|KMS port/);
  });

  it('raises it again when the licensing service stops (day 12 on), with knowledge an admin can act on', () => {
    const after = activeBetween(day(12) + 12 * MS.HOUR, day(15));
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((s) => s.active)).toBe(true);
    expect(alert).toMatchObject({ rule: 'KmsServiceFailing', severity: 'critical', subject: { kind: 'kms-host', id: HOST } });
    expect(alert.title).toContain('not running');
    expect(alert.knowledge.commands.join('\n')).toContain('Start-Service sppsvc');
    expect(hostItem.service).toMatchObject({ running: false });
    expect(run.deadLetters).toEqual([]);
  });

  it('keeps Windows and Office counts apart on the host (30 Windows 11 + 5 servers; Office on 10)', () => {
    const apps = Object.fromEntries(hostItem.applications.map((a: { application: string; threshold: number; windowCount: number }) => [a.application, a]));
    expect(apps.windows.threshold).toBe(25);
    expect(apps.office.threshold).toBe(5);
    expect(apps.office.windowCount).toBeGreaterThanOrEqual(5);
    expect(apps.office.windowCount).toBeLessThan(apps.windows.windowCount);
  });
});
