import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  describeViolations,
  findViolations,
  importSpecifiers,
  isNodeOnly,
  type SourceFile,
} from './support/architecture-scanner.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCANNED = ['shared', 'platform', 'agent', 'dashboard'];

function tsFilesUnder(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  let entries;
  try {
    entries = readdirSync(abs, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : tsFilesUnder(rel);
    return /\.(ts|tsx|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

describe('dependency direction of the repository', () => {
  const files: SourceFile[] = SCANNED.flatMap(tsFilesUnder).map((p) => ({ path: p, source: readFileSync(path.join(ROOT, p), 'utf8') }));

  it('finds the source files it is meant to check', () => {
    expect(files.some((f) => f.path === 'shared/protocol.ts')).toBe(true);
    expect(files.some((f) => f.path === 'platform/cron-scheduler.ts')).toBe(true);
  });

  it('shared/ → nothing Node-only, no agent/ dashboard/ platform/; agent/ ↮ dashboard/; platform/ → neither', () => {
    const violations = findViolations(files);
    expect(describeViolations(violations)).toBe('');
  });
});

describe('the scanner itself (so the check can fail)', () => {
  it('finds static, type-only, re-export, side-effect, dynamic and require imports, but not comments or strings', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../agent/b.js';",
      "export * from 'node:fs';",
      "export { x } from 'express';",
      "import 'side-effect';",
      "const m = await import('better-sqlite3');",
      "const c = require('node-cron');",
      "// import z from 'commented-out';",
      "/* import y from 'block-comment'; */",
      "const s = \"import q from 'in-a-string'\";",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['./a.js', '../agent/b.js', 'node:fs', 'express', 'side-effect', 'better-sqlite3', 'node-cron']);
  });

  it.each([
    ['node:fs', true],
    ['fs', true],
    ['fs/promises', true],
    ['path', true],
    ['crypto', true],
    ['better-sqlite3', true],
    ['express', true],
    ['socket.io', true],
    ['node-cron', true],
    ['prom-client', true],
    ['tsx', true],
    ['esbuild', true],
    ['zod', false],
    ['chart.js', false],
    ['socket.io-client', false],
    ['@scope/fs', false],
  ])('%s is Node-only: %s', (specifier, nodeOnly) => {
    expect(isNodeOnly(specifier)).toBe(nodeOnly);
  });

  it.each<[string, string, string, boolean]>([
    ['shared/a.ts', "import { readFileSync } from 'node:fs';", 'node:fs', true],
    ['shared/a.ts', "import fs from 'fs';", 'fs', true],
    ['shared/events/a.ts', "import Database from 'better-sqlite3';", 'better-sqlite3', true],
    ['shared/a.ts', "import { Server } from 'socket.io';", 'socket.io', true],
    ['shared/a.ts', "export { x } from '../agent/x.js';", '../agent/x.js', true],
    ['shared/events/a.ts', "import { y } from '../../dashboard/server/y.js';", '../../dashboard/server/y.js', true],
    ['shared/a.ts', "import { createCronScheduler } from '../platform/cron-scheduler.js';", '../platform/cron-scheduler.js', true],
    ['shared/a.ts', "const m = await import('node:path');", 'node:path', true],
    ['agent/sim/a.ts', "import { x } from '../../dashboard/server/x.js';", '../../dashboard/server/x.js', true],
    ['dashboard/server/a.ts', "import { x } from '../../agent/x.js';", '../../agent/x.js', true],
    ['platform/a.ts', "import { x } from '../agent/x.js';", '../agent/x.js', true],
    ['platform/a.ts', "import { x } from '../dashboard/x.js';", '../dashboard/x.js', true],
    ['dashboard/web/src/a.ts', "import { readFile } from 'node:fs/promises';", 'node:fs/promises', true],
    ['dashboard/web/src/views/a.ts', "import { x } from '../../../server/x.js';", '../../../server/x.js', true],
    // allowed
    ['shared/a.ts', "import { z } from 'zod';", '', false],
    ['shared/events/a.ts', "import { x } from '../protocol.js';", '', false],
    ['shared/a.ts', "import { io } from 'socket.io-client';", '', false],
    ['agent/a.ts', "import fs from 'node:fs'; import { x } from '../shared/x.js'; import { y } from '../platform/y.js';", '', false],
    ['dashboard/server/a.ts', "import express from 'express'; import { x } from '../../shared/x.js';", '', false],
    ['dashboard/web/src/a.ts', "import { Chart } from 'chart.js'; import { io } from 'socket.io-client'; import { x } from '../../../shared/x.js';", '', false],
    ['dashboard/web/src/views/a.ts', "import { x } from '../lib/x.js';", '', false],
    ['dashboard/web/build.ts', "import { build } from 'esbuild';", '', false],
    ['platform/a.ts', "import cron from 'node-cron'; import { x } from '../shared/x.js';", '', false],
    ['test/a.test.ts', "import { x } from '../agent/x.js'; import { y } from '../dashboard/y.js';", '', false],
  ])('%s: %s → violation: %s', (file, source, specifier, bad) => {
    const v = findViolations([{ path: file, source }]);
    if (bad) {
      expect(v.map((x) => x.specifier)).toEqual([specifier]);
      expect(describeViolations(v)).toContain(`${file} imports "${specifier}"`);
    } else {
      expect(v).toEqual([]);
    }
  });
});
