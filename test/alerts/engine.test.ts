import { describe, expect, it } from 'vitest';
import { AlertSettingsError, defaultAlertSettings, parseAlertSettings } from '../../dashboard/alerts/alert-settings.js';
import { healthRollup } from '../../dashboard/alerts/health-rollup.js';
import { groupFindings } from '../../dashboard/alerts/incident-grouping.js';
import { RuleEvaluator } from '../../dashboard/alerts/rule-evaluator.js';
import { RULES } from '../../dashboard/alerts/rules/index.js';
import { RULE_NAMES } from '../../dashboard/alerts/model.js';
import { DAY, HOUR, NOW, activationRequest, fleet, iso, kmsHost, kmsService, machine, product } from '../support/alerts-fleet.js';

describe('alert settings', () => {
  it('registers every rule of the catalogue once', () => {
    expect(RULES.map((r) => r.name).sort()).toEqual([...RULE_NAMES].sort());
  });
  it('fills the catalogue defaults', () => {
    const s = defaultAlertSettings();
    expect(s.forRule('GraceExpiring').forGroup('any')).toMatchObject({ warningDays: 14, criticalDays: 7, enabled: true });
    expect(s.forRule('KmsCountBelowThreshold').forGroup('any')).toMatchObject({ clientThreshold: 25, serverThreshold: 5 });
    expect(s.forRule('AgentStale').forGroup('any')).toMatchObject({ heartbeatMultiple: 3 });
  });
  it('lays group entries over the global entry of the same rule', () => {
    const s = parseAlertSettings({
      rules: [{ rule: 'GraceExpiring', warningDays: 21 }],
      groups: { branch: [{ rule: 'GraceExpiring', criticalDays: 10 }] },
    });
    expect(s.forRule('GraceExpiring').forGroup('hq')).toMatchObject({ warningDays: 21, criticalDays: 7 });
    expect(s.forRule('GraceExpiring').forGroup('branch')).toMatchObject({ warningDays: 21, criticalDays: 10 });
  });
  it.each([
    [{ rules: [{ rule: 'GraceExpiring', warningDays: -1 }] }, /rules\.GraceExpiring: warningDays/],
    [{ rules: [{ rule: 'NoSuchRule' }] }, /rules\[0\]\.rule/],
    [{ rules: [{ rule: 'KmsIdle', minIdleHour: 3 }] }, /rules\.KmsIdle/],
    [{ groups: { b: [{ rule: 'GraceExpiring', criticalDays: 30 }] } }, /groups\.b\[0\]: criticalDays: must not exceed warningDays/],
    [{ rules: [{ rule: 'KmsIdle' }, { rule: 'KmsIdle' }] }, /configured twice/],
    [{ rule: [] }, /alert settings/],
  ])('refuses %j with one line', (input, reason) => {
    expect(() => parseAlertSettings(input)).toThrow(AlertSettingsError);
    expect(() => parseAlertSettings(input)).toThrow(reason);
  });
});

describe('RuleEvaluator', () => {
  it('on ingest evaluates only the touched rules, on the changed machine', () => {
    const a = machine({ products: [product({ licenseStatus: 5 })] });
    const b = machine({ products: [product({ licenseStatus: 5 })] });
    const f = fleet([a, b]);
    const ev = new RuleEvaluator(defaultAlertSettings());
    ev.evaluateChange(f, NOW, { machineId: a.machineId, kinds: ['snapshot'] });
    expect(ev.findings().map((x) => x.subject.id)).toEqual([a.machineId]);
    // A heartbeat does not touch ClientInNotification: b stays unseen until its own snapshot.
    ev.evaluateChange(f, NOW, { machineId: b.machineId, kinds: ['report'] });
    expect(ev.findings().map((x) => x.subject.id)).toEqual([a.machineId]);
    a.products = [product()];
    ev.evaluateChange(f, NOW, { machineId: a.machineId, kinds: ['snapshot'] });
    expect(ev.findings()).toEqual([]);
  });
  it('raises its version only when a finding appears, changes or goes', () => {
    const a = machine({ products: [product({ licenseStatus: 5 })] });
    const f = fleet([a]);
    const ev = new RuleEvaluator(defaultAlertSettings());
    const v0 = ev.version;
    ev.evaluateChange(f, NOW, { machineId: a.machineId, kinds: ['snapshot'] });
    const raised = ev.version;
    expect(raised).toBeGreaterThan(v0);
    // The same snapshot again (what most ingest batches are): nothing for the alert book to do.
    ev.evaluateChange(f, NOW, { machineId: a.machineId, kinds: ['snapshot'] });
    ev.evaluateAll(f, NOW);
    expect(ev.version).toBe(raised);
    a.products = [product()];
    ev.evaluateChange(f, NOW, { machineId: a.machineId, kinds: ['snapshot'] });
    expect(ev.version).toBeGreaterThan(raised);
  });
  it('time-based rules fire on the schedule as time passes, without any report', () => {
    const m = machine({ heartbeatIntervalMs: 3 * DAY, products: [product({ licenseStatus: 2, graceExpiresAt: iso(NOW + 20 * DAY) })] });
    const f = fleet([m]);
    const ev = new RuleEvaluator(defaultAlertSettings());
    ev.evaluateAll(f, NOW);
    expect(ev.findings()).toEqual([]);
    ev.evaluateTimeBased(f, NOW + 6 * DAY);
    expect(ev.findings().map((x) => [x.rule, x.severity])).toEqual([['GraceExpiring', 'warning']]);
    ev.evaluateTimeBased(f, NOW + 13 * DAY);
    expect(ev.findings().map((x) => [x.rule, x.severity]).sort()).toEqual([
      ['AgentStale', 'warning'],
      ['GraceExpiring', 'critical'],
    ]);
  });
});

describe('grouping under the KMS host', () => {
  it('folds one rule of many clients of one host into one alert listing them, and keeps other hosts apart', () => {
    const failing = (host: string) =>
      machine({ products: [product({ graceExpiresAt: iso(NOW + 150 * DAY), kmsHost: { name: host, port: 1688, source: 'dns' } })], recentEvents: [activationRequest(NOW - HOUR, 0xc004f074, host)] });
    const clients = [failing('kms01.corp.example'), failing('KMS01.corp.example'), failing('kms01.corp.example'), failing('kms02.corp.example')];
    const ev = new RuleEvaluator(defaultAlertSettings());
    ev.evaluateAll(fleet(clients), NOW);
    const alerts = groupFindings(ev.findings());
    const byKey = Object.fromEntries(alerts.map((a) => [a.key, a]));
    expect(Object.keys(byKey).sort()).toEqual([
      'ActivationFailing|kms-host:kms01.corp.example',
      'ActivationFailing|kms-host:kms02.corp.example',
      'KmsRenewalOverdue|kms-host:kms01.corp.example',
      'KmsRenewalOverdue|kms-host:kms02.corp.example',
    ]);
    const outage = byKey['ActivationFailing|kms-host:kms01.corp.example']!;
    expect(outage.machines).toHaveLength(3);
    expect(outage.subject).toEqual({ kind: 'kms-host', id: 'kms01.corp.example', name: 'kms01.corp.example' });
    expect(outage.summary).toBe('3 clients of kms01.corp.example: activation failing');
  });
  it('keeps a client that alternates between two DNS hosts in one incident (no flapping)', () => {
    const m = machine({ products: [product({ graceExpiresAt: iso(NOW + 150 * DAY), kmsHost: null })], recentEvents: [activationRequest(NOW - 3 * HOUR, 0xc004f06c, 'kms01.corp.example')] });
    const f = fleet([m]);
    const ev = new RuleEvaluator(defaultAlertSettings());
    ev.evaluateAll(f, NOW);
    const keys = () => groupFindings(ev.findings().filter((x) => x.rule === 'ActivationFailing')).map((a) => a.key);
    expect(keys()).toEqual(['ActivationFailing|kms-host:kms01.corp.example']);
    for (const [i, host] of ['kms02.corp.example', 'kms01.corp.example', 'kms02.corp.example'].entries()) {
      m.recentEvents = [...m.recentEvents, activationRequest(NOW - 2 * HOUR + i * 60_000, 0xc004f06c, host)];
      ev.evaluateChange(f, NOW, { machineId: m.machineId, kinds: ['events'] });
      expect(keys()).toEqual(['ActivationFailing|kms-host:kms01.corp.example']);
    }
    // Once it no longer asks kms01 at all, it moves.
    m.recentEvents = [activationRequest(NOW - HOUR, 0xc004f06c, 'kms02.corp.example')];
    ev.evaluateChange(f, NOW, { machineId: m.machineId, kinds: ['events'] });
    expect(keys()).toEqual(['ActivationFailing|kms-host:kms02.corp.example']);
  });
  it('takes the worst severity of the clients', () => {
    const m1 = machine({ products: [product({ licenseStatus: 3, graceExpiresAt: iso(NOW + 10 * DAY) })] });
    const m2 = machine({ products: [product({ licenseStatus: 3, graceExpiresAt: iso(NOW + 2 * DAY) })] });
    const ev = new RuleEvaluator(defaultAlertSettings());
    ev.evaluateAll(fleet([m1, m2]), NOW);
    const [alert] = groupFindings(ev.findings().filter((f) => f.rule === 'GraceExpiring'));
    expect(alert!.severity).toBe('critical');
    expect(alert!.machines).toHaveLength(2);
  });
});

describe('health rollup', () => {
  it('machine → KMS host → group → fleet, worst wins', () => {
    const host = kmsHost({ hostname: 'kms01.corp.example', group: 'dc', kmsService: kmsService({ currentCount: 40 }) });
    const hostMachine = machine({ machineId: host.hostId, hostname: host.hostname, group: 'dc', products: [product({ channel: 'kms-host', kmsHost: null })], kmsService: host.kmsService });
    const fine = machine({ group: 'hq' });
    const sick = machine({ group: 'branch', products: [product({ licenseStatus: 2, graceExpiresAt: iso(NOW + 10 * DAY) })] });
    const other = machine({ group: 'lab', products: [product({ kmsHost: { name: 'kms09.corp.example', port: 1688, source: 'registry' } })] });
    const f = fleet([hostMachine, fine, sick, other], [host]);
    const ev = new RuleEvaluator(defaultAlertSettings());
    ev.evaluateAll(f, NOW);
    const h = healthRollup(f, ev.findings());
    expect(h.machines[sick.machineId]).toBe('warning');
    expect(h.machines[fine.machineId]).toBe('healthy');
    expect(h.kmsHosts[host.hostId]).toBe('warning'); // its client's trouble shows on the host
    expect(h.groups).toEqual({ dc: 'warning', hq: 'healthy', branch: 'warning', lab: 'healthy' });
    expect(h.fleet).toBe('warning');
    expect(h.counts).toEqual({ healthy: 3, unknown: 0, warning: 1, critical: 0 });
  });
});
