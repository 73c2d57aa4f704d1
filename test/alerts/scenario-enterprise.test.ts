import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MS } from '../../shared/kms-rules.js';
import { startSimRun, type SimRun } from '../support/alerts-sim-driver.js';

const START = Date.parse('2026-03-02T00:00:00Z');

describe('enterprise end to end: quiet apart from what the scenario plants', () => {
  let run: SimRun;
  let alerts: any[];
  beforeAll(async () => {
    run = await startSimRun('enterprise', { startMs: START });
    await run.runTo(START + 2 * MS.DAY);
    const list = await run.api('/alerts?state=active&limit=1000');
    alerts = await Promise.all(list.items.map((a: { id: string }) => run.api(`/alerts/${a.id}`)));
  }, 300_000);
  afterAll(async () => {
    await run?.close();
  });

  it('every alert concerns a planted machine, and each planted problem shows', () => {
    const planted = new Map(run.sim.plantedProblems().map((p) => [p.machineId, p.kind]));
    const rows = alerts.map((a) => [a.rule, a.machines.map((m: { machineId: string }) => m.machineId)] as const);
    for (const [rule, machines] of rows) {
      for (const id of machines) expect(planted.has(id), `${rule} names ${id}, which the scenario did not plant`).toBe(true);
    }
    const rulesFor = (kind: string) => {
      const id = [...planted].find(([, k]) => k === kind)![0];
      return rows.filter(([, ms]) => ms.includes(id)).map(([r]) => r).sort();
    };
    // Day 2: the /skms host is gone, the skewed clock is refused, the lab machine finds no SRV record and has no rearms.
    expect(rulesFor('no-host-reachable')).toContain('ActivationFailing');
    expect(rulesFor('clock-skew')).toContain('ActivationFailing');
    expect(rulesFor('no-rearms-left')).toEqual(expect.arrayContaining(['ActivationFailing', 'RearmExhausted']));
    const codes = alerts.filter((a) => a.rule === 'ActivationFailing').map((a) => a.knowledge.hresult.code).sort();
    expect(codes).toEqual(expect.arrayContaining(['0xC004F06C', '0xC004F074']));
    expect(run.deadLetters).toEqual([]);
  });

  it('shows the 2026 fleet as it is: the branch host nobody runs an agent on from its clients, the ADBA site under no host, each host\'s Office count against 5', async () => {
    const hosts = (await run.api('/kms-hosts?limit=1000')).items as any[];
    const byId = new Map(hosts.map((h) => [h.id, h]));
    // The branch host: no agent, yet its clients' requests and its answers tell its count and window.
    const branch = byId.get('kms-br01.branch.contoso.com');
    expect(branch).toMatchObject({ basis: 'clients', machineId: null });
    expect(branch.currentCount).toBeGreaterThanOrEqual(25);
    expect(branch.windowCount).toBeGreaterThanOrEqual(25);
    expect(branch.countSeenBy.hostname).toMatch(/^br-ws-\d+\.branch\.contoso\.com$/);
    for (const h of hosts) {
      const f = await run.api(`/kms-hosts/${encodeURIComponent(h.id)}/forecast`);
      expect(f.basis, h.id).toBe(h.basis);
    }
    // The EMEA site is AD-activated: its own channel, under no KMS host.
    const emea = (await run.api('/machines?group=emea&limit=1000')).items as any[];
    const ad = emea.filter((m) => m.hostname.startsWith('eu-ws-') || m.hostname.startsWith('eu-srv-'));
    expect(ad.length).toBeGreaterThanOrEqual(6);
    for (const m of ad) expect([m.hostname, m.channel, m.kmsHost]).toEqual([m.hostname, 'ad-based', null]);
    for (const h of hosts) {
      const users = (await run.api(`/machines?kmsHost=${encodeURIComponent(h.id)}&limit=1000`)).items as any[];
      expect(users.filter((m) => m.channel === 'ad-based'), h.id).toEqual([]);
    }
    // Office has its own count on each host: the EMEA Office-only host counts 4, below Office's 5, and says so.
    const euOffice = byId.get('kms-office.eu.contoso.com');
    const office = euOffice.applications.find((a: { application: string }) => a.application === 'office');
    expect(office).toMatchObject({ currentCount: 4, threshold: 5, belowThreshold: true });
    const countAlerts = alerts.filter((a) => a.rule === 'KmsCountBelowThreshold' && a.subject.id === 'kms-office.eu.contoso.com');
    expect(countAlerts.map((a) => a.title)).toEqual([expect.stringContaining('Office KMS count 4 is below 5')]);
    expect(byId.get('kms01.contoso.com').applications.map((a: { application: string }) => a.application)).toEqual(['windows', 'office']);
  });
});
