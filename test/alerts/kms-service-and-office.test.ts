import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import { OFFICE_APPLICATION_ID, WINDOWS_APPLICATION_ID } from '../../shared/kms-rules.js';
import type { EventRecord, KmsServiceState } from '../../shared/protocol.js';
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

const MIN = 60_000;
const HOST = 'kms01.contoso.com';

function service(overrides: Partial<KmsServiceState> = {}): KmsServiceState {
  return {
    currentCount: 40,
    requiredClientCount: 25,
    listeningPort: 1688,
    dnsPublishing: true,
    lowPriority: false,
    requests: { total: 100, failed: 0, unlicensed: 0, licensed: 100, oobGrace: 0, ootGrace: 0, nonGenuineGrace: 0, notification: 0 },
    serviceRunning: true,
    listening: true,
    applications: [
      { applicationId: WINDOWS_APPLICATION_ID, name: 'Windows(R), ServerStandard edition', currentCount: 40, requiredClientCount: 25 },
      { applicationId: OFFICE_APPLICATION_ID, name: 'Office 21, Office21KMSHostVL_KMS_Host edition', currentCount: 7, requiredClientCount: 5 },
    ],
    ...overrides,
  };
}

function hostSnapshot(at: number, kmsService: KmsServiceState) {
  return snapshot('m-kms', HOST, at, {
    os: { caption: 'Microsoft Windows Server 2022 Standard', version: '10.0.20348', kind: 'server' },
    products: [product({ channel: 'kms-host', description: 'Windows(R) Operating System, VOLUME_KMS_2012-R2_WIN10 channel', graceExpiresAt: null, kmsHost: null })],
    kmsService,
  });
}

function hostEvent(recordId: number, time: number, id: 12291 | 12292, hresult: number): EventRecord {
  return {
    log: 'Application',
    provider: 'Microsoft-Windows-Security-SPP',
    id,
    recordId,
    time: new Date(time).toISOString(),
    payload: id === 12291 ? { kind: 'kms-init-failure', hresult } : { kind: 'kms-renewal-timer-failure', hresult },
  };
}

describe('KMS host alerts of issue 12 through the real collector', () => {
  let h: Harness;
  let cookie: string;
  let host: EnrolledAgent;
  let seq = 0;
  beforeEach(async () => {
    h = await startCollector({ plugins: [alertsPlugin()] });
    cookie = await signIn(h);
    host = await enrolAgent(h, 'm-kms', HOST);
    seq = 0;
  });
  afterEach(async () => {
    await h.close();
  });
  const get = (path: string) => getJson(`${h.url}/api/v1${path}`, cookie);
  const send = async (fields: Parameters<typeof report>[3]) => {
    const r = await sendBatch(h, host, [report(host, ++seq, h.clock.now(), fields)]);
    expect(r.status).toBe(200);
    await h.clock.advanceByAsync(1000); // fleet rules run at most once a second
  };
  const active = async (rule: string) =>
    (await get(`/alerts?rule=${rule}&state=active`)).body.items as Array<{ title: string; severity: string; subject: { id: string } }>;

  it('raises KmsServiceFailing on a 12291 and clears it when a later report shows the service healthy', async () => {
    await send({ snapshot: hostSnapshot(h.clock.now(), service()) });
    expect(await active('KmsServiceFailing')).toEqual([]);

    await send({ events: [hostEvent(1, h.clock.now() - MIN, 12291, 0xc004f015)] });
    const raised = await active('KmsServiceFailing');
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ severity: 'critical', subject: { id: HOST } });
    expect(raised[0]!.title).toContain('12291');
    expect(raised[0]!.title).toContain('0xC004F015');
    const hostItem = async () => (await get('/kms-hosts')).body.items.find((x: { id: string }) => x.id === HOST);
    expect((await hostItem()).service).toEqual({ running: true, listening: true, failure: { eventId: 12291, at: new Date(h.clock.now() - 1000 - MIN).toISOString(), hresult: 0xc004f015 } });

    // A later heartbeat: the service is as the last snapshot says, running and listening; cleared at the next tick.
    await send({ heartbeat: true });
    await h.clock.advanceByAsync(MIN);
    expect(await active('KmsServiceFailing')).toEqual([]);
    expect((await hostItem()).service.failure).toBeNull();
  });

  it('raises it for a 12291 from a host whose snapshot carries no KMS service (it failed to start), on the host\'s own page', async () => {
    const snap = hostSnapshot(h.clock.now(), service());
    delete (snap as { kmsService?: unknown }).kmsService;
    await send({ snapshot: snap, events: [hostEvent(1, h.clock.now() - MIN, 12291, 0xc004f015)] });
    const raised = await active('KmsServiceFailing');
    expect(raised.map((a) => a.subject.id)).toEqual([HOST]);
    const item = (await get('/kms-hosts')).body.items.find((x: { id: string }) => x.id === HOST);
    expect(item).toMatchObject({ basis: 'host', machineId: 'm-kms', currentCount: null });
    expect((await get(`/kms-hosts/${HOST}/forecast`)).body.basis).toBe('host');
  });

  it('raises it for a 12292, for a stopped service and for a port not listening, and clears with a healthy snapshot', async () => {
    await send({ snapshot: hostSnapshot(h.clock.now(), service()), events: [hostEvent(1, h.clock.now() - MIN, 12292, 0x80070005)] });
    expect((await active('KmsServiceFailing'))[0]!.title).toContain('renewal timer');

    await send({ snapshot: hostSnapshot(h.clock.now(), service({ serviceRunning: false })) });
    const stopped = await active('KmsServiceFailing');
    expect(stopped).toHaveLength(1);
    expect(stopped[0]!.title).toContain('not running');
    expect(stopped[0]!.title).not.toContain('12292');

    await send({ snapshot: hostSnapshot(h.clock.now(), service({ listening: false })) });
    expect((await active('KmsServiceFailing'))[0]!.title).toContain('port 1688');

    await send({ snapshot: hostSnapshot(h.clock.now(), service()) });
    expect(await active('KmsServiceFailing')).toEqual([]);
    const resolved = (await get('/alerts?rule=KmsServiceFailing&state=resolved')).body.total;
    expect(resolved).toBe(1);
  });

  it('forecasts the Office count apart from Windows\' and warns when it will fall below 5 within 7 days', async () => {
    const DAY = 86_400_000;
    const office = (recordId: number, daysAgo: number, client: string): EventRecord => ({
      log: 'Key Management Service',
      provider: 'Microsoft-Windows-Security-SPP',
      id: 12290,
      recordId,
      time: new Date(h.clock.now() - daysAgo * DAY).toISOString(),
      payload: { kind: 'kms-request', hresult: 0, nPolicy: 5, clientFqdn: client, cmid: `cmid-${client}`, clientTime: '', isVm: false, licenseStatus: 1, minutesToExpiry: 259200, activationId: 'fbdb3e18-a8ef-4fb3-9183-dffd60bd0984' },
    });
    // Six Office clients: four renewed yesterday, two stopped 25 and 24 days ago (they leave in 5 and 6 days).
    const events = [office(1, 25, 'o1.contoso.com'), office(2, 24, 'o2.contoso.com'), ...[3, 4, 5, 6].map((i) => office(i, 1, `o${i}.contoso.com`))];
    const apps = service().applications!;
    await send({ snapshot: hostSnapshot(h.clock.now(), service({ applications: [apps[0]!, { ...apps[1]!, currentCount: 6 }] })), events });

    const f = (await get(`/kms-hosts/${HOST}/forecast`)).body;
    const o = f.applications.find((a: { application: string }) => a.application === 'office');
    expect(o).toMatchObject({ application: 'office', basis: 'host', modelledCount: 6, reportedCount: 6, cap: 10 });
    expect(o.crossings).toEqual([
      expect.objectContaining({ threshold: 5, alreadyBelow: false, at: new Date(h.clock.now() - 1000 - 24 * DAY + 30 * DAY).toISOString() }),
    ]);
    expect(o.crossings[0].causedBy.map((c: { clientFqdn: string }) => c.clientFqdn)).toEqual(['o1.contoso.com', 'o2.contoso.com']);
    // Windows' forecast does not count the Office requests.
    expect(f.clients).toEqual([]);

    const alerts = await active('KmsCountForecast');
    expect(alerts.map((a) => a.title)).toEqual([expect.stringContaining('Office count will fall below 5')]);
  });

  it('raises the count alert for Office alone when the Office count is below 5', async () => {
    await send({ snapshot: hostSnapshot(h.clock.now(), service()) });
    expect(await active('KmsCountBelowThreshold')).toEqual([]);

    const apps = service().applications!;
    await send({ snapshot: hostSnapshot(h.clock.now(), service({ applications: [apps[0]!, { ...apps[1]!, currentCount: 4 }] })) });
    const alerts = await active('KmsCountBelowThreshold');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.title).toContain('Office KMS count 4 is below 5');
    expect(alerts[0]!.title).not.toContain('Windows');
    expect(alerts[0]!.severity).toBe('warning');

    // The API shows each application against its own threshold.
    const item = (await get('/kms-hosts')).body.items.find((x: { id: string }) => x.id === HOST);
    expect(item.applications.map((a: { application: string; currentCount: number; threshold: number; belowThreshold: boolean }) => [a.application, a.currentCount, a.threshold, a.belowThreshold])).toEqual([
      ['windows', 40, 5, false],
      ['office', 4, 5, true],
    ]);

    await send({ snapshot: hostSnapshot(h.clock.now(), service()) });
    expect(await active('KmsCountBelowThreshold')).toEqual([]);
  });
});
