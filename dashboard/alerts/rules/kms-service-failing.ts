/**
 * KmsServiceFailing: a KMS host's own log shows 12291 (the service failed to initialise) or 12292 (its renewal timer
 * failed) with no report from the host since, or its agent reports the licensing service stopped or the KMS port not
 * listening. Critical: the host answers no one. Clears when a later report shows the service running and listening.
 */
import { z } from 'zod';
import { canonicalHostName } from '../host-names.js';
import { kmsServiceFailingKnowledge, problemText, type KmsServiceProblem } from '../knowledge/kms-service-failing.js';
import type { Finding, FleetView, KmsHostView } from '../model.js';
import type { ByGroup } from '../rule-definition.js';

export const KmsServiceFailingConfig = z.strictObject({
  rule: z.literal('KmsServiceFailing'),
  enabled: z.boolean().default(true),
});
export type KmsServiceFailingConfig = z.infer<typeof KmsServiceFailingConfig>;

/** What is wrong with a host's service now, from its newest report and its unanswered failure event. */
export function problemsOf(h: KmsHostView): KmsServiceProblem[] {
  const out: KmsServiceProblem[] = [];
  const f = h.serviceFailure;
  if (f) out.push(f.kind === 'init' ? { kind: 'init-failure', hresult: f.hresult } : { kind: 'renewal-timer-failure', hresult: f.hresult });
  if (h.kmsService.serviceRunning === false) out.push({ kind: 'stopped' });
  else if (h.kmsService.listening === false) out.push({ kind: 'not-listening', port: h.kmsService.listeningPort || 1688 });
  return out;
}

export function evaluate(state: FleetView, _now: number, config: ByGroup<KmsServiceFailingConfig>): Finding[] {
  const out: Finding[] = [];
  for (const h of state.kmsHosts) {
    if (h.basis === 'clients' || h.retired || !config.forGroup(h.group).enabled) continue;
    const problems = problemsOf(h);
    if (problems.length === 0) continue;
    out.push({
      rule: 'KmsServiceFailing',
      severity: 'critical',
      key: `KmsServiceFailing|kms-host:${h.hostId}`,
      subject: { kind: 'kms-host', id: h.hostId, name: h.hostname },
      group: h.group,
      kmsHost: canonicalHostName(h.hostname),
      machines: [],
      summary: `${h.hostname}: ${problems.map(problemText).join('; ')}`,
      knowledge: kmsServiceFailingKnowledge(problems),
    });
  }
  return out;
}
