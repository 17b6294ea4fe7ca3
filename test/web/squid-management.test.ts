// A squid's settings in a real browser: rename, export settings, delete behind a confirmation,
// and its runs paginated 20 to a page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBrowserSkipReason, startDashboardFixture, type DashboardFixture } from './dashboard-fixture.js';

const skipReason = findBrowserSkipReason();
if (skipReason !== null) console.log(skipReason);

describe.skipIf(skipReason !== null)('dashboard squid management', () => {
  let fixture: DashboardFixture;
  beforeAll(async () => {
    fixture = await startDashboardFixture();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('renames a squid, saves its export settings, and deletes it only once confirmed', async () => {
    const { page, consoleErrors } = await fixture.openPage();
    await fixture.signIn(page);
    await page.getByLabel('New squid name').fill('first name');
    await page.getByRole('button', { name: 'Create squid' }).click();
    await page.getByRole('heading', { name: 'first name' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('second name');
    await page.getByLabel('Export unique results only (export_unique_results)').check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('heading', { name: 'second name' }).waitFor();
    const squidId = page.url().split('/').pop() ?? '';
    const stored = await fixture.server.request('GET', `/v1/squids/${squidId}`);
    expect(stored.body).toMatchObject({ name: 'second name', export_unique_results: true, no_line_breaks: false });

    await page.getByRole('button', { name: 'Delete squid…' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect((await fixture.server.request('GET', `/v1/squids/${squidId}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Delete squid…' }).click();
    await page.getByText('Delete “second name” with all its runs').waitFor();
    await page.getByRole('button', { name: 'Yes, delete it' }).click();
    await page.getByRole('heading', { name: 'Welcome to Squidship' }).waitFor();
    expect((await fixture.server.request('GET', `/v1/squids/${squidId}`)).status).toBe(404);
    expect(consoleErrors).toEqual([]);
  });

  it('pages through a squid\'s runs, 20 at a time, newest first', async () => {
    const { server } = fixture;
    const squidId = (await server.request('POST', '/v1/squids', { name: 'many runs' })).body.id as string;
    const runIds: string[] = [];
    for (let i = 0; i < 25; i += 1) {
      const run = await server.request('POST', '/v1/runs', { squid: squidId });
      runIds.push(run.body.id as string);
      await server.request('POST', `/v1/runs/${run.body.id as string}/abort`);
    }
    const { page, consoleErrors } = await fixture.openPage();
    await fixture.signIn(page);
    await page.goto(`${server.url}/#/squids/${squidId}`);
    await page.getByText('Page 1 of 2').waitFor();
    const rows = page.locator('table:has(caption:text("Runs")) tbody tr');
    expect(await rows.count()).toBe(20);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2 of 2').waitFor();
    expect(await rows.count()).toBe(5);
    // Newest first: the last page holds the five oldest runs, the very first one last.
    expect(await rows.last().getByRole('link').textContent()).toBe(runIds[0]?.slice(0, 8));
    expect(consoleErrors).toEqual([]);
  });
});
