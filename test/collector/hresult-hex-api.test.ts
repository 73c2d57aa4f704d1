// The read API gives every HRESULT a person reads as Windows prints it (`0xC004F038`) beside the number it keeps
// for compatibility: machines, their products, history and events, the events list, KMS hosts and their windows.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enrolAgent, getJson, product, report, sendBatch, signIn, snapshot, startCollector, T0, type Harness } from '../support/collector-harness.js';

const DAY = 86_400_000;

describe('read API: HRESULTs as 0xC004F038', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startCollector();
  });
  afterEach(async () => {
    await h.close();
  });

  it('adds the …Hex form of each HRESULT field, upper-case with 8 digits, and keeps the number', async () => {
    const at = T0 - 2 * DAY;
    const client = await enrolAgent(h, 'm-1', 'ws-0001.contoso.com');
    const failed = {
      log: 'Application',
      provider: 'Microsoft-Windows-Security-SPP',
      id: 8198,
      recordId: 1,
      time: new Date(at).toISOString(),
      payload: { kind: 'activation-failed' as const, hresult: 0xc004f038, commandLine: null },
    };
    const snap = snapshot('m-1', 'ws-0001.contoso.com', at, { products: [product({ licenseStatus: 5, licenseStatusReason: 0xc004f00f, graceExpiresAt: null })] });
    expect((await sendBatch(h, client, [report(client, 1, at, { snapshot: snap, events: [failed] })])).status).toBe(200);

    const host = await enrolAgent(h, 'kms-1', 'kms01.contoso.com');
    const hostEvents = [
      {
        log: 'Key Management Service',
        provider: 'Microsoft-Windows-Security-SPP',
        id: 12290,
        recordId: 1,
        time: new Date(at).toISOString(),
        payload: { kind: 'kms-request' as const, hresult: 0xc004f06c, nPolicy: 25, clientFqdn: 'ws-0001.contoso.com', cmid: 'c-1', clientTime: '', isVm: false, licenseStatus: 5, minutesToExpiry: 0, activationId: 'a1' },
      },
      { log: 'Key Management Service', provider: 'Microsoft-Windows-Security-SPP', id: 12293, recordId: 2, time: new Date(at).toISOString(), payload: { kind: 'dns-publish-failed' as const, hresult: 0x8007232a, domain: 'contoso.com' } },
    ];
    const hostSnap = snapshot('kms-1', 'kms01.contoso.com', at, {
      os: { caption: 'Windows Server 2022', version: '10.0.20348', kind: 'server' },
      products: [product({ channel: 'kms-host', kmsHost: null, graceExpiresAt: null })],
    });
    expect((await sendBatch(h, host, [report(host, 1, at, { snapshot: hostSnap, events: hostEvents })])).status).toBe(200);

    const cookie = await signIn(h);
    const list = await getJson(`${h.url}/api/v1/machines?q=ws-0001`, cookie);
    expect(list.body.items[0]).toMatchObject({ statusReason: 0xc004f00f, statusReasonHex: '0xC004F00F' });
    const host0 = await getJson(`${h.url}/api/v1/machines?q=kms01`, cookie);
    expect(host0.body.items[0]).toMatchObject({ statusReason: 0, statusReasonHex: '0x00000000' });

    const d = await getJson(`${h.url}/api/v1/machines/m-1`, cookie);
    expect(d.body.products[0]).toMatchObject({ licenseStatusReason: 0xc004f00f, licenseStatusReasonHex: '0xC004F00F' });
    expect(d.body.stateHistory[0]).toMatchObject({ statusReason: 0xc004f00f, statusReasonHex: '0xC004F00F' });
    const byKind = Object.fromEntries(d.body.events.map((e: any) => [e.payload.kind, e]));
    expect(byKind['activation-failed']).toMatchObject({ hresultHex: '0xC004F038', payload: { hresult: 3221549112 } });
    expect(byKind['collector']).toMatchObject({ hresultHex: null });

    const events = await getJson(`${h.url}/api/v1/events?machineId=m-1`, cookie);
    expect(events.status).toBe(200);
    expect(events.body.items.map((e: any) => e.hresultHex).sort()).toEqual(['0xC004F038', null].sort());

    const k = await getJson(`${h.url}/api/v1/kms-hosts/kms01.contoso.com`, cookie);
    expect(k.body).toMatchObject({ dnsPublishFailedHresult: 0x8007232a, dnsPublishFailedHresultHex: '0x8007232A' });
    expect(k.body.clientWindow).toEqual([expect.objectContaining({ cmid: 'c-1', hresult: 0xc004f06c, hresultHex: '0xC004F06C' })]);
    for (const e of k.body.events) expect(e.hresultHex).toMatch(/^0x[0-9A-F]{8}$/);
  });
});
