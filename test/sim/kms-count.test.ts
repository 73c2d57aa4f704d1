/** The KMS count: threshold, cap, one shared count — the poster's numbers, walked on the virtual clock. */
import { describe, expect, it } from 'vitest';
import { KMS_CLIENT_THRESHOLD, KMS_COUNT_CAP, KMS_COUNT_CAP_SERVERS_ONLY, KMS_RETRY_INTERVAL_MINUTES, MS } from '../../shared/kms-rules.js';
import { LOG_APPLICATION } from '../../shared/wmi-shapes.js';
import { Simulation } from '../../agent/sim/index.js';
import { payloadsOf } from '../support/sim-events.js';

const RETRY_MS = KMS_RETRY_INTERVAL_MINUTES * MS.MINUTE;

function fleet(clients: number, servers: number): Simulation {
  const sim = new Simulation({ seed: 7 });
  sim.addKmsHost();
  for (let i = 0; i < clients; i++) sim.addClient();
  for (let i = 0; i < servers; i++) sim.addServer();
  return sim;
}

describe('KMS count threshold', () => {
  it('24 clients and one host: nobody activates, and every 12289 carries the count and NOT_ENOUGH_COUNT', () => {
    const sim = fleet(24, 0);
    sim.runDays(3);
    const clients = sim.machines.filter((m) => !m.isKmsHost);
    expect(clients.every((m) => m.licenseStatus() === 2)).toBe(true);
    expect(sim.kmsHosts[0]!.currentCount()).toBe(24);
    for (const c of clients) {
      const responses = payloadsOf(c, LOG_APPLICATION, 'activation-response');
      // first attempt within 15 min, then every 2 h for 3 days
      expect(responses.length).toBeGreaterThanOrEqual(35);
      for (const r of responses) {
        expect(r).toMatchObject({ hresult: 0, activated: false, notEnoughCount: true, statusFlags: 0x04000000 });
        expect(r.currentCount).toBeGreaterThanOrEqual(1);
        expect(r.currentCount).toBeLessThanOrEqual(24);
      }
      // once everyone has asked, the host answers 24
      expect(responses.at(-1)!.currentCount).toBe(24);
      // retries every 2 hours
      const sent = payloadsOf(c, LOG_APPLICATION, 'activation-request');
      expect(sent[2]!.atMs - sent[1]!.atMs).toBe(RETRY_MS);
    }
  });

  it('the 25th client arrives: it activates at once and the 24 others at their next retry, within 2 hours', () => {
    const sim = fleet(24, 0);
    sim.runDays(1);
    const arrival = sim.clock.now() + 5 * MS.HOUR + 17 * MS.MINUTE;
    sim.runUntil(arrival);
    const first = sim.addClient({ firstAttemptDelayMs: MS.MINUTE });
    sim.runUntil(arrival + MS.MINUTE);
    expect(first.licenseStatus()).toBe(1);
    expect(payloadsOf(first, LOG_APPLICATION, 'activation-response').at(-1)).toMatchObject({
      activated: true,
      currentCount: KMS_CLIENT_THRESHOLD,
      notEnoughCount: false,
    });
    sim.runUntil(arrival + MS.MINUTE + RETRY_MS);
    const clients = sim.machines.filter((m) => !m.isKmsHost);
    expect(clients.filter((m) => m.licenseStatus() === 1)).toHaveLength(25);
    for (const c of clients) {
      expect(c.lastActivationAtMs).toBeGreaterThanOrEqual(arrival + MS.MINUTE);
      expect(c.lastActivationAtMs).toBeLessThanOrEqual(arrival + MS.MINUTE + RETRY_MS);
    }
  });

  it.each([
    { servers: 4, licensed: 0, count: 4 },
    { servers: 5, licensed: 5, count: 5 },
  ])('$servers servers alone: $licensed activate (count $count, server policy 5)', ({ servers, licensed, count }) => {
    const sim = fleet(0, servers);
    sim.runDays(1);
    const machines = sim.machines.filter((m) => !m.isKmsHost);
    expect(machines.filter((m) => m.licenseStatus() === 1)).toHaveLength(licensed);
    expect(sim.kmsHosts[0]!.currentCount()).toBe(count);
    for (const m of machines) {
      const sent = payloadsOf(m, LOG_APPLICATION, 'activation-request');
      expect(sent.every((s) => s.nPolicy === 5)).toBe(true);
    }
  });

  it.each([
    { clients: 60, servers: 0, cap: KMS_COUNT_CAP },
    { clients: 0, servers: 12, cap: KMS_COUNT_CAP_SERVERS_ONLY },
    { clients: 30, servers: 30, cap: KMS_COUNT_CAP },
  ])('$clients clients and $servers servers: the count caps at $cap', ({ clients, servers, cap }) => {
    const sim = fleet(clients, servers);
    sim.runDays(2);
    const host = sim.kmsHosts[0]!;
    expect(host.currentCount()).toBe(cap);
    expect(host.readService().KeyManagementServiceCurrentCount).toBe(cap);
    // the window still knows every machine: the cap is on the reported count only
    expect(host.kmsWindow()).toHaveLength(clients + servers);
    expect(sim.summary().kmsHosts[host.hostname]).toBe(cap);
  });

  it('one count for every OS kind: 3 clients, then a server, and the server receives 4', () => {
    const sim = new Simulation({ seed: 3 });
    sim.addKmsHost();
    for (let i = 0; i < 3; i++) sim.addClient({ firstAttemptDelayMs: (i + 1) * MS.MINUTE });
    sim.runUntil(sim.startMs + 10 * MS.MINUTE);
    const server = sim.addServer({ firstAttemptDelayMs: MS.MINUTE });
    sim.runUntil(sim.startMs + 11 * MS.MINUTE);
    expect(payloadsOf(server, LOG_APPLICATION, 'activation-response')[0]).toMatchObject({ currentCount: 4, activated: false });
  });

  it('the host counts the requester in before answering: the first client receives 1', () => {
    const sim = fleet(1, 0);
    sim.runDays(1);
    const c = sim.machines.find((m) => !m.isKmsHost)!;
    expect(payloadsOf(c, LOG_APPLICATION, 'activation-response')[0]!.currentCount).toBe(1);
  });
});
