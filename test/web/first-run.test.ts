// The dashboard's first-run path in a real browser: sign in, create a squid, save the prefilled
// S3 panel, start a run, push the bundled sample file, complete, read the delivered key and
// download the file, whose bytes must be the object's in the bucket. No console errors.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_BUCKET, findBrowserSkipReason, startDashboardFixture, type DashboardFixture } from './dashboard-fixture.js';

const skipReason = findBrowserSkipReason();
if (skipReason !== null) console.log(skipReason);

describe.skipIf(skipReason !== null)('dashboard first run', () => {
  let fixture: DashboardFixture;
  beforeAll(async () => {
    fixture = await startDashboardFixture();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('takes an empty account to a downloaded file equal to the delivered object', async () => {
    const { page, consoleErrors } = await fixture.openPage();
    await fixture.signIn(page);
    await page.getByRole('heading', { name: 'Welcome to Squidship' }).waitFor();
    await page.getByLabel('New squid name').fill('my cool squid');
    await page.getByRole('button', { name: 'Create squid' }).click();
    await page.getByRole('heading', { name: 'my cool squid' }).waitFor();

    expect(await page.getByLabel('Bucket').inputValue()).toBe(EMBEDDED_BUCKET);
    expect(await page.getByLabel('Folder (target path)').inputValue()).toBe('exports');
    await page.getByRole('button', { name: 'Save S3' }).click();
    await page.getByText('S3 saved.').waitFor();

    await page.getByRole('button', { name: 'Start a run' }).click();
    await page.getByRole('button', { name: 'Push the sample file' }).click();
    await page.getByText('Sample file: 5 rows added.').waitFor();
    await page.getByRole('cell', { name: 'Blue widget' }).waitFor();
    await page.getByRole('button', { name: 'Complete run' }).click();

    const key = page.locator('.object-key');
    await page.locator('.delivery .badge.succeeded').waitFor({ timeout: 30_000 });
    const shownKey = (await key.textContent()) ?? '';
    expect(shownKey).toMatch(new RegExp(`^s3://${EMBEDDED_BUCKET}/exports/.+\\.csv$`));
    const objectKey = shownKey.slice(`s3://${EMBEDDED_BUCKET}/`.length);

    await page.getByRole('button', { name: 'Get download link' }).click();
    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download the file' }).click();
    const download = await downloading;
    const downloaded = await readFile(await download.path());
    const stored = await fixture.readBucketObject(objectKey);
    expect(downloaded.length).toBeGreaterThan(0);
    expect(downloaded.equals(stored)).toBe(true);
    expect(downloaded.toString('utf8')).toContain('Blue widget');

    await page.getByRole('link', { name: '← The squid' }).click();
    await page.getByRole('link', { name: '← All squids' }).click();
    await page.getByText('s3: succeeded').waitFor();
    expect(consoleErrors).toEqual([]);
  });
});
