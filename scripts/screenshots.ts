// `npm run screenshots`: PNGs of every dashboard page, desktop (1280 px) and phone (375 px), into
// docs/screenshots/, the ones the README shows. Runs the browser-test fixture (a real server, a
// loopback s3rver, a worker and Debian's Chromium) and fills it through the API first.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { pollUntil } from '../test/helpers/poll-until.js';
import { startDashboardFixture, type DashboardFixture } from '../test/web/dashboard-fixture.js';

const OUT_DIR = join(import.meta.dirname, '..', 'docs', 'screenshots');
const WIDTHS = { desktop: 1280, phone: 375 } as const;

interface Seeded {
  squidId: string;
  deliveredRunId: string;
  failedRunId: string;
}

/** A squid delivered once to the embedded bucket and failed once on a missing one. */
async function seed(fixture: DashboardFixture): Promise<Seeded> {
  const { server } = fixture;
  const squidId = (await server.request('POST', '/v1/squids', { name: 'product prices' })).body.id as string;
  const sample = 'sample-results.ndjson';
  const rows = await (await fetch(`${server.url}/${sample}`)).text();
  const runOnce = async (bucket: string) => {
    await server.request('POST', `/v1/delivery?squid=${squidId}`, { s3_fields: { bucket, is_active: true, target_path: 'exports' } });
    const runId = (await server.request('POST', '/v1/runs', { squid: squidId })).body.id as string;
    await server.request('POST', `/v1/runs/${runId}/results`, rows, { 'content-type': 'application/x-ndjson' });
    await server.request('POST', `/v1/runs/${runId}/complete`);
    await pollUntil(async () => (await server.request('GET', `/v1/runs/${runId}`)).body.status === 'done', { timeoutMs: 30_000, what: `run ${runId} done` });
    return runId;
  };
  const failedRunId = await runOnce('no-such-bucket');
  const deliveredRunId = await runOnce('my-bucket');
  return { squidId, deliveredRunId, failedRunId };
}

async function shoot(page: Page, name: string, width: keyof typeof WIDTHS): Promise<void> {
  await page.evaluate(() => document.fonts.ready);
  const path = join(OUT_DIR, `${name}-${width}.png`);
  await page.screenshot({ path, fullPage: true });
  process.stdout.write(`${path}\n`);
}

async function shootAll(fixture: DashboardFixture, seeded: Seeded, width: keyof typeof WIDTHS): Promise<void> {
  const { page } = await fixture.openPage({ width: WIDTHS[width], height: width === 'phone' ? 740 : 860 });
  const { url } = fixture.server;
  await page.goto(`${url}/`);
  await shoot(page, 'sign-in', width);
  const empty = await fixture.server.createAccountWithToken(`empty ${width}`);
  await fixture.signIn(page, empty.token);
  await page.getByRole('heading', { name: 'Welcome to Squidship' }).waitFor();
  await shoot(page, 'first-run', width);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await fixture.signIn(page);
  await page.getByText('s3: succeeded').waitFor();
  await shoot(page, 'squids', width);
  await page.goto(`${url}/#/squids/${seeded.squidId}`);
  await page.getByRole('heading', { name: 'Runs' }).waitFor();
  await page.locator('tbody tr').first().waitFor();
  await shoot(page, 'squid', width);
  await page.goto(`${url}/#/runs/${seeded.deliveredRunId}`);
  await page.locator('.delivery .badge.succeeded').waitFor();
  await page.getByRole('cell', { name: 'Blue widget' }).waitFor();
  await shoot(page, 'run-delivered', width);
  await page.goto(`${url}/#/runs/${seeded.failedRunId}`);
  await page.locator('.delivery .badge.failed').waitFor();
  await shoot(page, 'run-failed', width);
}

await mkdir(OUT_DIR, { recursive: true });
const fixture = await startDashboardFixture();
try {
  const seeded = await seed(fixture);
  for (const width of Object.keys(WIDTHS) as Array<keyof typeof WIDTHS>) await shootAll(fixture, seeded, width);
} finally {
  await fixture.close();
}
