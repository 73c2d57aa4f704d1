/**
 * `vawatch-agent configure`: writes the agent's JSON configuration file from flags, for installers. The MSI runs it
 * (as SYSTEM) with its public properties (COLLECTOR, ENROLMENT_SECRET, GROUP, …); an empty value means "not given",
 * so an upgrade or a repair without properties keeps what the file already says. Each value is checked with the same
 * schema `run` uses, so a bad property fails the install instead of a service that cannot start.
 */
import { OPTIONS, type OptionKey } from './config.js';

/** The options an installer may set: flag → key of the JSON file (the keys `run --config` reads). */
export const CONFIGURE_FLAGS = {
  '--collector': 'collector',
  '--secret': 'enrolmentSecret',
  '--group': 'group',
  '--powershell': 'powershell',
  '--heartbeat-seconds': 'heartbeatSeconds',
} as const satisfies Record<string, OptionKey>;

export class ConfigureError extends Error {}

export interface ConfigureRequest {
  /** The JSON file to write. */
  file?: string;
  values: Partial<Record<OptionKey, string>>;
}

export function parseConfigureArgs(argv: readonly string[]): ConfigureRequest {
  const values: Partial<Record<OptionKey, string>> = {};
  let file: string | undefined;
  const args = [...argv];
  while (args.length) {
    const a = args.shift()!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : args.shift();
    if (value === undefined) throw new ConfigureError(`${name} needs a value`);
    if (name === '--file') {
      if (value !== '') file = value;
      continue;
    }
    const key = (CONFIGURE_FLAGS as Record<string, OptionKey>)[name];
    if (!key) throw new ConfigureError(`unknown option ${name} for "configure" (see --help)`);
    // An MSI passes every property, set or not: an empty one is not a value.
    if (value.trim() !== '') values[key] = value.trim();
  }
  return file === undefined ? { values } : { file, values };
}

/** The file's new content: the existing options, overridden by the given ones, each validated. */
export function mergeAgentFile(existingText: string | undefined, values: Partial<Record<OptionKey, string>>, fileName: string): Record<string, unknown> {
  let existing: Record<string, unknown> = {};
  if (existingText !== undefined && existingText.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(existingText.replace(/^\uFEFF/, ''));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a JSON object');
      existing = parsed as Record<string, unknown>;
    } catch (e) {
      throw new ConfigureError(`${fileName}: not a JSON object of options (${(e as Error).message}); fix or delete it`);
    }
  }
  const out: Record<string, unknown> = { ...existing };
  for (const [key, raw] of Object.entries(values) as Array<[OptionKey, string]>) {
    const r = OPTIONS[key].schema.safeParse(raw);
    const flag = Object.entries(CONFIGURE_FLAGS).find(([, k]) => k === key)![0];
    if (!r.success) throw new ConfigureError(`${flag}: ${r.error.issues[0]?.message ?? 'invalid value'}`);
    out[key] = r.data;
  }
  if (typeof out.collector !== 'string' || out.collector === '') {
    throw new ConfigureError(`${fileName} has no collector: give --collector URL (the MSI property COLLECTOR)`);
  }
  return out;
}

export function configureHelpText(defaultFile: string): string {
  return [
    'usage: vawatch-agent configure --collector URL [--secret S] [--group G] [--powershell P] [--heartbeat-seconds N] [--file FILE]',
    '',
    "Writes the agent's configuration file (what `run --config FILE` reads), keeping the options it already has that",
    'are not given (an empty value counts as not given). The MSI runs it with its properties. On Windows the folder',
    'of the file is restricted to SYSTEM and Administrators (it holds the enrolment secret).',
    '',
    `  --file FILE   default: ${defaultFile}`,
    ...Object.entries(CONFIGURE_FLAGS).map(([flag, key]) => `  ${flag} VALUE   file key ${key}: ${OPTIONS[key].help}`),
  ].join('\n');
}
