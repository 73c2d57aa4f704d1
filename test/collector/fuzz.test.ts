import { describe, expect, it } from 'vitest';
import type { CollectorPlugin } from '../../dashboard/server/plugin.js';
import { runFuzz } from '../../fuzz/campaign.js';
import { ROUTES } from '../../fuzz/cases.js';

/**
 * The quick mode of `npm run fuzz` (fuzz/README.md): a few thousand generated hostile requests, seeded, against a real
 * collector over real HTTP. The full 100,000 run is `npm run fuzz`.
 */
describe('fuzzing the collector with hostile clients (quick mode)', () => {
  it('3,000 requests: each answered 2xx or a readable 4xx, never a 5xx or a dropped connection; refusals change nothing', async () => {
    const r = await runFuzz({ cases: 3000, seed: 20261202 });
    expect(r.failure?.message).toBeUndefined();
    expect(r).toMatchObject({ cases: 3000, serverErrors: 0, crashes: 0, stateChanges: 0 });
    expect(r.refusalsChecked).toBeGreaterThan(500);
    expect(r.fullDigests).toBeGreaterThan(0);
    // Every route was reached, refused something, and got bodies past validation: accepted, or (acting on an alert,
    // a machine or a user name once only, whichever request comes first) a conflict.
    for (const route of ROUTES) {
      const statuses = Object.keys(r.byRoute[route] ?? {}).map(Number);
      expect(statuses.some((s) => s >= 400), `${route} refused nothing`).toBe(true);
      expect(statuses.some((s) => s < 300 || s === 409), `${route} accepted nothing`).toBe(true);
    }
  }, 180_000);

  it('finds a planted 500 and prints the shrunk failing requests', async () => {
    const bomb: CollectorPlugin = {
      name: 'planted-bug',
      setup: (ctx) =>
        void ctx.ingest.onRefusal((code) => {
          if (code === 'invalid-batch') throw new Error('planted bug');
        }),
    };
    const r = await runFuzz({ cases: 1000, seed: 5, concurrency: 8, plugins: [bomb] });
    expect(r.serverErrors).toBeGreaterThan(0);
    expect(r.failure?.message).toMatch(/^500 server error on POST \/api\/v1\/reports as agent/);
    // The shrunk batch: only the failing requests are printed, each with its answer.
    const lines = r.failure!.message.split('\n');
    expect(lines.every((l) => l.startsWith('500 server error on POST /api/v1/reports') || l.startsWith('  answer: 500 {"error":{"code":"internal"'))).toBe(true);
    expect(r.failure?.replay).toMatch(/^npm run fuzz -- --seed 5 --path [\d:]+ --cases 1000 --concurrency 8$/);
  }, 180_000);

  it('finds a refused request that writes to the store', async () => {
    const leak: CollectorPlugin = {
      name: 'planted-write',
      migrations: [{ version: 1, description: 'planted leak', up: 'CREATE TABLE planted_leak (code TEXT NOT NULL)' }],
      setup: (ctx) => {
        const insert = ctx.db.prepare('INSERT INTO planted_leak (code) VALUES (?)');
        ctx.ingest.onRefusal((code) => void (code === 'bad-token' && insert.run(code)));
      },
    };
    const r = await runFuzz({ cases: 1000, seed: 6, concurrency: 8, plugins: [leak] });
    expect(r.stateChanges).toBe(1);
    expect(r.failure?.message).toMatch(/^the store changed .* although every request was refused/);
    expect(r.failure?.message).toContain('POST /api/v1/reports as bad-token');
  }, 180_000);
});
