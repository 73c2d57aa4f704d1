import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import type { EventRecord } from '../../shared/protocol.js';
import { enrolAgent, getJson, product, report, sendBatch, signIn, snapshot, startCollector, T0, type Harness } from '../support/collector-harness.js';

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();

function kmsRequest(recordId: number, time: number, client: string): EventRecord {
  return {
    log: 'Key Management Service',
    provider: 'Microsoft-Windows-Security-SPP',
    id: 12290,
    recordId,
    time: iso(time),
    payload: { kind: 'kms-request', hresult: 0, nPolicy: 25, clientFqdn: client, cmid: `cmid-${client}`, clientTime: '2026/10/31 10:00', isVm: false, licenseStatus: 1, minutesToExpiry: 259200, activationId: 'a1' },
  };
}

describe('forecast endpoints through the real API', () => {
  let h: Harness;
  let cookie: string;
  beforeEach(async () => {
    h = await startCollector({ plugins: [alertsPlugin()] });
    cookie = await signIn(h);
  });
  afterEach(async () => {
    await h.close();
  });
  const get = (path: string) => getJson(`${h.url}/api/v1${path}`, cookie);

  it('forecasts the count of a host from its 12290s, names the clients ageing out, and gives the blast radius and expiry wave', async () => {
    const host = await enrolAgent(h, 'm-kms', 'kms01.contoso.com');
    // 25 clients renewing (last request a day ago), one that stopped 20 days ago.
    const events: EventRecord[] = [];
    let rec = 0;
    for (let i = 0; i < 25; i++) for (const ago of [15, 8, 1]) events.push(kmsRequest(++rec, T0 - ago * DAY + i * 60_000, `pc${i}.contoso.com`));
    events.push(kmsRequest(++rec, T0 - 27 * DAY, 'gone.contoso.com'), kmsRequest(++rec, T0 - 20 * DAY, 'gone.contoso.com'));
    events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    const hostSnapshot = snapshot('m-kms', 'kms01.contoso.com', T0, {
      os: { caption: 'Microsoft Windows Server 2022 Standard', version: '10.0.20348', kind: 'server' },
      products: [product({ channel: 'kms-host', description: 'Windows(R) Operating System, VOLUME_KMS_2012-R2_WIN10 channel', graceExpiresAt: null, kmsHost: null })],
      kmsService: {
        currentCount: 26,
        requiredClientCount: 25,
        listeningPort: 1688,
        dnsPublishing: true,
        lowPriority: false,
        requests: { total: 77, failed: 0, unlicensed: 0, licensed: 77, oobGrace: 0, ootGrace: 0, nonGenuineGrace: 0, notification: 0 },
      },
    });
    expect((await sendBatch(h, host, [report(host, 1, T0, { snapshot: hostSnapshot, events })])).status).toBe(200);

    // Two clients with agents: one renewed 2 days ago, one in its initial grace ending in 3 days.
    const a = await enrolAgent(h, 'm-a', 'a.contoso.com');
    await sendBatch(h, a, [report(a, 1, T0, { snapshot: snapshot('m-a', 'a.contoso.com', T0, { products: [product({ graceExpiresAt: iso(T0 + 178 * DAY) })] }) })]);
    const b = await enrolAgent(h, 'm-b', 'b.contoso.com');
    await sendBatch(h, b, [
      report(b, 1, T0, { snapshot: snapshot('m-b', 'b.contoso.com', T0, { products: [product({ licenseStatus: 2, graceExpiresAt: iso(T0 + 3 * DAY) })] }) }),
    ]);

    const f = await get('/kms-hosts/kms01.contoso.com/forecast');
    expect(f.status).toBe(200);
    expect(f.body.days).toHaveLength(61);
    expect(f.body.days[0].count).toBe(26);
    expect(f.body.days[60].count).toBe(25);
    const below25 = f.body.crossings.find((c: { threshold: number }) => c.threshold === 25);
    expect(below25.at).toBeNull(); // 25 keep renewing: the count stops at 25
    expect(f.body.clients.find((c: { clientFqdn: string }) => c.clientFqdn === 'gone.contoso.com')).toMatchObject({ status: 'stopped', agesOutAt: iso(T0 + 10 * DAY) });

    const blast = await get('/kms-hosts/kms01.contoso.com/blast-radius');
    expect(blast.status).toBe(200);
    expect(blast.body.affected.map((m: { hostname: string; notificationAt: string }) => [m.hostname, m.notificationAt])).toEqual([
      ['b.contoso.com', iso(T0 + 3 * DAY)],
      ['a.contoso.com', iso(T0 + 208 * DAY)],
    ]);

    const wave = await get('/forecast/expiry?days=30');
    expect(wave.body.days).toHaveLength(31);
    expect(wave.body.days.filter((d: { count: number }) => d.count > 0).map((d: { date: string; count: number }) => [d.date, d.count])).toEqual([
      [iso(T0 + 3 * DAY).slice(0, 10), 1],
    ]);

    expect((await get('/kms-hosts/nope.contoso.com/forecast')).status).toBe(404);
    expect((await get('/forecast/expiry?days=0')).status).toBe(400);
  });
});
