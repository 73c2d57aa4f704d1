/** Hand-built fleets for the metrics tests: a MetricsSource whose machines, KMS hosts and alerts a test sets directly. */
import type { AlertTally, KmsHostFacts, MachineFacts, MetricsSource, ProductFacts } from '../../dashboard/metrics/metrics-source.js';

export const DAY_MS = 86_400_000;

export function windowsProduct(p: Partial<ProductFacts> = {}): ProductFacts {
  return {
    name: 'Windows(R), Enterprise edition',
    channel: 'kms-client',
    licenseStatus: 1,
    graceExpiresAt: null,
    primary: true,
    ...p,
  };
}

let n = 0;
export function machine(m: Partial<MachineFacts> & { products?: ProductFacts[] } = {}): MachineFacts {
  n++;
  const products = m.products ?? [windowsProduct()];
  const primary = products.find((p) => p.primary);
  return {
    machineId: `m-${n}`,
    hostname: `ws-${String(n).padStart(4, '0')}.contoso.com`,
    group: 'hq',
    status: primary?.licenseStatus ?? null,
    channel: primary?.channel ?? null,
    lastReportAt: null,
    ...m,
    products,
  };
}

export function kmsHost(h: Partial<KmsHostFacts> & { id: string }): KmsHostFacts {
  return {
    currentCount: null,
    clientOsDependents: 0,
    serverOsDependents: 0,
    forecastBelow25At: null,
    forecastBelow5At: null,
    lastRequestAt: null,
    ...h,
  };
}

/** A MetricsSource over plain arrays; mutate `machines` and call the exporter's machineChanged like the collector would. */
export class HandFleet implements MetricsSource {
  machinesList: MachineFacts[] = [];
  hosts: KmsHostFacts[] = [];
  tallies: AlertTally[] = [];
  extraGroups: string[] = [];
  constructor(readonly staleAfterMs = 3 * 3_600_000) {}
  machines(): Iterable<MachineFacts> {
    return this.machinesList;
  }
  machineCount(): number {
    return this.machinesList.length;
  }
  groups(): Iterable<string> {
    return new Set([...this.machinesList.map((m) => m.group), ...this.extraGroups]);
  }
  kmsHosts(): Iterable<KmsHostFacts> {
    return this.hosts;
  }
  alertTallies(): Iterable<AlertTally> {
    return this.tallies;
  }
}
