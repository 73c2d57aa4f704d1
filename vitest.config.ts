import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for what another process or the browser does; its 1 s default is too short on a loaded
    // machine (a deadline bounds a hang, it is no SLA). A test that measures latency says so with its own timeout.
    expect: { poll: { timeout: 15_000 } },
    // Integration tests bind real ports and SQLite files; two cores here, so keep the pool small.
    maxWorkers: 2,
  },
});
