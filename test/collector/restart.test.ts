import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  enrolAgent,
  getJson,
  postJson,
  product,
  report,
  sendBatch,
  signIn,
  snapshot,
  startCollector,
  T0,
} from '../support/collector-harness.js';

describe('collector: the state is rebuilt from SQLite at start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vawatch-restart-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves after a restart exactly what it served before, sessions included', async () => {
    const first = await startCollector({ dataDir });
    const client = await enrolAgent(first, 'm-1', 'ws-1.contoso.com');
    const host = await enrolAgent(first, 'kms-1', 'kms01.contoso.com');
    const gone = await enrolAgent(first, 'm-2', 'ws-2.contoso.com');
    await sendBatch(first, client, [
      report(client, 1, T0, {
        snapshot: snapshot('m-1', 'ws-1.contoso.com', T0, { products: [product({ kmsHost: null })] }),
        events: [{ log: 'Application', provider: 'Microsoft-Windows-Security-SPP', id: 12288, recordId: 5, time: new Date(T0).toISOString(), payload: { kind: 'activation-request' as const, hresult: 0, statusFlags: 0, kmsHost: 'kms01.contoso.com', kmsPort: 1688, cmid: 'cmid-m-1', clientTime: '2026/11/01 00:00', vmFlag: 0, licenseStatus: 1, minutesToExpiry: 259200, activationId: 'a1', nPolicy: 25 } }],
      }),
    ]);
    await sendBatch(first, host, [
      report(host, 1, T0, {
        snapshot: snapshot('kms-1', 'kms01.contoso.com', T0, {
          os: { caption: 'Windows Server 2022', version: '10.0.20348', kind: 'server' },
          products: [product({ channel: 'kms-host', kmsHost: null, graceExpiresAt: null })],
          kmsService: { currentCount: 27, requiredClientCount: 25, listeningPort: 1688, dnsPublishing: true, lowPriority: false, requests: { total: 1, failed: 0, unlicensed: 0, licensed: 1, oobGrace: 0, ootGrace: 0, nonGenuineGrace: 0, notification: 0 } },
        }),
        events: [{ log: 'Key Management Service', provider: 'Microsoft-Windows-Security-SPP', id: 12290, recordId: 9, time: new Date(T0).toISOString(), payload: { kind: 'kms-request' as const, hresult: 0, nPolicy: 25, clientFqdn: 'ws-1.contoso.com', cmid: 'cmid-m-1', clientTime: '2026/11/01 00:00', isVm: false, licenseStatus: 1, minutesToExpiry: 259200, activationId: 'a1' } }],
      }),
    ]);
    const cookie = await signIn(first);
    await postJson(`${first.url}/api/v1/machines/m-2/retire`, { reason: 'decommissioned' }, { cookie });
    await fetch(`${first.url}/api/v1/machines/m-1`, { method: 'PATCH', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ group: 'Finance' }) });
    const read = async (url: string) => ({
      summary: { ...(await getJson(`${url}/api/v1/summary`, cookie)).body, generatedAt: undefined },
      machines: (await getJson(`${url}/api/v1/machines?retired=all`, cookie)).body,
      host: (await getJson(`${url}/api/v1/kms-hosts/kms01.contoso.com`, cookie)).body,
      m1: (await getJson(`${url}/api/v1/machines/m-1`, cookie)).body,
    });
    const before = await read(first.url);
    expect(before.m1).toMatchObject({ group: 'Finance', kmsHost: 'kms01.contoso.com' });
    expect(before.host).toMatchObject({ currentCount: 27, windowCount: 1, clientsUsing: 1 });
    expect(before.machines.items.find((m: any) => m.machineId === 'm-2')).toMatchObject({ retired: true });
    await first.close();

    const second = await startCollector({ dataDir, clock: first.clock });
    try {
      const after = await read(second.url); // the same cookie: sessions survive a restart
      expect(after).toEqual(before);
      // Idempotence survives too: the client's seq 1 is a duplicate, its gone machine's token is revoked.
      expect((await sendBatch(second, client, [report(client, 1, T0, { heartbeat: true })])).body).toEqual({ epoch: 1, ackedThrough: 1, heartbeatSeconds: 300 });
      expect((await sendBatch(second, gone, [report(gone, 1, T0, { heartbeat: true })])).status).toBe(401);
    } finally {
      await second.close();
    }
  });
});
