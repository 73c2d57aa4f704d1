/**
 * The alert configuration file: rule thresholds globally and per group. Group entries are laid over the global
 * entry of the same rule, then each result is checked with the rule's own schema (defaults from the catalogue), so a
 * bad value anywhere stops start-up with a one-line reason naming where it is.
 *
 * {
 *   "rules":  [ { "rule": "GraceExpiring", "warningDays": 21 } ],
 *   "groups": { "branch-lyon": [ { "rule": "KmsIdle", "minIdleHours": 72 } ] }
 * }
 */
import { z } from 'zod';
import { describeIssues } from '../../shared/protocol.js';
import { RULE_NAMES, type RuleName } from './model.js';
import type { ByGroup } from './rule-definition.js';
import { RuleConfig, RULES } from './rules/index.js';

const Entry = z.looseObject({ rule: z.enum(RULE_NAMES) });
const AlertSettingsFile = z.strictObject({
  rules: z.array(Entry).default([]),
  groups: z.record(z.string().min(1), z.array(Entry)).default({}),
});

export interface AlertSettings {
  forRule<C = RuleConfig>(name: RuleName): ByGroup<C>;
}

export class AlertSettingsError extends Error {}

/** Parses and checks a configuration (already JSON-decoded); throws AlertSettingsError with a one-line reason. */
export function parseAlertSettings(input: unknown): AlertSettings {
  const file = AlertSettingsFile.safeParse(input ?? {});
  if (!file.success) throw new AlertSettingsError(`alert settings: ${describeIssues(file.error).summary}`);
  const global = new Map<RuleName, Record<string, unknown>>();
  for (const [i, e] of file.data.rules.entries()) {
    if (global.has(e.rule)) throw new AlertSettingsError(`alert settings: rules[${i}]: ${e.rule} is configured twice`);
    global.set(e.rule, e);
  }
  const resolve = (raw: Record<string, unknown>, where: string): RuleConfig => {
    const r = RuleConfig.safeParse(raw);
    if (!r.success) throw new AlertSettingsError(`alert settings: ${where}: ${describeIssues(r.error).summary}`);
    return Object.freeze(r.data);
  };
  const base = new Map<RuleName, RuleConfig>();
  for (const rule of RULES) base.set(rule.name, resolve({ ...(global.get(rule.name) ?? {}), rule: rule.name }, `rules.${rule.name}`));
  const perGroup = new Map<string, Map<RuleName, RuleConfig>>();
  for (const [group, entries] of Object.entries(file.data.groups)) {
    const m = new Map<RuleName, RuleConfig>();
    for (const [i, e] of entries.entries()) {
      m.set(e.rule, resolve({ ...(global.get(e.rule) ?? {}), ...e }, `groups.${group}[${i}]`));
    }
    perGroup.set(group, m);
  }
  return {
    forRule<C>(name: RuleName): ByGroup<C> {
      return { forGroup: (group: string) => (perGroup.get(group)?.get(name) ?? base.get(name)) as C };
    },
  };
}

/** The catalogue's defaults for every rule and group. */
export function defaultAlertSettings(): AlertSettings {
  return parseAlertSettings({});
}
