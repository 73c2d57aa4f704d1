import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsExporter } from '../../dashboard/metrics/metrics-exporter.js';
import { binaries, needs, run } from '../support/metrics-binaries.js';
import { HandFleet, kmsHost, machine } from '../support/metrics-fleet.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const deploy = join(root, 'deploy');
const rulesFile = join(deploy, 'prometheus', 'rules', 'vawatch.rules.yml');

describe.skipIf(!binaries.promtool)(needs('promtool', 'shipped Prometheus rules and config'), () => {
  it('promtool check rules accepts the rules', () => {
    const r = run(binaries.promtool!, ['check', 'rules', rulesFile]);
    expect(r.output).toMatch(/SUCCESS: 12 rules found/);
    expect(r.status).toBe(0);
  });

  it('promtool test rules passes every firing and not-firing case', () => {
    const r = run(binaries.promtool!, ['test', 'rules', 'vawatch.rules.test.yml'], { cwd: join(deploy, 'prometheus', 'tests') });
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  it('promtool test rules fails when a rule is broken (the unit tests can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vawatch-rules-'));
    try {
      const rules = readFileSync(rulesFile, 'utf8').replace('vawatch_kms_host_current_clients{application="windows"} < 5', 'vawatch_kms_host_current_clients{application="windows"} < 2');
      writeFileSync(join(dir, 'rules.yml'), rules);
      const tests = readFileSync(join(deploy, 'prometheus', 'tests', 'vawatch.rules.test.yml'), 'utf8').replace('../rules/vawatch.rules.yml', 'rules.yml');
      writeFileSync(join(dir, 'test.yml'), tests);
      const r = run(binaries.promtool!, ['test', 'rules', 'test.yml'], { cwd: dir });
      expect(r.output).toMatch(/KmsCountBelowThreshold/);
      expect(r.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('promtool check config accepts prometheus.yml', () => {
    const r = run(binaries.promtool!, ['check', 'config', '--syntax-only', join(deploy, 'prometheus', 'prometheus.yml')]);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });
});

describe.skipIf(!binaries.amtool)(needs('amtool', 'shipped Alertmanager config'), () => {
  it('amtool check-config accepts alertmanager.yml', () => {
    const r = run(binaries.amtool!, ['check-config', join(deploy, 'alertmanager', 'alertmanager.yml')]);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });
});

describe.skipIf(!binaries.dockerCompose)(needs('dockerCompose', 'docker-compose.yml'), () => {
  it('docker-compose config accepts the compose file and it has the five services', () => {
    const r = run(binaries.dockerCompose!, ['-f', join(root, 'docker-compose.yml'), 'config', '--services']);
    expect(r.status).toBe(0);
    expect(r.output.split('\n').filter(Boolean).sort()).toEqual(['alertmanager', 'fleet', 'grafana', 'prometheus', 'vawatch']);
  });
});

describe('rules and dashboard speak the exporter\'s language', () => {
  async function exportedNames(): Promise<Set<string>> {
    const f = new HandFleet();
    f.machinesList = [machine({ lastReportAt: 1, products: [{ name: 'W', channel: 'kms-client', licenseStatus: 2, graceExpiresAt: 5, primary: true }] })];
    f.hosts = [kmsHost({ id: 'k', currentCount: 1, clientOsDependents: 1, forecastBelow25At: 1, forecastBelow5At: 1, lastRequestAt: 1 })];
    const e = new MetricsExporter({ registry: new Registry(), source: f, clock: { now: () => 0 }, log: { info() {}, warn() {} }, yieldToLoop: async () => {} });
    await e.start();
    const text = await e.metrics();
    return new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
      type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!],
    ));
  }
  const used = (text: string) => new Set([...text.matchAll(/\b((?:vawatch|process|nodejs)_[a-z_]+)\b/g)].map((m) => m[1]!));

  it('every vawatch metric the rules use is exported', async () => {
    const names = await exportedNames();
    const missing = [...used(readFileSync(rulesFile, 'utf8'))].filter((n) => !names.has(n));
    expect(missing).toEqual([]);
  });

  it('every metric the Grafana dashboard queries is exported, and the dashboard uses the provisioned datasource', async () => {
    const names = await exportedNames();
    const file = join(deploy, 'grafana', 'dashboards', 'vawatch.json');
    const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { uid: string; panels: Array<{ targets?: Array<{ expr: string; datasource: { uid: string } }> }> };
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []);
    expect(exprs.length).toBeGreaterThan(10);
    const missing = [...used(exprs.map((t) => t.expr).join('\n'))].filter((n) => !names.has(n));
    expect(missing).toEqual([]);
    const datasource = readFileSync(join(deploy, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8');
    for (const t of exprs) expect(datasource).toContain(`uid: ${t.datasource.uid}`);
    expect(readdirSync(join(deploy, 'grafana', 'dashboards'))).toContain('vawatch.json');
  });

  it('lays the Grafana panels out on the 24-column grid without overlaps, each with a title and a unique id', () => {
    type Panel = { id: number; title: string; gridPos: { x: number; y: number; w: number; h: number } };
    const { panels } = JSON.parse(readFileSync(join(deploy, 'grafana', 'dashboards', 'vawatch.json'), 'utf8')) as { panels: Panel[] };
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) {
      expect(p.title).not.toBe('');
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    }
    const overlaps = (a: Panel['gridPos'], b: Panel['gridPos']) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    const clashes = panels.flatMap((a, i) => panels.slice(i + 1).filter((b) => overlaps(a.gridPos, b.gridPos)).map((b) => `${a.title} / ${b.title}`));
    expect(clashes).toEqual([]);
  });
});
