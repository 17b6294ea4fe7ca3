import { defineConfig } from 'vitest/config';

// Tests start real servers (HTTP, S3-compatible, PostgreSQL clients) and real SQLite files,
// so they get generous timeouts; no test waits on a timer, they poll conditions with deadlines.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
