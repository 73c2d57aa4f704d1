import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import { OFFICE_APPLICATION_ID } from '../../shared/kms-rules.js';
import type { EventRecord } from '../../shared/protocol.js';
import { enrolAgent, getJson, product, report, sendBatch, signIn, snapshot, startCollector, T0, type Harness } from '../support/collector-harness.js';

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();
const HOST = 'kms01.contoso.com';
const AO = { objectName: 'Windows Server 2025 Volume (ADBA)', objectDn: 'CN=Windows Server 2025 Volume (ADBA),CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=contoso,DC=com' };

/** A 12288 the machine logged when it was still a KMS client, before the AD activation object took over. */
function oldKmsRequest(time: number, cmid: string): EventRecord {
  return {
    log: 'Application',
    provider: 'Microsoft-Windows-Security-SPP',
    id: 12288,
    recordId: 1,
    time: iso(time),
    payload: { kind: 'activation-request', hresult: 0, statusFlags: 0, kmsHost: HOST, kmsPort: 1688, cmid, clientTime: '', vmFlag: 0, licenseStatus: 1, minutesToExpiry: 200_000, activationId: 'a1', nPolicy: 25 },
  };
}

describe('AD-based activation and what the fleet runs, through the real collector', () => {
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

  it('never counts an AD-activated machine against a KMS host, shows its activation object, and still applies the machine rules', async () => {
    // A KMS client of kms01, and an AD-activated machine whose grace ends in 5 days (it has not reached a DC).
    const kms = await enrolAgent(h, 'm-kms-client', 'ws-kms.contoso.com');
    await sendBatch(h, kms, [report(kms, 1, T0, { snapshot: snapshot('m-kms-client', 'ws-kms.contoso.com', T0) })]);
    const ad = await enrolAgent(h, 'm-adba', 'ws-adba.contoso.com');
    const adSnap = snapshot('m-adba', 'ws-adba.contoso.com', T0, {
      products: [product({ channel: 'ad-based', kmsHost: null, vlActivationType: 1, adActivation: AO, licenseStatus: 3, graceExpiresAt: iso(T0 + 5 * DAY) })],
    });
    expect((await sendBatch(h, ad, [report(ad, 1, T0, { snapshot: adSnap, events: [oldKmsRequest(T0 - 40 * DAY, 'cmid-m-adba')] })])).status).toBe(200);
    await h.clock.advanceByAsync(1000);

    const list = (await get('/machines')).body.items as Array<{ machineId: string; channel: string; kmsHost: string | null }>;
    expect(list.find((m) => m.machineId === 'm-adba')).toMatchObject({ channel: 'ad-based', kmsHost: null });
    expect(list.find((m) => m.machineId === 'm-kms-client')).toMatchObject({ channel: 'kms-client', kmsHost: HOST });
    expect((await get(`/machines?kmsHost=${HOST}`)).body.items.map((m: { machineId: string }) => m.machineId)).toEqual(['m-kms-client']);
    expect((await get('/machines?channel=ad-based')).body.items.map((m: { machineId: string }) => m.machineId)).toEqual(['m-adba']);

    const host = (await get('/kms-hosts')).body.items.find((x: { id: string }) => x.id === HOST);
    expect(host.clientsUsing).toBe(1);

    const detail = (await get('/machines/m-adba')).body;
    expect(detail.products[0].adActivation).toEqual(AO);

    const summary = (await get('/summary')).body;
    expect(summary.byChannel['ad-based']).toBe(1);

    // The grace rule still applies, and the alert is not grouped under any KMS host.
    const grace = (await get('/alerts?rule=GraceExpiring&state=active')).body.items as Array<{ subject: { id: string }; kmsHost: string | null; severity: string }>;
    expect(grace).toEqual([expect.objectContaining({ subject: expect.objectContaining({ id: 'm-adba' }), kmsHost: null, severity: 'critical' })]);
    // Neither blast radius nor the KMS host's dependants include it.
    const blast = (await get(`/kms-hosts/${HOST}/blast-radius`)).body;
    expect(blast.affected.map((m: { machineId: string }) => m.machineId)).toEqual(['m-kms-client']);
  });

  it('names the Windows editions and volume Office products the fleet runs, in the summary and the machines list', async () => {
    const office = product({
      activationId: 'fbdb3e18-a8ef-4fb3-9183-dffd60bd0984',
      applicationId: OFFICE_APPLICATION_ID,
      name: 'Office 21, Office21ProPlus2021VL_KMS_Client_AE edition',
      primary: false,
    });
    const machines: Array<[string, string, boolean]> = [
      ['m1', 'Microsoft Windows 11 Enterprise', true],
      ['m2', 'Microsoft Windows 11 Enterprise', false],
      ['m3', 'Microsoft Windows 10 Education', true],
    ];
    for (const [id, caption, withOffice] of machines) {
      const a = await enrolAgent(h, id, `${id}.contoso.com`);
      const snap = snapshot(id, `${id}.contoso.com`, T0, { os: { caption, version: '10.0.22631', kind: 'client' }, products: withOffice ? [product(), office] : [product()] });
      await sendBatch(h, a, [report(a, 1, T0, { snapshot: snap })]);
    }
    const summary = (await get('/summary')).body;
    expect(summary.byProduct).toEqual({
      windows: [
        { name: 'Microsoft Windows 11 Enterprise', count: 2 },
        { name: 'Microsoft Windows 10 Education', count: 1 },
      ],
      office: [{ name: 'Office LTSC Professional Plus 2021', count: 2 }],
    });
    const list = (await get('/machines')).body.items as Array<{ machineId: string; office: string | null }>;
    expect(list.map((m) => [m.machineId, m.office])).toEqual([
      ['m1', 'Office LTSC Professional Plus 2021'],
      ['m2', null],
      ['m3', 'Office LTSC Professional Plus 2021'],
    ]);
  });
});
