// A process killed with SIGKILL in the middle of a multipart upload (issue 3): nothing partial is
// visible under the key, and a restarted process on the same data folder takes the delivery up
// again once the dead process's lease has expired, and delivers it exactly once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listObjectKeys, listOpenMultipartUploads, readObject } from '../../src/channels/s3/list-objects.js';
import { startS3FaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.js';
import { s3TargetFor, startS3rver, TEST_BUCKET, type TestS3rver } from '../helpers/s3rver.js';
import { createSharedSecrets, killAllSquidshipProcesses, startSquidshipProcess } from '../helpers/squidship-process.js';
import { listS3rverOpenUploads } from './s3rver-open-uploads.js';
import { attemptOutcomes, createApiClient, listRunDeliveries, sha256, waitForRunDone } from './squidship-api.js';
import { STALLABLE_UPLOAD_ENV, startStalledUpload } from './stalled-upload.js';

describe('a process killed during an upload, then restarted', () => {
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

  it('leaves nothing under the key, and the restarted process delivers the run once', async () => {
    s3 = await startS3rver({ buckets: [TEST_BUCKET] });
    proxy = await startS3FaultProxy(s3.endpoint);
    dataDir = await mkdtemp(join(tmpdir(), 'squidship-kill-'));
    const secrets = createSharedSecrets();
    const env = {
      ...secrets.env,
      ...STALLABLE_UPLOAD_ENV,
      SQUIDSHIP_DATA_DIR: dataDir,
      SQUIDSHIP_S3_ENDPOINT: proxy.endpoint,
      // Short, so the dead process's lease runs out quickly; renewed every third of it meanwhile.
      SQUIDSHIP_DELIVERY_LEASE_MS: '2000',
      SQUIDSHIP_DELIVERY_POLL_INTERVAL_MS: '10000',
      SQUIDSHIP_CLEANUP_INTERVAL_MS: '500',
    };
    const first = await startSquidshipProcess({ role: 'all', env, name: 'first' });
    const stalled = await startStalledUpload(createApiClient(first.url!, secrets.token), proxy, {
      bucket: TEST_BUCKET,
      targetPath: 'exports',
      squidName: 'kill-restart',
    });

    first.kill('SIGKILL');
    expect(await first.waitForExit(10_000)).toEqual({ code: null, signal: 'SIGKILL' });
    const direct = s3TargetFor(s3.endpoint);
    expect(await listObjectKeys(direct, 'exports/'), 'nothing may be visible after the kill').toEqual([]);
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
    // The dead attempt's upload (recorded with its attempt) was aborted by the restarted process
    // (its sweep, which sees the expired lease, or the next attempt before it created its own
    // upload; both may try, and the second finds it gone). Its own upload completed, no abort.
    expect(proxy.counts.AbortMultipartUpload).toBeGreaterThanOrEqual(1);
    expect(proxy.counts.CreateMultipartUpload).toBe(1);
    expect(second.logEvents('s3.leftover_uploads.aborted').length).toBeGreaterThanOrEqual(1);
    expect(await listObjectKeys(direct, 'exports/')).toEqual([stalled.key]);
    const object = await readObject(direct, stalled.key);
    expect(object.body.length).toBe(Buffer.byteLength(stalled.expectedCsv));
    expect(sha256(object.body), 'the delivered object is the run\'s CSV, byte for byte').toBe(sha256(stalled.expectedCsv));
    expect(object.contentType).toBe('text/csv; charset=utf-8');
    expect(object.metadata['squidship-run-id']).toBe(stalled.runId);

    const deliveries = await listRunDeliveries(api, stalled.runId);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ status: 'succeeded', key: stalled.key });
    expect(attemptOutcomes(deliveries[0]!)).toEqual(['lease_expired', 'succeeded']);
    expect(deliveries[0]!.attempt_history[1]).toMatchObject({ rows: stalled.rowCount, bytes: Buffer.byteLength(stalled.expectedCsv), key: stalled.key });

  });
});
