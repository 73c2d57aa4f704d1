/**
 * The rule registry: every rule of the catalogue, which changes touch it (ingest evaluates only those) and which are
 * time-based (re-checked on a schedule because the passing of time alone changes their answer).
 */
import { z } from 'zod';
import type { RuleName } from '../model.js';
import type { RuleDefinition } from '../rule-definition.js';
import * as activationFailing from './activation-failing.js';
import * as agentStale from './agent-stale.js';
import * as clientInNotification from './client-in-notification.js';
import * as clientUnlicensed from './client-unlicensed.js';
import * as duplicateCmid from './duplicate-client-machine-id.js';
import * as graceExpiring from './grace-expiring.js';
import * as kmsCountBelow from './kms-count-below-threshold.js';
import * as kmsCountForecast from './kms-count-forecast.js';
import * as kmsDns from './kms-dns-publishing-failed.js';
import * as kmsIdle from './kms-idle.js';
import * as kmsRenewalOverdue from './kms-renewal-overdue.js';
import * as kmsServiceFailing from './kms-service-failing.js';
import * as rearmExhausted from './rearm-exhausted.js';

/** Any rule's configuration: a discriminated union on `rule`. */
export const RuleConfig = z.discriminatedUnion('rule', [
  clientInNotification.ClientInNotificationConfig,
  clientUnlicensed.ClientUnlicensedConfig,
  graceExpiring.GraceExpiringConfig,
  kmsRenewalOverdue.KmsRenewalOverdueConfig,
  kmsCountBelow.KmsCountBelowThresholdConfig,
  kmsCountForecast.KmsCountForecastConfig,
  kmsIdle.KmsIdleConfig,
  kmsDns.KmsDnsPublishingFailedConfig,
  kmsServiceFailing.KmsServiceFailingConfig,
  activationFailing.ActivationFailingConfig,
  duplicateCmid.DuplicateClientMachineIdConfig,
  rearmExhausted.RearmExhaustedConfig,
  agentStale.AgentStaleConfig,
]);
export type RuleConfig = z.infer<typeof RuleConfig>;

function def<C extends RuleConfig>(d: RuleDefinition<C>): RuleDefinition {
  return d as unknown as RuleDefinition;
}

export const RULES: readonly RuleDefinition[] = [
  def({ name: 'ClientInNotification', schema: clientInNotification.ClientInNotificationConfig, evaluate: clientInNotification.evaluate, touchedBy: ['snapshot', 'retired'], timeBased: false, scope: 'machine' }),
  def({ name: 'ClientUnlicensed', schema: clientUnlicensed.ClientUnlicensedConfig, evaluate: clientUnlicensed.evaluate, touchedBy: ['snapshot', 'retired'], timeBased: false, scope: 'machine' }),
  def({ name: 'GraceExpiring', schema: graceExpiring.GraceExpiringConfig, evaluate: graceExpiring.evaluate, dueAt: graceExpiring.dueAt, touchedBy: ['snapshot', 'retired'], timeBased: true, scope: 'machine' }),
  def({ name: 'KmsRenewalOverdue', schema: kmsRenewalOverdue.KmsRenewalOverdueConfig, evaluate: kmsRenewalOverdue.evaluate, dueAt: kmsRenewalOverdue.dueAt, touchedBy: ['snapshot', 'retired'], timeBased: true, scope: 'machine' }),
  def({ name: 'KmsCountBelowThreshold', schema: kmsCountBelow.KmsCountBelowThresholdConfig, evaluate: kmsCountBelow.evaluate, touchedBy: ['snapshot', 'events', 'retired'], timeBased: true, scope: 'fleet' }),
  def({ name: 'KmsCountForecast', schema: kmsCountForecast.KmsCountForecastConfig, evaluate: kmsCountForecast.evaluate, touchedBy: ['snapshot', 'events', 'retired'], timeBased: true, scope: 'fleet' }),
  def({ name: 'KmsIdle', schema: kmsIdle.KmsIdleConfig, evaluate: kmsIdle.evaluate, touchedBy: ['events', 'retired'], timeBased: true, scope: 'fleet' }),
  def({ name: 'KmsDnsPublishingFailed', schema: kmsDns.KmsDnsPublishingFailedConfig, evaluate: kmsDns.evaluate, touchedBy: ['events', 'retired'], timeBased: false, scope: 'fleet' }),
  // Time-based so that a heartbeat from the host (a later report showing the service healthy) clears it at the next
  // minute tick; a heartbeat does not start a fleet pass of its own.
  def({ name: 'KmsServiceFailing', schema: kmsServiceFailing.KmsServiceFailingConfig, evaluate: kmsServiceFailing.evaluate, touchedBy: ['snapshot', 'events', 'retired'], timeBased: true, scope: 'fleet' }),
  def({ name: 'ActivationFailing', schema: activationFailing.ActivationFailingConfig, evaluate: activationFailing.evaluate, dueAt: activationFailing.dueAt, touchedBy: ['events', 'snapshot', 'retired'], timeBased: true, scope: 'machine' }),
  def({ name: 'DuplicateClientMachineId', schema: duplicateCmid.DuplicateClientMachineIdConfig, evaluate: duplicateCmid.evaluate, touchedBy: ['snapshot', 'events', 'retired'], timeBased: true, scope: 'fleet' }),
  def({ name: 'RearmExhausted', schema: rearmExhausted.RearmExhaustedConfig, evaluate: rearmExhausted.evaluate, touchedBy: ['snapshot', 'retired'], timeBased: false, scope: 'machine' }),
  def({ name: 'AgentStale', schema: agentStale.AgentStaleConfig, evaluate: agentStale.evaluate, dueAt: agentStale.dueAt, touchedBy: ['report', 'retired'], timeBased: true, scope: 'machine' }),
];

export function ruleNamed(name: RuleName): RuleDefinition {
  const r = RULES.find((x) => x.name === name);
  if (!r) throw new Error(`no rule named ${name}`);
  return r;
}
