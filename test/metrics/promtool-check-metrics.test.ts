import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsExporter } from '../../dashboard/metrics/metrics-exporter.js';
import { binaries, needs, run } from '../support/metrics-binaries.js';
import { DAY_MS, HandFleet, kmsHost, machine, windowsProduct } from '../support/metrics-fleet.js';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

async function exposition(fleet: HandFleet): Promise<string> {
  const exporter = new MetricsExporter({
    registry: new Registry(),
    source: fleet,
    clock: { now: () => NOW },
    log: { info() {}, warn() {} },
    // Process metrics on: prom-client's defaults are part of what Prometheus scrapes.
    options: { processMetrics: true },
    yieldToLoop: async () => {},
  });
  await exporter.start();
  return exporter.metrics();
}

describe.skipIf(!binaries.promtool)(needs('promtool', 'promtool check metrics'), () => {
  it.each([
    ['an empty fleet', () => new HandFleet()],
    [
      'a mixed fleet with hostile names, KMS hosts and alerts',
      () => {
        const f = new HandFleet();
        f.machinesList = [
          machine({ hostname: 'a"b\\c\nd', group: 'Site "A"', lastReportAt: NOW, products: [windowsProduct({ licenseStatus: 2, graceExpiresAt: NOW + DAY_MS })] }),
          machine({ group: 'branch', products: [windowsProduct({ channel: 'mak' })] }),
          machine({ group: 'branch', products: [] }),
        ];
        f.hosts = [kmsHost({ id: 'kms01.contoso.com', currentCount: 12, clientOsDependents: 12, forecastBelow25At: NOW + DAY_MS })];
        f.tallies = [{ rule: 'KmsCountBelowThreshold', severity: 'warning', state: 'new', count: 1 }];
        return f;
      },
    ],
  ])('reports nothing for %s', async (_what, build) => {
    const text = await exposition(build());
    expect(text).toContain('process_resident_memory_bytes');
    const r = run(binaries.promtool!, ['check', 'metrics'], { input: text });
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('does complain about a badly named metric (the check is live)', () => {
    const r = run(binaries.promtool!, ['check', 'metrics'], { input: '# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n' });
    expect(r.status).not.toBe(0);
  });
});
