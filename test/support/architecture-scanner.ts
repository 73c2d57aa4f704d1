/**
 * The dependency-direction check behind test/architecture.test.ts: finds every import / export-from / dynamic import /
 * require specifier of a TypeScript source (TypeScript's own pre-processor, so comments and strings do not count) and
 * judges it against the folder rules of the design.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/** Packages that only run on Node (servers, native modules, build tools): not for shared/ or the browser. */
export const NODE_ONLY_PACKAGES = [
  'better-sqlite3',
  'express',
  'socket.io',
  'node-cron',
  'prom-client',
  'tsx',
  'esbuild',
  'playwright-core',
] as const;

export interface SourceFile {
  /** Path from the repository root, with forward slashes: `shared/protocol.ts`. */
  path: string;
  source: string;
}

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

/** The module specifiers a source imports, re-exports, imports dynamically or requires. */
export function importSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const BUILTINS = new Set(builtinModules);

/** True for `node:*`, a Node builtin (`fs`, `fs/promises`, `path`…) or a Node-only package. */
export function isNodeOnly(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true;
  if (BUILTINS.has(specifier) || BUILTINS.has(packageName(specifier))) return true;
  return (NODE_ONLY_PACKAGES as readonly string[]).includes(packageName(specifier));
}

/** The repository path a relative specifier points at, or null for a package / an absolute path. */
function resolveRelative(file: string, specifier: string): string | null {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null;
  return path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
}

function inFolder(p: string, folder: string): boolean {
  return p === folder || p.startsWith(`${folder}/`);
}

interface Rule {
  /** Files this rule applies to. */
  from: string;
  /** What the rule says, for the failure message. */
  says: string;
  forbiddenFolders: string[];
  /** Folders inside a forbidden one that stay allowed. */
  allowedFolders?: string[];
  noNodeOnly: boolean;
}

const RULES: Rule[] = [
  { from: 'shared', says: 'shared/ imports nothing from agent/, dashboard/, platform/ and nothing Node-only', forbiddenFolders: ['agent', 'dashboard', 'platform'], noNodeOnly: true },
  { from: 'agent', says: 'agent/ never imports dashboard/', forbiddenFolders: ['dashboard'], noNodeOnly: false },
  { from: 'dashboard', says: 'dashboard/ never imports agent/', forbiddenFolders: ['agent'], noNodeOnly: false },
  { from: 'platform', says: 'platform/ never imports agent/ or dashboard/', forbiddenFolders: ['agent', 'dashboard'], noNodeOnly: false },
  {
    from: 'dashboard/web/src',
    says: 'browser code (dashboard/web/src/) imports only shared/, itself and browser packages, nothing Node-only',
    forbiddenFolders: ['agent', 'platform', 'dashboard'],
    allowedFolders: ['dashboard/web/src'],
    noNodeOnly: true,
  },
];

/** Every import of the given files that breaks a dependency rule. */
export function findViolations(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    const rules = RULES.filter((r) => inFolder(file.path, r.from));
    if (rules.length === 0) continue;
    for (const specifier of importSpecifiers(file.source)) {
      const target = resolveRelative(file.path, specifier);
      for (const rule of rules) {
        const badFolder =
          target !== null &&
          rule.forbiddenFolders.some((f) => inFolder(target, f)) &&
          !(rule.allowedFolders ?? []).some((f) => inFolder(target, f));
        const badNode = target === null && rule.noNodeOnly && isNodeOnly(specifier);
        if (badFolder || badNode) out.push({ file: file.path, specifier, rule: rule.says });
      }
    }
  }
  return out;
}

/** One line per violation: `shared/x.ts imports "node:fs" (shared/ imports nothing … Node-only)`. */
export function describeViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.file} imports "${v.specifier}" (${v.rule})`).join('\n');
}
