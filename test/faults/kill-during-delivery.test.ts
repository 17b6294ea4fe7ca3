// A process killed with SIGKILL in the middle of a multipart upload (issue 15, item 5): the
// upload it opened was recorded with its attempt, so the restarted process's next attempt of the
// job aborts it before writing. Afterwards no multipart upload is open on s3rver (listed through
// ListMultipartUploads and on disk) and the key holds exactly one object, the whole CSV.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listObjectKeys, listOpenMultipartUploads, readObject } from '../../src/channels/s3/list-objects.js';
import { startS3FaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.js';
import { s3TargetFor, startS3rver, TEST_BUCKET, type TestS3rver } from '../helpers/s3rver.js';
import { createSharedSecrets, killAllSquidshipProcesses, startSquidshipProcess } from '../helpers/squidship-process.js';
import { listS3rverOpenUploads } from '../process/s3rver-open-uploads.js';
import { attemptOutcomes, createApiClient, listRunDeliveries, sha256, waitForRunDone } from '../process/squidship-api.js';
import { STALLABLE_UPLOAD_ENV, startStalledUpload } from '../process/stalled-upload.js';

describe('a process killed during a delivery', () => {
  let s3: TestS3rver | null = null;
  let proxy: FaultProxy | null = null;
  let dataDir: string | null = null;

  afterEach(async () => {
    await killAllSquidshipProcesses();
    await proxy?.close();
    await s3?.stop();
    if (dataDir !== null) await rm(dataDir, { recursive: true, force: true });
    s3 = proxy = dataDir = null;
  });

  it('leaves no multipart upload open once the restarted process has delivered, and one complete object', async () => {
    s3 = await startS3rver({ buckets: [TEST_BUCKET] });
    proxy = await startS3FaultProxy(s3.endpoint);
    dataDir = await mkdtemp(join(tmpdir(), 'squidship-delivery-kill-'));
    const secrets = createSharedSecrets();
    const env = {
      ...secrets.env,
      ...STALLABLE_UPLOAD_ENV,
      SQUIDSHIP_DATA_DIR: dataDir,
      SQUIDSHIP_S3_ENDPOINT: proxy.endpoint,
      SQUIDSHIP_DELIVERY_LEASE_MS: '2000',
      SQUIDSHIP_DELIVERY_POLL_INTERVAL_MS: '10000',
      SQUIDSHIP_CLEANUP_INTERVAL_MS: '500',
    };
    const first = await startSquidshipProcess({ role: 'all', env, name: 'first' });
    const stalled = await startStalledUpload(createApiClient(first.url!, secrets.token), proxy, {
      bucket: TEST_BUCKET,
      targetPath: 'exports',
      squidName: 'kill-during-delivery',
    });
    first.kill('SIGKILL');
    expect(await first.waitForExit(10_000)).toEqual({ code: null, signal: 'SIGKILL' });
    const direct = s3TargetFor(s3.endpoint);
    const leftBehind = await listS3rverOpenUploads(s3.directory, TEST_BUCKET);
    expect(leftBehind.map((upload) => upload.key), 'the kill leaves the upload open').toEqual([stalled.key]);
    expect(await listOpenMultipartUploads(direct)).toBe(1);

    proxy.reset();
    const second = await startSquidshipProcess({ role: 'all', env, name: 'restarted' });
    const api = createApiClient(second.url!, secrets.token);
    const run = await waitForRunDone(api, stalled.runId);
    expect(run).toMatchObject({ done_reason: 'tasks_done', export_done: true, export_count: 1 });

    expect(await listOpenMultipartUploads(direct), 'open uploads, as ListMultipartUploads shows them').toBe(0);
    expect(await listS3rverOpenUploads(s3.directory, TEST_BUCKET), 'open uploads on s3rver\'s disk').toEqual([]);
    // The dead attempt's upload was aborted by the restarted process (its sweep, which sees the
    // expired lease, or the next attempt before it created its own upload; both may try, and the
    // second finds it gone). Its own upload then completed without any abort.
    expect(proxy.counts.AbortMultipartUpload).toBeGreaterThanOrEqual(1);
    expect(proxy.counts.CreateMultipartUpload).toBe(1);
    expect(second.logEvents('s3.leftover_uploads.aborted').length).toBeGreaterThanOrEqual(1);

    expect(await listObjectKeys(direct, 'exports/')).toEqual([stalled.key]);
    const object = await readObject(direct, stalled.key);
    expect(object.body.length).toBe(Buffer.byteLength(stalled.expectedCsv));
    expect(sha256(object.body), 'the object is the run\'s whole CSV').toBe(sha256(stalled.expectedCsv));
    const [delivery, ...others] = await listRunDeliveries(api, stalled.runId);
    expect(others).toEqual([]);
    expect(attemptOutcomes(delivery!)).toEqual(['lease_expired', 'succeeded']);
  });
});
