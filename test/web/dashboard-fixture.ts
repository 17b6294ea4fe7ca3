// A whole Squidship for browser tests, all real: the dashboard built into a temp folder, an API
// server over a temp SQLite store whose default S3 endpoint is a loopback s3rver holding the
// embedded store's bucket (`my-bucket`), a delivery worker, and Debian's Chromium driven by
// playwright-core. Each page records its console errors, so a test can say there were none.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.mjs';
import { readObject } from '../../src/channels/s3/list-objects.js';
import type { DeliveryWorker } from '../../src/delivery/worker.js';
import { createDeliveryWorker } from '../../src/delivery/worker.js';
import { systemClock } from '../../src/domain/clock.js';
import pino from 'pino';
import { createTestConfig } from '../delivery/delivery-fixture.js';
import { s3TargetFor, startS3rver, type TestS3rver } from '../helpers/s3rver.js';
import { createTestChannels, startTestServer, type TestServer } from '../helpers/test-server.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const EMBEDDED_BUCKET = 'my-bucket';

/**
 * Why the browser tests cannot run here, or null. Without Chromium they are skipped with this
 * reason printed, except in CI (`CI` set), where a missing browser must fail the run.
 */
export function findBrowserSkipReason(): string | null {
  if (existsSync(CHROMIUM_PATH)) return null;
  if (process.env.CI) return null;
  return `${CHROMIUM_PATH} is absent (apt-get install chromium): dashboard browser tests skipped`;
}

export interface WatchedPage {
  page: Page;
  /** console.error messages and uncaught page errors, in order. */
  consoleErrors: string[];
}

export interface DashboardFixture {
  server: TestServer;
  s3: TestS3rver;
  browser: Browser;
  worker: DeliveryWorker;
  /** A fresh browser context (its own sessionStorage) and page, at `width` CSS pixels. */
  openPage(options?: { width?: number; height?: number }): Promise<WatchedPage>;
  /** Signs in through the form with the server's token. */
  signIn(page: Page, token?: string): Promise<void>;
  readBucketObject(key: string): Promise<Buffer>;
  close(): Promise<void>;
}

export async function startDashboardFixture(): Promise<DashboardFixture> {
  const webRoot = await mkdtemp(join(tmpdir(), 'squidship-web-'));
  await buildWeb({ outDir: webRoot, quiet: true });
  const s3 = await startS3rver({ buckets: [EMBEDDED_BUCKET] });
  const config = createTestConfig();
  const s3Defaults = { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true };
  const server = await startTestServer({ config, s3Defaults, webRoot });
  const worker = createDeliveryWorker({
    store: server.store,
    clock: systemClock,
    config,
    channels: createTestChannels(config, s3Defaults),
    workerId: 'dashboard-test-worker',
    logger: pino({ level: 'silent' }),
  });
  await worker.start();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
  const contexts: Array<{ close(): Promise<void> }> = [];
  return {
    server,
    s3,
    browser,
    worker,
    async openPage({ width = 1280, height = 900 } = {}) {
      const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
      contexts.push(context);
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      return { page, consoleErrors };
    },
    async signIn(page, token = server.token) {
      await page.goto(server.url + '/');
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    },
    readBucketObject: async (key) => (await readObject(s3TargetFor(s3.endpoint, EMBEDDED_BUCKET), key)).body,
    async close() {
      for (const context of contexts) await context.close();
      await browser.close();
      await worker.stop();
      await server.close();
      await s3.stop();
      await rm(webRoot, { recursive: true, force: true });
    },
  };
}
