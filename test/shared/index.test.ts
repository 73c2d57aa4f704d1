import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as shared from '../../shared/index.js';

const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared');
const modules = ['', 'events/'].flatMap((dir) =>
  readdirSync(path.join(SHARED, dir))
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => `${dir}${f}`),
);

describe('shared/index.ts re-exports the public API of shared/', () => {
  it('sees the modules it should', () => {
    expect(modules).toEqual(expect.arrayContaining(['protocol.ts', 'hresult.ts', 'events/parse-event-record.ts']));
  });

  it.each(modules)('everything %s exports is reachable from shared/index.ts', async (file) => {
    const mod = (await import(/* @vite-ignore */ path.join(SHARED, file))) as Record<string, unknown>;
    // events/event-fields.ts holds parser internals; its public part is re-exported by events/index.ts by name.
    const names = Object.keys(mod).filter((n) => !(file === 'events/event-fields.ts' && !['readEnvelope', 'propertyValues', 'valueText'].includes(n)));
    const missing = names.filter((n) => (shared as Record<string, unknown>)[n] !== mod[n]);
    expect(missing, `add \`export * from './${file.replace(/\.ts$/, '.js')}'\` (or the names) to shared/index.ts`).toEqual([]);
  });
});
