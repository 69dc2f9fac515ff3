import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share the machine's PostgreSQL and spawn processes: 2 cores, keep it modest.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
