// The dashboard in a real browser past the first run: a bad bucket's diagnosis, a failed
// delivery delivered again after the fix, a 200,000-row upload with its progress bar, creating
// a squid from the keyboard alone, and no console error on any page (desktop and 375 px).
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBrowserSkipReason, startDashboardFixture, type DashboardFixture } from './dashboard-fixture.js';

const skipReason = findBrowserSkipReason();
if (skipReason !== null) console.log(skipReason);

describe.skipIf(skipReason !== null)('dashboard flows', () => {
  let fixture: DashboardFixture;
  let fileDir: string;
  beforeAll(async () => {
    fixture = await startDashboardFixture();
    fileDir = await mkdtemp(join(tmpdir(), 'squidship-upload-'));
  });
  afterAll(async () => {
    await fixture?.close();
    if (fileDir) await rm(fileDir, { recursive: true, force: true });
  });

  /** A signed-in page of a fresh account (so each test starts with no squid). */
  async function openSignedIn(name: string, width?: number) {
    const watched = await fixture.openPage({ width });
    const { token } = await fixture.server.createAccountWithToken(name);
    await fixture.signIn(watched.page, token);
    return watched;
  }

  async function createSquid(page: Page, name: string) {
    await page.getByLabel('New squid name').fill(name);
    await page.getByRole('button', { name: 'Create squid' }).click();
    await page.getByRole('heading', { name }).waitFor();
  }

  it('shows the diagnosis and hint of a bucket that does not exist', async () => {
    const { page, consoleErrors } = await openSignedIn('bad bucket');
    await createSquid(page, 'bad bucket squid');
    await page.getByLabel('Bucket').fill('no-such-bucket');
    await page.getByRole('button', { name: 'Test S3' }).click();
    const diagnosis = page.locator('.diagnosis');
    await diagnosis.getByText('Test failed: NoSuchBucket').waitFor();
    expect(await diagnosis.locator('.hint').textContent()).toMatch(/^Hint: .*bucket/i);
    await page.getByLabel('Bucket').fill('my-bucket');
    await page.getByRole('button', { name: 'Test S3' }).click();
    await page.getByText('Test passed').waitFor();
    expect(consoleErrors).toEqual([]);
  });

  it('shows the API\'s 400 message next to the field it names, and stores nothing', async () => {
    const { page, consoleErrors } = await openSignedIn('field errors');
    await createSquid(page, 'field errors squid');
    await page.getByLabel('Bucket').fill('Not_A_Bucket!');
    await page.getByRole('button', { name: 'Save S3' }).click();
    const message = page.locator('#s3-bucket-error');
    await message.waitFor();
    expect(await message.textContent()).toMatch(/s3_fields\.bucket/);
    expect(await page.getByLabel('Bucket').getAttribute('aria-describedby')).toContain('s3-bucket-error');
    await page.reload();
    await page.getByText('S3: not configured').waitFor();
    // The browser logs every 4xx answer; that one, and only it, is expected here.
    expect(consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  });

  it('delivers a failed run again once the bucket is fixed', async () => {
    const { page, consoleErrors } = await openSignedIn('redeliver');
    await createSquid(page, 'redeliver squid');
    await page.getByLabel('Bucket').fill('no-such-bucket');
    await page.getByRole('button', { name: 'Save S3' }).click();
    await page.getByText('S3 saved.').waitFor();
    await page.getByRole('button', { name: 'Start a run' }).click();
    await page.getByRole('button', { name: 'Push the sample file' }).click();
    await page.getByText('Sample file: 5 rows added.').waitFor();
    await page.getByRole('button', { name: 'Complete run' }).click();
    await page.locator('.delivery .badge.failed').waitFor({ timeout: 30_000 });
    await page.locator('.delivery .diagnosis').getByText('NoSuchBucket').waitFor();
    expect(await page.getByTestId('run-export').textContent()).toBe('failed');
    const runUrl = page.url();

    await page.getByRole('link', { name: '← The squid' }).click();
    await page.getByLabel('Bucket').fill('my-bucket');
    await page.getByRole('button', { name: 'Save S3 changes' }).click();
    await page.getByText('S3 saved.').waitFor();
    await page.goto(runUrl);
    await page.getByRole('button', { name: 'Re-deliver' }).click();
    await page.getByTestId('run-export').getByText('delivered (after a fix)').waitFor({ timeout: 30_000 });
    const key = (await page.locator('.delivery .object-key').last().textContent()) ?? '';
    expect((await fixture.readBucketObject(key.replace('s3://my-bucket/', ''))).toString('utf8')).toContain('Blue widget');
    expect(consoleErrors).toEqual([]);
  });

  it('uploads a 200,000-row file with the progress bar reaching 100%', async () => {
    const path = join(fileDir, 'rows.ndjson');
    const lines: string[] = [];
    for (let i = 0; i < 200_000; i += 1) lines.push(JSON.stringify({ n: i, name: `row ${i}`, price: i / 100 }));
    await writeFile(path, lines.join('\n') + '\n');
    const { page, consoleErrors } = await openSignedIn('upload');
    await createSquid(page, 'upload squid');
    await page.getByRole('button', { name: 'Start a run' }).click();
    await page.getByLabel('Results file (.ndjson, .jsonl, .json array or .csv)').setInputFiles(path);
    await page.getByRole('button', { name: 'Upload file' }).click();
    await page.getByText('rows.ndjson: 200000 rows added.').waitFor({ timeout: 60_000 });
    expect(await page.locator('#upload-progress').getAttribute('value')).toBe('100');
    await page.getByTestId('run-rows').getByText('200000').waitFor();
    expect(consoleErrors).toEqual([]);
  });

  it('uploads a .csv file, its header giving the columns of the results table', async () => {
    const path = join(fileDir, 'prices.csv');
    await writeFile(path, 'name,price\n"Widget, large",12.50\nGadget,7\n');
    const { page, consoleErrors } = await openSignedIn('csv');
    await createSquid(page, 'csv squid');
    await page.getByRole('button', { name: 'Start a run' }).click();
    await page.getByLabel('Results file (.ndjson, .jsonl, .json array or .csv)').setInputFiles(path);
    await page.getByRole('button', { name: 'Upload file' }).click();
    await page.getByText('prices.csv: 2 rows added.').waitFor();
    await page.getByRole('cell', { name: 'Widget, large' }).waitFor();
    expect(await page.getByRole('columnheader').allTextContents()).toEqual(['name', 'price', 'scraping_time']);
    expect(consoleErrors).toEqual([]);
  });

  it('shows a webhook\'s signing secret once, then only masked, and keeps S3 keys masked with "Replace"', async () => {
    const { page, consoleErrors } = await openSignedIn('secrets');
    await createSquid(page, 'secrets squid');
    await page.getByLabel('Access key').fill('AKIAEXAMPLEKEY1234');
    await page.getByLabel('Secret key').fill('secret-value-5678');
    await page.getByRole('button', { name: 'Save S3' }).click();
    await page.getByText('S3 saved.').waitFor();
    await page.getByText('webhook: not configured').click();
    await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hooks/squidship');
    await page.getByRole('button', { name: 'Save webhook' }).click();
    const shown = page.getByLabel('signing_secret');
    await shown.waitFor();
    expect(await shown.inputValue()).toMatch(/^whsec_/);

    await page.reload();
    await page.getByText('webhook: active').waitFor();
    expect(await page.getByLabel('signing_secret').count()).toBe(0);
    expect(await page.getByLabel('Secret key').inputValue()).toBe('*************5678');
    expect(await page.content()).not.toContain('secret-value-5678');
    await page.getByRole('button', { name: 'Replace Secret key' }).click();
    expect(await page.getByLabel('Secret key').inputValue()).toBe('');
    expect(await page.getByLabel('Secret key').getAttribute('type')).toBe('password');
    expect(consoleErrors).toEqual([]);
  });

  it('creates a squid with the keyboard alone', async () => {
    const { page, consoleErrors } = await fixture.openPage();
    const { token } = await fixture.server.createAccountWithToken('keyboard');
    await page.goto(fixture.server.url + '/');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Welcome to Squidship' }).waitFor();
    for (let presses = 0; presses < 10; presses += 1) {
      if ((await page.evaluate(() => document.activeElement?.id)) === 'new-squid-name') break;
      await page.keyboard.press('Tab');
    }
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('new-squid-name');
    await page.keyboard.type('typed squid');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Create squid');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'typed squid' }).waitFor();
    expect(consoleErrors).toEqual([]);
  });

  it('shows every page without a console error, desktop and 375 px wide', async () => {
    for (const width of [1280, 375]) {
      const { page, consoleErrors } = await openSignedIn(`pages ${width}`, width);
      await createSquid(page, `pages squid ${width}`);
      await page.getByRole('button', { name: 'Save S3' }).click();
      await page.getByText('S3 saved.').waitFor();
      await page.getByRole('button', { name: 'Start a run' }).click();
      await page.getByRole('button', { name: 'Push the sample file' }).click();
      await page.getByText('Sample file: 5 rows added.').waitFor();
      await page.getByRole('button', { name: 'Complete run' }).click();
      await page.locator('.delivery .badge.succeeded').waitFor({ timeout: 30_000 });
      await page.getByRole('link', { name: '← The squid' }).click();
      await page.getByRole('heading', { name: 'Runs' }).waitFor();
      await page.getByRole('link', { name: '← All squids' }).click();
      await page.getByRole('heading', { name: 'Squids' }).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect({ width, overflow }).toEqual({ width, overflow: 0 });
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('API token').waitFor();
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      expect({ width, consoleErrors }).toEqual({ width, consoleErrors: [] });
    }
  });
});
