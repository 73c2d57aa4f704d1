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
  /** What was configured: every rule's effective global entry (defaults filled in) and the group entries as given. */
  document(): AlertSettingsDocument;
}

/** The configuration as the API shows it: `rules` complete (one entry per rule), `groups` only the overrides. */
export interface AlertSettingsDocument {
  rules: RuleConfig[];
  groups: Record<string, Array<{ rule: RuleName } & Record<string, unknown>>>;
}

export class AlertSettingsError extends Error {
  /** Where the bad value is (`groups.branch[0].minIdleHours`) and why, when it is one value. */
  readonly issues: Array<{ path: string; message: string }>;
  constructor(message: string, issues: Array<{ path: string; message: string }> = []) {
    super(message);
    this.issues = issues;
  }
}

/** Parses and checks a configuration (already JSON-decoded); throws AlertSettingsError with a one-line reason. */
export function parseAlertSettings(input: unknown): AlertSettings {
  const file = AlertSettingsFile.safeParse(input ?? {});
  if (!file.success) {
    const d = describeIssues(file.error);
    throw new AlertSettingsError(`alert settings: ${d.summary}`, d.issues);
  }
  const global = new Map<RuleName, Record<string, unknown>>();
  for (const [i, e] of file.data.rules.entries()) {
    if (global.has(e.rule)) {
      throw new AlertSettingsError(`alert settings: rules[${i}]: ${e.rule} is configured twice`, [{ path: `rules[${i}].rule`, message: `${e.rule} is configured twice` }]);
    }
    global.set(e.rule, e);
  }
  const resolve = (raw: Record<string, unknown>, where: string): RuleConfig => {
    const r = RuleConfig.safeParse(raw);
    if (!r.success) {
      const d = describeIssues(r.error);
      throw new AlertSettingsError(
        `alert settings: ${where}: ${d.summary.replace(/^\(body\): /, '')}`,
        d.issues.map((x) => ({ path: x.path && x.path !== '(body)' ? `${where}.${x.path}` : where, message: x.message })),
      );
    }
    return Object.freeze(r.data);
  };
  const base = new Map<RuleName, RuleConfig>();
  for (const rule of RULES) base.set(rule.name, resolve({ ...(global.get(rule.name) ?? {}), rule: rule.name }, `rules.${rule.name}`));
  const perGroup = new Map<string, Map<RuleName, RuleConfig>>();
  for (const [group, entries] of Object.entries(file.data.groups)) {
    const m = new Map<RuleName, RuleConfig>();
    for (const [i, e] of entries.entries()) {
      if (m.has(e.rule)) {
        const where = `groups.${group}[${i}]`;
        throw new AlertSettingsError(`alert settings: ${where}: ${e.rule} is configured twice for ${group}`, [{ path: `${where}.rule`, message: `${e.rule} is configured twice` }]);
      }
      m.set(e.rule, resolve({ ...(global.get(e.rule) ?? {}), ...e }, `groups.${group}[${i}]`));
    }
    perGroup.set(group, m);
  }
  return {
    forRule<C>(name: RuleName): ByGroup<C> {
      return { forGroup: (group: string) => (perGroup.get(group)?.get(name) ?? base.get(name)) as C };
    },
    document() {
      // Copies, so a caller cannot change what the rules read.
      return {
        rules: [...base.values()].map((c) => ({ ...c })),
        groups: Object.fromEntries(Object.entries(file.data.groups).map(([g, es]) => [g, es.map((e) => ({ ...e }))])),
      };
    },
  };
}

/** The catalogue's defaults for every rule and group. */
export function defaultAlertSettings(): AlertSettings {
  return parseAlertSettings({});
}
