import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests bind real ports and SQLite files; two cores here, so keep the pool small.
    maxWorkers: 2,
  },
});
