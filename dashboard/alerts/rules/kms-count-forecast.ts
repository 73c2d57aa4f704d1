/**
 * KmsCountForecast: the host's count will fall below its threshold within N days (default 7) as clients that stopped
 * renewing age out of its 30-day window. Fires only while the count is still at or above the threshold today (below
 * it, KmsCountBelowThreshold speaks). Volume Office's own count (Office requests only) is forecast apart against 5.
 */
import { z } from 'zod';
import { MS } from '../../../shared/kms-rules.js';
import { forecastForHost, hasOffice, type KmsCountForecast } from '../../forecast/kms-count-forecast.js';
import { agentNow } from '../agent-time.js';
import { canonicalHostName } from '../host-names.js';
import { clientOsDependsOn } from '../kms-host-policy.js';
import type { Finding, FleetView, KmsHostView } from '../model.js';
import type { ByGroup } from '../rule-definition.js';

export const KmsCountForecastConfig = z.strictObject({
  rule: z.literal('KmsCountForecast'),
  enabled: z.boolean().default(true),
  withinDays: z.number().positive().default(7),
});
export type KmsCountForecastConfig = z.infer<typeof KmsCountForecastConfig>;

export function evaluate(state: FleetView, now: number, config: ByGroup<KmsCountForecastConfig>): Finding[] {
  const out: Finding[] = [];
  for (const h of state.kmsHosts) {
    const c = config.forGroup(h.group);
    if (h.retired || !c.enabled) continue;
    const at = agentNow(h, now);
    const clientOs = clientOsDependsOn(state, h, at);
    const windows = forecastForHost(state, h, at, { horizonDays: Math.ceil(c.withinDays) });
    // Judge against 25 only when client OS machines need it, as KmsCountBelowThreshold does.
    const w = findingOf(h, windows, at, c, (threshold) => clientOs || threshold < 25);
    if (w) out.push(w);
    if (hasOffice(h)) {
      const o = findingOf(h, forecastForHost(state, h, at, { horizonDays: Math.ceil(c.withinDays), application: 'office' }), at, c, () => true);
      if (o) out.push(o);
    }
  }
  return out;
}

/** The first crossing of a judged threshold within the horizon, as a finding, or null. */
function findingOf(h: KmsHostView, f: KmsCountForecast, at: number, c: KmsCountForecastConfig, judged: (threshold: number) => boolean): Finding | null {
  const crossing = f.crossings.filter((x) => judged(x.threshold)).find((x) => !x.alreadyBelow && x.at !== null && x.at - at <= c.withinDays * MS.DAY);
  if (!crossing || crossing.at === null) return null;
  const office = f.application === 'office';
  const when = new Date(crossing.at).toISOString();
  const names = crossing.causedBy.map((x) => x.clientFqdn);
  return {
    rule: 'KmsCountForecast',
    severity: 'warning',
    key: `KmsCountForecast|kms-host:${h.hostId}|${office ? 'office|' : ''}${crossing.threshold}`,
    subject: { kind: 'kms-host', id: h.hostId, name: h.hostname },
    group: h.group,
    kmsHost: canonicalHostName(h.hostname),
    machines: crossing.causedBy.map((x) => ({
      machineId: x.cmid,
      hostname: x.clientFqdn,
      detail: `last request ${new Date(x.lastSeenAt).toISOString()}, leaves the count ${new Date(x.agesOutAt).toISOString()}`,
    })),
    summary: `${h.hostname}: ${office ? 'Office count' : 'count'} will fall below ${crossing.threshold} on ${when} as ${names.length + crossing.unnamedCausing} client(s) age out`,
    knowledge: {
      meaning: office
        ? `From ${when} the host will have seen fewer than ${crossing.threshold} distinct volume Office clients in 30 days (Office's own count); from then on Office cannot activate or renew against it.`
        : `From ${when} the host will have seen fewer than ${crossing.threshold} distinct clients in 30 days; from then on machines that need ${crossing.threshold} cannot activate or renew.`,
      cause: `Clients stopped asking this host (retired, switched off, moved to another host, re-imaged): ${names.slice(0, 10).join(', ')}${names.length > 10 ? ` and ${names.length - 10} more` : ''}${crossing.unnamedCausing ? `, plus ${crossing.unnamedCausing} client(s) seen before vawatch watched the host` : ''}.`,
      action:
        'Bring more clients onto this host before that date (or confirm the decline is intended and plan MAK / AD-based activation for what remains).',
      commands: [
        "Get-WinEvent -FilterHashtable @{LogName='Key Management Service'; Id=12290} | Group-Object { $_.Properties[3].Value }",
        'cscript //nologo %windir%\\system32\\slmgr.vbs /dlv',
      ],
    },
  };
}
