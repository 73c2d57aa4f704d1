/**
 * The scale rule, proven by counting rather than timing: with 100,000 machines in the store, one report makes the
 * alert engine look at O(1) machines (through the rules and through the index), and the minute tick looks only at
 * the machines whose deadline came. Real collector (port 0, SQLite file, virtual clock) with the alerts plug-in.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsPlugin } from '../../dashboard/alerts/alerts-plugin.js';
import { newMachine } from '../../dashboard/server/ingest/apply-report.js';
import { withSnapshot } from '../../dashboard/server/state/machine-state.js';
import { CORE_MIGRATIONS } from '../../dashboard/server/store/core-migrations.js';
import { migrate, openDatabase } from '../../dashboard/server/store/database.js';
import { FleetStore } from '../../dashboard/server/store/fleet-store.js';
import { ALERT_MIGRATIONS } from '../../dashboard/alerts/alert-migrations.js';
import { MS, OFFICE_APPLICATION_ID } from '../../shared/kms-rules.js';
import { enrolAgent, getJson, product, report, sendBatch, signIn, snapshot, startCollector, T0, until, type Harness } from '../support/collector-harness.js';

const N = 100_000;
/** Every fifth machine is a server using a second host that no client OS uses (judged against 5 only). */
const SERVER_EVERY = 5;
/** Machines planted with a grace whose warning threshold (14 days before its end) comes 90 s after T0. */
const DUE_SOON = 3;

let h: Harness;
const plugin = alertsPlugin();

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vawatch-scale-rule-'));
  const db = openDatabase(dataDir);
  migrate(db, 'core', CORE_MIGRATIONS);
  migrate(db, 'alerts', ALERT_MIGRATIONS);
  const store = new FleetStore(db);
  const host = withSnapshot(
    { ...newMachine({ agentId: 'agent-kms', machineId: 'kms-1', hostname: 'kms01.contoso.com' }, T0), lastReportAt: T0, lastReceivedAt: T0 },
    snapshot('kms-1', 'kms01.contoso.com', T0, {
      group: 'DC',
      os: { caption: 'Microsoft Windows Server 2022 Standard', version: '10.0.20348', kind: 'server' },
      products: [product({ channel: 'kms-host', kmsHost: null, graceExpiresAt: null })],
      kmsService: { currentCount: 50, requiredClientCount: 25, listeningPort: 1688, dnsPublishing: true, lowPriority: false, requests: { total: 0, failed: 0, unlicensed: 0, licensed: 0, oobGrace: 0, ootGrace: 0, nonGenuineGrace: 0, notification: 0 } },
    }),
  );
  const serverHost = withSnapshot(
    { ...newMachine({ agentId: 'agent-kms2', machineId: 'kms-2', hostname: 'kms02.contoso.com' }, T0), lastReportAt: T0, lastReceivedAt: T0 },
    snapshot('kms-2', 'kms02.contoso.com', T0, {
      group: 'DC',
      os: { caption: 'Microsoft Windows Server 2022 Standard', version: '10.0.20348', kind: 'server' },
      products: [product({ channel: 'kms-host', kmsHost: null, graceExpiresAt: null })],
      // Its Office count is below 5 and no Office client uses it: the Office count alert lists none, without a walk.
      kmsService: {
        currentCount: 50,
        requiredClientCount: 5,
        listeningPort: 1688,
        dnsPublishing: true,
        lowPriority: false,
        requests: { total: 0, failed: 0, unlicensed: 0, licensed: 0, oobGrace: 0, ootGrace: 0, nonGenuineGrace: 0, notification: 0 },
        applications: [{ applicationId: OFFICE_APPLICATION_ID, name: 'Office 21, Office21VL_KMS_Host edition', currentCount: 3, requiredClientCount: 5 }],
      },
    }),
  );
  db.transaction(() => {
    store.putMachine(host);
    store.putMachine(serverHost);
    store.putKmsHost({
      id: 'kms02.contoso.com',
      hostname: 'kms02.contoso.com',
      machineId: 'kms-2',
      kmsService: serverHost.snapshot!.kmsService!,
      serviceCollectedAt: T0,
      lastRequestAt: null,
      dnsFailure: null,
      lastDnsSuccessAt: null,
      firstSeenAt: T0,
    });
    store.putKmsHost({
      id: 'kms01.contoso.com',
      hostname: 'kms01.contoso.com',
      machineId: 'kms-1',
      kmsService: host.snapshot!.kmsService!,
      serviceCollectedAt: T0,
      lastRequestAt: null,
      dnsFailure: null,
      lastDnsSuccessAt: null,
      firstSeenAt: T0,
    });
    for (let i = 0; i < N; i++) {
      const id = `m-${i}`;
      const name = `ws-${i}.contoso.com`;
      const grace = i < DUE_SOON ? { licenseStatus: 2, graceExpiresAt: new Date(T0 + 14 * MS.DAY + 90_000).toISOString() } : {};
      const m = withSnapshot(
        { ...newMachine({ agentId: `agent-${i}`, machineId: id, hostname: name }, T0), lastReportAt: T0, lastReceivedAt: T0 },
        i % SERVER_EVERY === SERVER_EVERY - 1
          ? snapshot(id, name, T0, {
              group: `site-${i % 20}`,
              os: { caption: 'Microsoft Windows Server 2022 Standard', version: '10.0.20348', kind: 'server' },
              products: [product({ ...grace, kmsHost: { name: 'kms02.contoso.com', port: 1688, source: 'dns' } })],
            })
          : snapshot(id, name, T0, { group: `site-${i % 20}`, products: [product(grace)] }),
      );
      store.putMachine(m);
    }
  })();
  db.close();
  h = await startCollector({ dataDir, plugins: [plugin] });
  // Above 20,000 machines the start-up evaluation runs in slices; wait for it to finish.
  await until(() => plugin.engine().settled, 'the start-up evaluation', 120_000);
}, 180_000);

afterAll(async () => {
  await h?.close();
});

describe('with 100,000 machines', () => {
  it('evaluated the whole fleet once at start and scheduled every machine for its next deadline', () => {
    const e = plugin.engine();
    expect(h.collector.state.machineCount).toBe(N + 2);
    expect(e.scheduled()).toBe(N + 2);
    expect(e.health().counts()).toEqual({ healthy: N + 2, warning: 0, critical: 0, unknown: 0 });
  });

  it('one report visits O(1) machines: the machine it changed, nothing else', async () => {
    const e = plugin.engine();
    const agent = await enrolAgent(h, 'm-new', 'ws-new.contoso.com');
    const before = e.visits();
    const res = await sendBatch(h, agent, [report(agent, 1, T0, { snapshot: snapshot('m-new', 'ws-new.contoso.com', T0, { products: [product({ licenseStatus: 5 })] }) })]);
    expect(res.status).toBe(200);
    await until(() => e.book().open().some((a) => a.rule === 'ClientInNotification'), 'the alert');
    const after = e.visits();
    // Each machine-scoped rule sees the one machine; the fleet rules see the KMS host and, through the index, the
    // first client of it they need (no fleet-wide pass).
    expect(after.evaluated - before.evaluated).toBeLessThanOrEqual(12);
    expect(after.indexed - before.indexed).toBeLessThanOrEqual(10);

    // A heartbeat: only AgentStale looks at the machine.
    const hb = e.visits();
    expect((await sendBatch(h, agent, [report(agent, 2, T0 + 1000, { heartbeat: true })])).status).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect(e.visits().evaluated - hb.evaluated).toBeLessThanOrEqual(1);
    expect(e.visits().indexed - hb.indexed).toBe(0);
  });

  it('the minute tick visits only the machines that are due', async () => {
    const e = plugin.engine();
    const before = e.visits();
    await h.clock.advanceToAsync(T0 + MS.MINUTE);
    // Nothing is due in the first minute: the tick looked at no machine. The host rules asked of both hosts whether a
    // client OS depends on them (kms01's first client answers yes, kms02 has none to look at) and which Office clients
    // use kms02, whose Office count is below 5 (none to look at either).
    expect(e.visits().evaluated - before.evaluated).toBe(0);
    expect(e.visits().indexed - before.indexed).toBeLessThan(100);
    const office = e.book().open().find((a) => a.key === 'KmsCountBelowThreshold|kms-host:kms02.contoso.com|office');
    expect(office?.machines).toEqual([]);
    const mid = e.visits();
    await h.clock.advanceToAsync(T0 + 2 * MS.MINUTE);
    // The planted machines' grace warnings came due: 4 time-based machine rules on each of them, no one else.
    expect(e.visits().evaluated - mid.evaluated).toBe(4 * DUE_SOON);
    const grace = e.book().open().filter((a) => a.rule === 'GraceExpiring');
    expect(grace.flatMap((a) => a.machines.map((m) => m.machineId)).sort()).toEqual(['m-0', 'm-1', 'm-2']);
    expect(e.health().counts().warning).toBe(DUE_SOON);
  });

  it('answers the summary from the tally', async () => {
    const cookie = await signIn(h);
    const s = await getJson(`${h.url}/api/v1/summary`, cookie);
    expect(s.status).toBe(200);
    expect(s.body.machines.total).toBe(N + 3);
    expect(s.body.health.fleet).toBe('critical');
  });
});
