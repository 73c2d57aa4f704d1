import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import { OFFICE_APPLICATION_ID } from '../../shared/kms-rules.js';
import type { EventRecord } from '../../shared/protocol.js';
import {
  enrolAgent,
  getJson,
  product,
  report,
  sendBatch,
  signIn,
  snapshot,
  startCollector,
  T0,
  type EnrolledAgent,
  type Harness,
} from '../support/collector-harness.js';

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();
const HOST = 'kms-branch.contoso.com';
/** Office LTSC Professional Plus 2021's KMS client activation ID (shared/kms-rules.ts). */
const OFFICE_2021_PROPLUS = 'fbdb3e18-a8ef-4fb3-9183-dffd60bd0984';
const WINDOWS_SERVER_SKU = 'c052f164-cdf6-409a-a0cb-853ba0f0f55a';

/** A client's request (12288) and the host's answer (12289), as the client's agent reports them. */
function askedAndAnswered(recordId: number, time: number, cmid: string, count: number, opts: { activationId?: string; nPolicy?: number; host?: string } = {}): EventRecord[] {
  return [
    {
      log: 'Application',
      provider: 'Microsoft-Windows-Security-SPP',
      id: 12288,
      recordId,
      time: iso(time),
      payload: {
        kind: 'activation-request',
        hresult: 0,
        statusFlags: 0,
        kmsHost: opts.host ?? HOST,
        kmsPort: 1688,
        cmid,
        clientTime: '2026/10/31 10:00',
        vmFlag: 0,
        licenseStatus: 1,
        minutesToExpiry: 250_000,
        activationId: opts.activationId ?? WINDOWS_SERVER_SKU,
        nPolicy: opts.nPolicy ?? 5,
      },
    },
    {
      log: 'Application',
      provider: 'Microsoft-Windows-Security-SPP',
      id: 12289,
      recordId: recordId + 1,
      time: iso(time + 1000),
      payload: {
        kind: 'activation-response',
        hresult: 0,
        statusFlags: 0,
        activated: true,
        currentCount: count,
        activationIntervalMinutes: 120,
        renewalIntervalMinutes: 10080,
        clientTime: '2026/10/31 10:00',
        notEnoughCount: false,
      },
    },
  ];
}

const serverOs = { caption: 'Microsoft Windows Server 2022 Standard', version: '10.0.20348', kind: 'server' as const };

describe('a KMS host nobody runs an agent on, seen through its clients', () => {
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

  /** Six servers use the host: two last renewed 21 and 20 days ago, four yesterday. */
  async function fleet(): Promise<void> {
    const lastAsked: Record<string, number> = { s1: 21, s2: 20, s3: 1, s4: 1, s5: 1, s6: 1 };
    let k = 0;
    for (const [name, ago] of Object.entries(lastAsked)) {
      const agent: EnrolledAgent = await enrolAgent(h, `m-${name}`, `${name}.contoso.com`);
      const at = T0 - ago * DAY + k++ * 60_000;
      // The newest answer (s6's, yesterday) says the host counts 9: clients without an agent are not seen.
      const events = [...askedAndAnswered(1, at - 7 * DAY, `cmid-${name}`, 8), ...askedAndAnswered(3, at, `cmid-${name}`, name === 's6' ? 9 : 8)];
      const snap = snapshot(`m-${name}`, `${name}.contoso.com`, at, {
        os: serverOs,
        cmid: `cmid-${name}`,
        products: [product({ activationId: WINDOWS_SERVER_SKU, kmsHost: { name: HOST, port: 1688, source: 'dns' }, graceExpiresAt: iso(at + 180 * DAY) })],
      });
      expect((await sendBatch(h, agent, [report(agent, 1, at + 2000, { snapshot: snap, events })])).status).toBe(200);
    }
    // One Office client: its Office request was answered with the Office count, 3 (below Office's 5).
    const o = await enrolAgent(h, 'm-office', 'office1.contoso.com');
    const snap = snapshot('m-office', 'office1.contoso.com', T0 - DAY, {
      os: serverOs,
      cmid: 'cmid-office1',
      products: [
        product({ activationId: WINDOWS_SERVER_SKU, kmsHost: { name: HOST, port: 1688, source: 'dns' } }),
        product({ activationId: OFFICE_2021_PROPLUS, applicationId: OFFICE_APPLICATION_ID, name: 'Office 21, Office21ProPlus2021VL_KMS_Client_AE edition', primary: false, kmsHost: { name: HOST, port: 1688, source: 'dns' } }),
      ],
    });
    const events = askedAndAnswered(1, T0 - DAY + 3_600_000, 'cmid-office1', 3, { activationId: OFFICE_2021_PROPLUS });
    expect((await sendBatch(h, o, [report(o, 1, T0 - DAY + 3_700_000, { snapshot: snap, events })])).status).toBe(200);
  }

  it('lists it, with its last known count and window, and says they come from its clients', async () => {
    await fleet();
    const list = await get('/kms-hosts');
    expect(list.status).toBe(200);
    const item = list.body.items.find((x: { id: string }) => x.id === HOST);
    expect(item).toMatchObject({
      basis: 'clients',
      machineId: null,
      currentCount: 9,
      countAt: iso(T0 - 1 * DAY + 5 * 60_000 + 1000),
      countSeenBy: { machineId: 'm-s6', hostname: 's6.contoso.com' },
      windowCount: 6,
    });
    expect(item.applications).toEqual([
      expect.objectContaining({ application: 'windows', currentCount: 9, threshold: 5, windowCount: 6, belowThreshold: false }),
      expect.objectContaining({ application: 'office', currentCount: 3, threshold: 5, windowCount: 1, belowThreshold: true }),
    ]);

    const detail = await get(`/kms-hosts/${HOST}`);
    expect(detail.status).toBe(200);
    expect(detail.body.basis).toBe('clients');
    const windowEntries = detail.body.clientWindow.map((c: { cmid: string; application: string; clientFqdn: string }) => `${c.application}:${c.cmid}:${c.clientFqdn}`);
    expect(windowEntries).toEqual([
      'windows:cmid-s1:s1.contoso.com',
      'windows:cmid-s2:s2.contoso.com',
      'windows:cmid-s3:s3.contoso.com',
      'windows:cmid-s4:s4.contoso.com',
      'windows:cmid-s5:s5.contoso.com',
      'windows:cmid-s6:s6.contoso.com',
      'office:cmid-office1:office1.contoso.com',
    ]);
    expect(detail.body.countHistory.map((p: { currentCount: number }) => p.currentCount).at(-1)).toBe(9);
  });

  it('forecasts it from its clients (200, basis clients) and names the clients whose ageing-out takes the window below 5', async () => {
    await fleet();
    const f = await get(`/kms-hosts/${HOST}/forecast`);
    expect(f.status).toBe(200);
    expect(f.body).toMatchObject({ basis: 'clients', application: 'windows', modelledCount: 6, reportedCount: 9 });
    const below5 = f.body.crossings.find((c: { threshold: number }) => c.threshold === 5);
    // s1 leaves the window 30 days after its last request (9 days from now): 5 left; s2 a day later: 4 < 5.
    expect(below5.at).toBe(iso(T0 - 20 * DAY + 60_000 + 30 * DAY));
    expect(below5.causedBy.map((c: { clientFqdn: string }) => c.clientFqdn)).toEqual(['s1.contoso.com', 's2.contoso.com']);
    expect(f.body.crossings.map((c: { threshold: number }) => c.threshold)).toEqual([5]);
    const office = f.body.applications.find((a: { application: string }) => a.application === 'office');
    expect(office).toMatchObject({ basis: 'clients', reportedCount: 3, modelledCount: 1 });
    expect(office.crossings).toEqual([expect.objectContaining({ threshold: 5, alreadyBelow: true })]);

    expect((await get('/kms-hosts/nobody.contoso.com/forecast')).status).toBe(404);
  });

  it('answers 200 for every host it lists', async () => {
    await fleet();
    const list = await get('/kms-hosts');
    expect(list.body.items.length).toBeGreaterThan(0);
    for (const item of list.body.items) {
      const f = await get(`/kms-hosts/${encodeURIComponent(item.id)}/forecast`);
      expect(f.status, item.id).toBe(200);
      expect(f.body.basis).toBe(item.basis);
    }
  });

  it('keeps what its clients showed across a restart', async () => {
    await fleet();
    const before = (await get('/kms-hosts')).body.items.find((x: { id: string }) => x.id === HOST);
    await h.collector.close();
    const again = await startCollector({ dataDir: h.dataDir, clock: h.clock, plugins: [alertsPlugin()] });
    try {
      const c2 = await signIn(again);
      const after = (await getJson(`${again.url}/api/v1/kms-hosts`, c2)).body.items.find((x: { id: string }) => x.id === HOST);
      expect(after).toEqual(before);
      expect((await getJson(`${again.url}/api/v1/kms-hosts/${HOST}/forecast`, c2)).body).toMatchObject({ basis: 'clients', modelledCount: 6, reportedCount: 9 });
    } finally {
      await again.close();
    }
    // afterEach closes `h`: hand it a fresh collector, and remove the data this one kept.
    rmSync(h.dataDir, { recursive: true, force: true });
    h = await startCollector({ plugins: [alertsPlugin()] });
  });

  it('takes the host’s own report over its clients’ once an agent runs on it', async () => {
    await fleet();
    const agent = await enrolAgent(h, 'm-kms', HOST);
    const snap = snapshot('m-kms', HOST, T0, {
      os: serverOs,
      products: [product({ channel: 'kms-host', graceExpiresAt: null, kmsHost: null })],
      kmsService: {
        currentCount: 12,
        requiredClientCount: 5,
        listeningPort: 1688,
        dnsPublishing: true,
        lowPriority: false,
        requests: { total: 1, failed: 0, unlicensed: 0, licensed: 1, oobGrace: 0, ootGrace: 0, nonGenuineGrace: 0, notification: 0 },
      },
    });
    expect((await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: snap })])).status).toBe(200);
    const item = (await get('/kms-hosts')).body.items.find((x: { id: string }) => x.id === HOST);
    expect(item).toMatchObject({ basis: 'host', machineId: 'm-kms', currentCount: 12, countAt: iso(T0), countSeenBy: null });
    expect((await get(`/kms-hosts/${HOST}/forecast`)).body.basis).toBe('host');
  });
});
