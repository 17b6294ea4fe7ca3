import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:unit`: the fast loop while editing (under 90 s on a 2-core machine). It leaves out
// whole Squidship processes, the dashboard's browser tests, uploads through s3rver and fault proxies, the aws CLI, and the
// memory tests that stream 100 MB; `npm test` runs everything, as CI does. Names are globs so
// the list holds when a folder moves.
export default mergeConfig(base, defineConfig({
  test: {
    exclude: [
      'test/process/**',
      // The dashboard in Chromium: a browser per file and real deliveries.
      'test/web/**',
      'test/faults/**',
      'test/main.test.ts',
      '**/embedded-server.test.ts',
      '**/upload.test.ts',
      '**/upload-faults.test.ts',
      '**/probe.test.ts',
      '**/worker-lifecycle.test.ts',
      '**/delivery-failures.test.ts',
      '**/delivery-csv.test.ts',
      '**/download.test.ts',
      '**/test-s3.test.ts',
      '**/results-streaming.test.ts',
      '**/run-csv-stream.test.ts',
    ],
  },
}));
