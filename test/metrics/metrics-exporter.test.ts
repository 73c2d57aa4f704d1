import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsExporter } from '../../dashboard/metrics/metrics-exporter.js';
import { CHANNEL_LABELS, LICENSE_STATUS_LABELS } from '../../dashboard/metrics/metric-labels.js';
import { VirtualClock } from '../../shared/scheduling.js';
import { parseExposition, samples, value } from '../support/metrics-exposition.js';
import { DAY_MS, HandFleet, kmsHost, machine, windowsProduct } from '../support/metrics-fleet.js';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

function setup(fleet: HandFleet, options: { machineSeriesLimit?: number } = {}) {
  const clock = new VirtualClock(NOW);
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) };
  const registry = new Registry();
  const exporter = new MetricsExporter({
    registry,
    source: fleet,
    clock,
    log,
    options: { processMetrics: false, ...options },
    yieldToLoop: async () => {},
  });
  return { exporter, clock, lines, registry, scrape: async () => parseExposition(await exporter.metrics()) };
}

describe('fleet aggregates', () => {
  it('exports every licence status × channel for every group, 0 where empty, and follows changes', async () => {
    const fleet = new HandFleet();
    const a = machine({ group: 'hq' });
    const b = machine({ group: 'branch', products: [windowsProduct({ licenseStatus: 5 })] });
    const c = machine({ group: 'branch', products: [] });
    fleet.machinesList = [a, b, c];
    const { exporter, scrape } = setup(fleet);
    await exporter.start();

    let s = await scrape();
    expect(samples(s, 'vawatch_machines')).toHaveLength(LICENSE_STATUS_LABELS.length * CHANNEL_LABELS.length * 2);
    expect(value(s, 'vawatch_machines', { group: 'hq', license_status: 'Licensed', channel: 'kms-client' })).toBe(1);
    expect(value(s, 'vawatch_machines', { group: 'branch', license_status: 'Notification', channel: 'kms-client' })).toBe(1);
    expect(value(s, 'vawatch_machines', { group: 'branch', license_status: 'None', channel: 'none' })).toBe(1);
    expect(value(s, 'vawatch_machines', { group: 'hq', license_status: 'OOTGrace', channel: 'mak' })).toBe(0);

    // b gets activated, a retires: the counts move without a recount, and the emptied group hq goes away.
    const b2 = { ...b, status: 1, products: [windowsProduct({ licenseStatus: 1 })] };
    exporter.machineChanged(b, b2);
    exporter.machineChanged(a, null);
    fleet.machinesList = [b2, c];
    fleet.extraGroups = [];
    s = await scrape();
    expect(value(s, 'vawatch_machines', { group: 'branch', license_status: 'Notification', channel: 'kms-client' })).toBe(0);
    expect(value(s, 'vawatch_machines', { group: 'branch', license_status: 'Licensed', channel: 'kms-client' })).toBe(1);
    expect(samples(s, 'vawatch_machines', { group: 'hq' })).toHaveLength(0);
  });

  it('escapes a hostile group name in every per-group family', async () => {
    const fleet = new HandFleet();
    const hostile = 'evil"site\\x\n} 1\n<b>';
    fleet.machinesList = [machine({ group: hostile, lastReportAt: NOW, products: [windowsProduct({ licenseStatus: 2, graceExpiresAt: NOW + DAY_MS })] })];
    const { exporter, scrape } = setup(fleet);
    await exporter.start();
    const s = await scrape();
    expect(value(s, 'vawatch_machines', { group: hostile, license_status: 'OOBGrace', channel: 'kms-client' })).toBe(1);
    expect(value(s, 'vawatch_agents', { group: hostile, state: 'up' })).toBe(1);
    expect(value(s, 'vawatch_expiry_wave_machines', { group: hostile, within_days: '7' })).toBe(1);
    expect(samples(s, 'vawatch_machines')).toHaveLength(LICENSE_STATUS_LABELS.length * CHANNEL_LABELS.length);
  });

  it('counts agents up and stale per group against the stale limit', async () => {
    const fleet = new HandFleet(3 * 3_600_000);
    fleet.machinesList = [
      machine({ group: 'hq', lastReportAt: NOW - 3_600_000 }),
      machine({ group: 'hq', lastReportAt: NOW - 3 * 3_600_000 }),
      machine({ group: 'hq', lastReportAt: NOW - 3 * 3_600_000 - 1 }),
      machine({ group: 'lab', lastReportAt: null }),
    ];
    const { exporter, scrape } = setup(fleet);
    await exporter.start();
    const s = await scrape();
    expect(value(s, 'vawatch_agents', { group: 'hq', state: 'up' })).toBe(2);
    expect(value(s, 'vawatch_agents', { group: 'hq', state: 'stale' })).toBe(1);
    expect(value(s, 'vawatch_agents', { group: 'lab', state: 'stale' })).toBe(1);
    expect(value(s, 'vawatch_agents', { group: 'lab', state: 'up' })).toBe(0);
    expect(value(s, 'vawatch_agent_stale_after_seconds')).toBe(10_800);
  });
});

describe('scrape cost', () => {
  it('never walks the fleet during a scrape: machines are read only by the background refresh', async () => {
    const fleet = new HandFleet();
    fleet.machinesList = Array.from({ length: 50 }, () => machine());
    let walks = 0;
    const list = fleet.machinesList;
    fleet.machines = () => {
      walks++;
      return list;
    };
    const { exporter, scrape } = setup(fleet);
    await exporter.start();
    const afterStart = walks;
    for (let i = 0; i < 3; i++) await scrape();
    expect(walks).toBe(afterStart);
    await exporter.refresh();
    expect(walks).toBe(afterStart + 1);
  });
  it('re-renders only the groups that changed since the last scrape, and nothing when nothing changed', async () => {
    // 300 groups of two machines; one group's agents are about to go stale, one group's grace about to enter the wave.
    const fleet = new HandFleet(3 * 3_600_000);
    const groups = Array.from({ length: 300 }, (_, i) => `site-${String(i).padStart(3, '0')}`);
    fleet.machinesList = groups.flatMap((group) => [machine({ group, lastReportAt: NOW - 60_000 }), machine({ group, lastReportAt: NOW - 60_000 })]);
    fleet.machinesList.push(
      machine({ group: 'site-100', lastReportAt: NOW - 3 * 3_600_000 + 30_000 }),
      machine({ group: 'site-200', lastReportAt: NOW - 60_000, products: [windowsProduct({ licenseStatus: 2, graceExpiresAt: NOW + 7 * DAY_MS + 30_000 })] }),
    );
    let walks = 0;
    const list = fleet.machinesList;
    fleet.machines = () => {
      walks++;
      return list;
    };
    const { exporter, clock, scrape } = setup(fleet);
    await exporter.start();
    const walksAfterStart = walks;
    await scrape();
    const first = { ...exporter.renderWork };
    expect(first).toMatchObject({ machineGroupsRendered: 300, agentGroupsRendered: 300, waveGroupsRendered: 300 });

    // Nothing changed: no group and no family is rendered again, and the text is the same.
    const unchanged = await exporter.metrics();
    await scrape();
    expect(exporter.renderWork).toEqual(first);

    // One machine of site-042 changes status: that group's vawatch_machines lines alone, and that family alone.
    const [changed] = list.filter((m) => m.group === 'site-042');
    exporter.machineChanged(changed!, { ...changed!, status: 5 });
    let s = await scrape();
    expect(exporter.renderWork).toEqual({ ...first, machineGroupsRendered: 301, familiesJoined: first.familiesJoined + 1 });
    expect(value(s, 'vawatch_machines', { group: 'site-042', license_status: 'Notification', channel: 'kms-client' })).toBe(1);
    expect(value(s, 'vawatch_machines', { group: 'site-042', license_status: 'Licensed', channel: 'kms-client' })).toBe(1);

    // A minute later one agent went stale (site-100) and one grace entered the 7-day wave (site-200): those two groups.
    clock.advanceBy(60_000);
    s = await scrape();
    expect(exporter.renderWork).toEqual({ ...first, machineGroupsRendered: 301, agentGroupsRendered: 301, waveGroupsRendered: 301, familiesJoined: first.familiesJoined + 3 });
    expect(value(s, 'vawatch_agents', { group: 'site-100', state: 'stale' })).toBe(1);
    expect(value(s, 'vawatch_expiry_wave_machines', { group: 'site-200', within_days: '7' })).toBe(1);
    expect(walks).toBe(walksAfterStart);

    // The cached text says what a fresh exporter counting the same fleet from scratch says.
    list.splice(list.indexOf(changed!), 1, { ...changed!, status: 5 });
    const fresh = setup(fleet);
    fresh.clock.advanceBy(60_000);
    await fresh.exporter.start();
    const families = ['vawatch_machines', 'vawatch_agents', 'vawatch_expiry_wave_machines'];
    const pick = (text: string) => parseExposition(text).filter((x) => families.includes(x.name)).map((x) => JSON.stringify(x)).sort();
    expect(pick(await exporter.metrics())).toEqual(pick(await fresh.exporter.metrics()));
    expect(pick(unchanged)).not.toEqual(pick(await exporter.metrics()));
  });
});

describe('expiry wave', () => {
  it.each([
    // [what, product, reaching Notification within 7 / 14 / 30 / 60 days]
    ['OOB grace ending in 5 days', windowsProduct({ licenseStatus: 2, graceExpiresAt: NOW + 5 * DAY_MS }), [1, 1, 1, 1]],
    ['OOT grace ending in exactly 14 days', windowsProduct({ licenseStatus: 3, graceExpiresAt: NOW + 14 * DAY_MS }), [0, 1, 1, 1]],
    ['a KMS client whose 180 days end in 20 days (then 30 days of OOT grace)', windowsProduct({ licenseStatus: 1, graceExpiresAt: NOW + 20 * DAY_MS }), [0, 0, 0, 1]],
    ['a KMS client renewed yesterday', windowsProduct({ licenseStatus: 1, graceExpiresAt: NOW + 179 * DAY_MS }), [0, 0, 0, 0]],
    ['a MAK-activated machine', windowsProduct({ licenseStatus: 1, channel: 'mak', graceExpiresAt: null }), [0, 0, 0, 0]],
    ['already in Notification', windowsProduct({ licenseStatus: 5, graceExpiresAt: null }), [0, 0, 0, 0]],
  ])('%s', async (_what, product, expected) => {
    const fleet = new HandFleet();
    fleet.machinesList = [machine({ group: 'hq', products: [product] })];
    const { exporter, scrape } = setup(fleet);
    await exporter.start();
    const s = await scrape();
    expect([7, 14, 30, 60].map((d) => value(s, 'vawatch_expiry_wave_machines', { group: 'hq', within_days: String(d) }))).toEqual(expected);
  });

  it('moves with the clock at the next background refresh', async () => {
    const fleet = new HandFleet();
    fleet.machinesList = [machine({ products: [windowsProduct({ licenseStatus: 2, graceExpiresAt: NOW + 10 * DAY_MS })] })];
    const { exporter, clock, scrape } = setup(fleet);
    await exporter.start();
    expect(value(await scrape(), 'vawatch_expiry_wave_machines', { within_days: '7' })).toBe(0);
    clock.advanceBy(4 * DAY_MS);
    await exporter.refresh();
    expect(value(await scrape(), 'vawatch_expiry_wave_machines', { within_days: '7' })).toBe(1);
  });
});

describe('per-machine series', () => {
  it('exports status, grace expiry and last report per machine, with hostile names escaped', async () => {
    const fleet = new HandFleet();
    const hostile = 'evil"host\\name\n<script>';
    fleet.machinesList = [
      machine({
        machineId: 'id-1',
        hostname: hostile,
        group: 'hq',
        lastReportAt: NOW - 60_000,
        products: [
          windowsProduct({ licenseStatus: 3, graceExpiresAt: NOW + 2 * DAY_MS }),
          windowsProduct({ name: 'Office 16, Office16ProPlusVL_KMS_Client edition', primary: false, licenseStatus: 1, graceExpiresAt: null }),
        ],
      }),
    ];
    const { exporter, scrape } = setup(fleet);
    await exporter.start();
    const s = await scrape();
    expect(value(s, 'vawatch_machine_series_exported')).toBe(1);
    expect(value(s, 'vawatch_machine_license_status', { machine: hostile, product: 'Windows(R), Enterprise edition' })).toBe(3);
    expect(value(s, 'vawatch_machine_license_status', { machine_id: 'id-1', product: 'Office 16, Office16ProPlusVL_KMS_Client edition' })).toBe(1);
    expect(value(s, 'vawatch_machine_grace_expiry_timestamp_seconds', { machine_id: 'id-1' })).toBe((NOW + 2 * DAY_MS) / 1000);
    expect(value(s, 'vawatch_agent_last_report_timestamp_seconds', { machine_id: 'id-1', group: 'hq' })).toBe((NOW - 60_000) / 1000);
    expect(value(s, 'vawatch_metrics_machine_series')).toBe(4);
  });

  it('turns them off above the machine limit with a log line, keeps the aggregates, and turns them back on', async () => {
    const fleet = new HandFleet();
    fleet.machinesList = [machine(), machine(), machine()];
    const { exporter, scrape, lines } = setup(fleet, { machineSeriesLimit: 2 });
    await exporter.start();
    let s = await scrape();
    expect(samples(s, 'vawatch_machine_license_status')).toHaveLength(0);
    expect(value(s, 'vawatch_machine_series_exported')).toBe(0);
    expect(value(s, 'vawatch_machines', { license_status: 'Licensed', channel: 'kms-client', group: 'hq' })).toBe(3);
    expect(lines).toEqual([expect.stringMatching(/^warn metrics: per-machine series off: 3 machines is above machineSeriesLimit 2/)]);

    await exporter.refresh();
    expect(lines).toHaveLength(1);

    fleet.machinesList = fleet.machinesList.slice(0, 2);
    await exporter.refresh();
    s = await scrape();
    expect(samples(s, 'vawatch_machine_license_status')).toHaveLength(2);
    expect(lines[1]).toMatch(/^info metrics: per-machine series back on/);
  });

  it('never exports the same series twice when a machine reports two products of one name', async () => {
    const fleet = new HandFleet();
    fleet.machinesList = [machine({ products: [windowsProduct(), windowsProduct({ primary: false, licenseStatus: 0 })] })];
    const { exporter, scrape } = setup(fleet);
    await exporter.start();
    expect(samples(await scrape(), 'vawatch_machine_license_status')).toHaveLength(1);
  });
});

describe('KMS hosts and alerts', () => {
  it('exports counts, the threshold that applies, dependents and the forecast that matters', async () => {
    const fleet = new HandFleet();
    fleet.hosts = [
      kmsHost({ id: 'kms-hq.contoso.com', currentCount: 50, clientOsDependents: 400, serverOsDependents: 20, forecastBelow25At: NOW + 40 * DAY_MS, forecastBelow5At: null }),
      kmsHost({ id: 'kms-dc.contoso.com', currentCount: 8, clientOsDependents: 0, serverOsDependents: 8, forecastBelow25At: NOW, forecastBelow5At: NOW + 3 * DAY_MS }),
      kmsHost({ id: 'kms-unknown.contoso.com', currentCount: null, clientOsDependents: 2 }),
    ];
    const { exporter, scrape } = setup(fleet);
    await exporter.start();
    const s = await scrape();
    expect(value(s, 'vawatch_kms_host_current_clients', { kms_host: 'kms-hq.contoso.com' })).toBe(50);
    expect(samples(s, 'vawatch_kms_host_current_clients', { kms_host: 'kms-unknown.contoso.com' })).toHaveLength(0);
    expect(value(s, 'vawatch_kms_host_required_clients', { kms_host: 'kms-hq.contoso.com' })).toBe(25);
    expect(value(s, 'vawatch_kms_host_required_clients', { kms_host: 'kms-dc.contoso.com' })).toBe(5);
    expect(value(s, 'vawatch_kms_host_dependent_machines', { kms_host: 'kms-dc.contoso.com', os_kind: 'server' })).toBe(8);
    expect(value(s, 'vawatch_kms_host_count_forecast_below_threshold_timestamp_seconds', { kms_host: 'kms-hq.contoso.com', threshold: '25' })).toBe(
      (NOW + 40 * DAY_MS) / 1000,
    );
    // Without per-application figures a host's count is Windows'.
    expect(samples(s, 'vawatch_kms_host_current_clients', { kms_host: 'kms-hq.contoso.com' }).map((x) => x.labels.application)).toEqual(['windows']);
    // A servers-only host is never judged against 25.
    expect(samples(s, 'vawatch_kms_host_count_forecast_below_threshold_timestamp_seconds', { kms_host: 'kms-dc.contoso.com', threshold: '25' })).toHaveLength(0);
    expect(value(s, 'vawatch_kms_host_count_forecast_below_threshold_timestamp_seconds', { kms_host: 'kms-dc.contoso.com', threshold: '5' })).toBe(
      (NOW + 3 * DAY_MS) / 1000,
    );
  });

  it('labels each application\'s count and threshold (windows, office), and what clients heard of a host without an agent', async () => {
    const fleet = new HandFleet();
    fleet.hosts = [
      kmsHost({
        id: 'kms-hq.contoso.com',
        currentCount: 50,
        clientOsDependents: 400,
        applications: [
          { application: 'windows', currentCount: 50, threshold: 25 },
          { application: 'office', currentCount: 4, threshold: 5 },
        ],
      }),
      kmsHost({ id: 'kms-other.contoso.com', currentCount: null, basis: 'clients', clientSeenCounts: [{ application: 'windows', count: 31, at: NOW - DAY_MS }] }),
    ];
    fleet.hosts[0] = { ...fleet.hosts[0]!, forecastBelow5At: NOW + 20 * DAY_MS, officeForecastBelow5At: NOW + 2 * DAY_MS };
    const { exporter, scrape } = setup(fleet);
    await exporter.start();
    const s = await scrape();
    expect(value(s, 'vawatch_kms_host_current_clients', { kms_host: 'kms-hq.contoso.com', application: 'windows' })).toBe(50);
    expect(value(s, 'vawatch_kms_host_current_clients', { kms_host: 'kms-hq.contoso.com', application: 'office' })).toBe(4);
    expect(value(s, 'vawatch_kms_host_required_clients', { kms_host: 'kms-hq.contoso.com', application: 'windows' })).toBe(25);
    expect(value(s, 'vawatch_kms_host_required_clients', { kms_host: 'kms-hq.contoso.com', application: 'office' })).toBe(5);
    expect(samples(s, 'vawatch_kms_host_current_clients', { kms_host: 'kms-other.contoso.com' })).toHaveLength(0);
    expect(value(s, 'vawatch_kms_host_client_seen_clients', { kms_host: 'kms-other.contoso.com', application: 'windows' })).toBe(31);
    expect(value(s, 'vawatch_kms_host_client_seen_timestamp_seconds', { kms_host: 'kms-other.contoso.com', application: 'windows' })).toBe((NOW - DAY_MS) / 1000);
    expect(value(s, 'vawatch_kms_host_count_forecast_below_threshold_timestamp_seconds', { kms_host: 'kms-hq.contoso.com', application: 'office', threshold: '5' })).toBe((NOW + 2 * DAY_MS) / 1000);
    expect(value(s, 'vawatch_kms_host_count_forecast_below_threshold_timestamp_seconds', { kms_host: 'kms-hq.contoso.com', application: 'windows', threshold: '5' })).toBe((NOW + 20 * DAY_MS) / 1000);
    // Bounded: no other application value ever appears.
    const apps = new Set(samples(s, 'vawatch_kms_host_required_clients').map((x) => x.labels.application));
    expect([...apps].sort()).toEqual(['office', 'windows']);
  });

  it('zero-fills alerts by rule × severity × state and adds the engine tallies', async () => {
    const fleet = new HandFleet();
    fleet.tallies = [
      { rule: 'KmsCountBelowThreshold', severity: 'warning', state: 'new', count: 1 },
      { rule: 'GraceExpiring', severity: 'critical', state: 'acknowledged', count: 4 },
    ];
    const { exporter, scrape } = setup(fleet);
    await exporter.start();
    const s = await scrape();
    expect(samples(s, 'vawatch_alerts')).toHaveLength(13 * 2 * 3);
    expect(value(s, 'vawatch_alerts', { rule: 'KmsServiceFailing', severity: 'critical', state: 'new' })).toBe(0);
    expect(value(s, 'vawatch_alerts', { rule: 'KmsCountBelowThreshold', severity: 'warning', state: 'new' })).toBe(1);
    expect(value(s, 'vawatch_alerts', { rule: 'GraceExpiring', severity: 'critical', state: 'acknowledged' })).toBe(4);
    expect(value(s, 'vawatch_alerts', { rule: 'AgentStale', severity: 'warning', state: 'silenced' })).toBe(0);
  });
});

describe('collector self-metrics', () => {
  it('counts ingest by result and rejects by a bounded reason', async () => {
    const { exporter, scrape } = setup(new HandFleet());
    await exporter.start();
    exporter.ingest.batch();
    exporter.ingest.reports('accepted', 3);
    exporter.ingest.reports('duplicate');
    exporter.ingest.rejected('bad-token');
    exporter.ingest.rejected('something a client made up');
    const s = await scrape();
    expect(value(s, 'vawatch_ingest_batches_total')).toBe(1);
    expect(value(s, 'vawatch_ingest_reports_total', { result: 'accepted' })).toBe(3);
    expect(value(s, 'vawatch_ingest_reports_total', { result: 'refused' })).toBe(0);
    expect(value(s, 'vawatch_ingest_requests_rejected_total', { reason: 'bad-token' })).toBe(1);
    expect(value(s, 'vawatch_ingest_requests_rejected_total', { reason: 'other' })).toBe(1);
    expect(samples(s, 'vawatch_ingest_requests_rejected_total')).toHaveLength(12);
  });

  it('adds the per-machine series to the registry\'s metrics in the exposition it hands the /metrics route, leaving the registry as it is', async () => {
    const fleet = new HandFleet();
    fleet.machinesList = [machine({ hostname: 'ws-x.contoso.com' })];
    const { exporter, registry } = setup(fleet);
    await exporter.start();
    expect(await registry.metrics()).not.toContain('ws-x.contoso.com');
    const text = Buffer.concat(await exporter.exposition()).toString('utf8');
    expect(text).toContain('vawatch_machine_license_status{machine="ws-x.contoso.com"');
    expect(text).toContain('# TYPE vawatch_machines gauge');
    // A scrape is timed once its text is ready, so the second scrape shows the first.
    expect(value(parseExposition(Buffer.concat(await exporter.exposition()).toString('utf8')), 'vawatch_metrics_scrape_duration_seconds_count')).toBe(1);
    expect(await registry.metrics()).not.toContain('ws-x.contoso.com');
  });
});
