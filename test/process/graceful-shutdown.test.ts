// SIGTERM during a slow upload (issues 3 and 4): the process stops claiming, waits
// SQUIDSHIP_SHUTDOWN_TIMEOUT_MS for the upload, then aborts it and gives its lease back, and
// exits 0 promptly, whether or not S3 still answers the abort. Nothing is visible under the key, and after a restart the delivery
// completes at once (a released lease is due again now, not after it would have expired).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listObjectKeys, readObject } from '../../src/channels/s3/list-objects.js';
import { startS3FaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.js';
import { s3TargetFor, startS3rver, TEST_BUCKET, type TestS3rver } from '../helpers/s3rver.js';
import { createSharedSecrets, killAllSquidshipProcesses, startSquidshipProcess } from '../helpers/squidship-process.js';
import { attemptOutcomes, createApiClient, listRunDeliveries, sha256, waitForRunDone } from './squidship-api.js';
import { STALLABLE_UPLOAD_ENV, startStalledUpload } from './stalled-upload.js';

const SHUTDOWN_TIMEOUT_MS = 1500;
/** Time a stopping process may take beyond the upload timeout: abort, release, close the database. */
const EXIT_MARGIN_MS = 5000;

describe('SIGTERM during a slow upload', () => {
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

  it('aborts the upload within the shutdown timeout, exits 0, and the restarted process delivers', async () => {
    await expectStopAbortAndRestart({ s3AnswersTheAbort: true });
  });

  it('still exits within the timeout when S3 stops answering altogether', async () => {
    // The abort itself cannot reach S3 here: shutdown must not wait for it beyond the timeout.
    await expectStopAbortAndRestart({ s3AnswersTheAbort: false });
  });

  async function expectStopAbortAndRestart(options: { s3AnswersTheAbort: boolean }): Promise<void> {
    s3 = await startS3rver({ buckets: [TEST_BUCKET] });
    proxy = await startS3FaultProxy(s3.endpoint);
    dataDir = await mkdtemp(join(tmpdir(), 'squidship-sigterm-'));
    const secrets = createSharedSecrets();
    const env = {
      ...secrets.env,
      ...STALLABLE_UPLOAD_ENV,
      SQUIDSHIP_DATA_DIR: dataDir,
      SQUIDSHIP_S3_ENDPOINT: proxy.endpoint,
      SQUIDSHIP_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      // Long: the restarted process must get the delivery because the lease was released,
      // not because it expired.
      SQUIDSHIP_DELIVERY_LEASE_MS: '120000',
      SQUIDSHIP_DELIVERY_POLL_INTERVAL_MS: '60000',
    };
    const first = await startSquidshipProcess({ role: 'all', env, name: 'first' });
    const stalled = await startStalledUpload(createApiClient(first.url!, secrets.token), proxy, {
      bucket: TEST_BUCKET,
      targetPath: 'slow',
      squidName: 'graceful-shutdown',
    });

    // The part in flight stays stuck. With reset, requests from now on (the abort) reach s3rver
    // again, as on a network where one slow connection hangs and new ones go through.
    if (options.s3AnswersTheAbort) proxy.reset();
    const signalledAtMs = Date.now();
    first.kill('SIGTERM');
    const exit = await first.waitForExit(SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS);
    const stopMs = Date.now() - signalledAtMs;
    expect(exit, `stderr: ${first.stderrTail()}`).toEqual({ code: 0, signal: null });
    expect(stopMs).toBeGreaterThanOrEqual(SHUTDOWN_TIMEOUT_MS);
    expect(first.logEvents('delivery.worker.shutdown_timeout')).toHaveLength(1);
    expect(first.logEvents('delivery.lease.released').map((line) => line.json?.released)).toEqual([true]);
    if (options.s3AnswersTheAbort) expect(proxy.counts.AbortMultipartUpload, 'the multipart upload was aborted').toBe(1);
    expect(proxy.counts.CompleteMultipartUpload).toBe(0);

    const direct = s3TargetFor(s3.endpoint);
    expect(await listObjectKeys(direct, 'slow/'), 'nothing may be visible after the shutdown').toEqual([]);

    proxy.reset();
    const second = await startSquidshipProcess({ role: 'all', env, name: 'restarted' });
    const api = createApiClient(second.url!, secrets.token);
    const run = await waitForRunDone(api, stalled.runId);
    expect(run).toMatchObject({ done_reason: 'tasks_done', export_done: true, export_count: 1 });
    expect(await listObjectKeys(direct, 'slow/')).toEqual([stalled.key]);
    expect(sha256((await readObject(direct, stalled.key)).body)).toBe(sha256(stalled.expectedCsv));

    const [delivery, ...others] = await listRunDeliveries(api, stalled.runId);
    expect(others).toEqual([]);
    expect(delivery?.status).toBe('succeeded');
    expect(attemptOutcomes(delivery!).filter((outcome) => outcome === 'succeeded')).toHaveLength(1);
    expect(attemptOutcomes(delivery!).at(-1)).toBe('succeeded');

    second.kill('SIGTERM');
    expect(await second.waitForExit(SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS)).toEqual({ code: 0, signal: null });
  }
});
