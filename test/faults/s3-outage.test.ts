// An S3 outage far longer than the old retry budget (issue 15, item 6), against a real Squidship
// process: S3 answers 503 SlowDown to everything for ~12 s, at settings shortened about 600-fold
// (backoff 50 ms doubling to at most 500 ms: 8 attempts used to last at most ~2.3 s). The
// delivery keeps retrying inside its window, the history shows when it will try next and until
// when, and once S3 is back the run is delivered with no manual step, one complete object. A
// window that runs out ends in export_failed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listObjectKeys, readObject } from '../../src/channels/s3/list-objects.js';
import { pollUntil } from '../helpers/poll-until.js';
import { startS3FaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.js';
import { s3TargetFor, startS3rver, TEST_BUCKET, type TestS3rver } from '../helpers/s3rver.js';
import { createSharedSecrets, killAllSquidshipProcesses, startSquidshipProcess } from '../helpers/squidship-process.js';
import { createTempPostgresDatabase, testDatabaseUrl } from '../helpers/temp-store.js';
import {
  attemptOutcomes,
  completeRun,
  createApiClient,
  createSquidWithS3Delivery,
  getRun,
  listRunDeliveries,
  pushRows,
  renderPlainCsv,
  sha256,
  startRun,
  waitForRunDone,
  type ApiClient,
  type DeliveryView,
} from '../process/squidship-api.js';

/** What 8 attempts lasted at most with these settings: 50 + 100 + 200 + 400 + 500 * 3 ms of backoff. */
const OLD_BUDGET_MS = 2250;
const OUTAGE_MS = 12_000;
const ROWS = Array.from({ length: 500 }, (_, i) => ({ n: i, name: `row-${i}` }));

const DATABASES = [
  { name: 'SQLite', skip: false },
  // The same with the queue in PostgreSQL, when TEST_DATABASE_URL names a server.
  { name: 'PostgreSQL', skip: testDatabaseUrl() === null },
];

describe.each(DATABASES)('an S3 outage longer than the old retry budget ($name)', ({ name, skip }) => {
  let s3: TestS3rver | null = null;
  let proxy: FaultProxy | null = null;
  let dataDir: string | null = null;
  let dropDatabase: (() => Promise<void>) | null = null;

  afterEach(async () => {
    await killAllSquidshipProcesses();
    await proxy?.close();
    await s3?.stop();
    if (dataDir !== null) await rm(dataDir, { recursive: true, force: true });
    await dropDatabase?.();
    s3 = proxy = dataDir = dropDatabase = null;
  });

  /** SQUIDSHIP_DATABASE_URL of a fresh PostgreSQL database, or nothing (SQLite in the data folder). */
  async function databaseEnv(): Promise<Record<string, string>> {
    if (name !== 'PostgreSQL') return {};
    const database = (await createTempPostgresDatabase())!;
    dropDatabase = database.drop;
    return { SQUIDSHIP_DATABASE_URL: database.databaseUrl };
  }

  /** A Squidship process whose S3 endpoint is a fault proxy that answers 503 to everything. */
  async function startDuringOutage(retryWindowMs: number): Promise<ApiClient> {
    s3 = await startS3rver({ buckets: [TEST_BUCKET] });
    proxy = await startS3FaultProxy(s3.endpoint);
    proxy.failWith('SlowDown');
    dataDir = await mkdtemp(join(tmpdir(), 'squidship-outage-'));
    const secrets = createSharedSecrets();
    const server = await startSquidshipProcess({
      role: 'all',
      env: {
        ...secrets.env,
        ...(await databaseEnv()),
        SQUIDSHIP_DATA_DIR: dataDir,
        SQUIDSHIP_S3_ENDPOINT: proxy.endpoint,
        SQUIDSHIP_DELIVERY_BACKOFF_BASE_MS: '50',
        SQUIDSHIP_DELIVERY_BACKOFF_MAX_MS: '500',
        SQUIDSHIP_DELIVERY_RETRY_WINDOW_MS: String(retryWindowMs),
        // Far longer than the test: retries must come from the worker's due-time sleeps.
        SQUIDSHIP_DELIVERY_POLL_INTERVAL_MS: '600000',
      },
    });
    return createApiClient(server.url!, secrets.token);
  }

  async function completeRunOfRows(api: ApiClient, squidName: string): Promise<string> {
    const squidId = await createSquidWithS3Delivery(api, { name: squidName, bucket: TEST_BUCKET, targetPath: 'exports' });
    const runId = await startRun(api, squidId);
    await pushRows(api, runId, ROWS);
    await completeRun(api, runId);
    return runId;
  }

  async function onlyDelivery(api: ApiClient, runId: string): Promise<DeliveryView> {
    const deliveries = await listRunDeliveries(api, runId);
    expect(deliveries).toHaveLength(1);
    return deliveries[0]!;
  }

  it.skipIf(skip)('keeps retrying through the outage, shows the next attempt, and delivers once S3 is back', async () => {
    const windowMs = 60_000;
    const api = await startDuringOutage(windowMs);
    const runId = await completeRunOfRows(api, 's3-outage');
    const outageStartedAt = Date.now();

    // The outage lasts OUTAGE_MS and well past the old 8 attempts; meanwhile the delivery waits
    // for its next attempt, which the history shows with the window's end.
    const retrying = await pollUntil(
      async () => {
        const delivery = await onlyDelivery(api, runId);
        const longEnough = Date.now() - outageStartedAt >= OUTAGE_MS && delivery.attempts > 8;
        // The listing reads the job, then its attempts: a claim in between shows an attempt under way.
        const settled = delivery.status === 'pending' && delivery.attempt_history.length === delivery.attempts && delivery.attempt_history.at(-1)?.ended_at !== null;
        return longEnough && settled ? delivery : undefined;
      },
      { timeoutMs: OUTAGE_MS + 30_000, intervalMs: 100, what: 'a pending delivery after the outage\'s length and more than 8 attempts' },
    );
    expect(OUTAGE_MS).toBeGreaterThan(5 * OLD_BUDGET_MS);
    expect(await getRun(api, runId)).toMatchObject({ status: 'uploading', export_done: null });
    const history = retrying.attempt_history;
    const firstStartedMs = Date.parse(history[0]!.started_at as string);
    const lastEndedMs = Date.parse(history.at(-1)!.ended_at as string);
    const nextAttemptMs = Date.parse(retrying.next_attempt_at as string);
    expect(retrying.retry_until).toBe(new Date(firstStartedMs + windowMs).toISOString());
    expect(nextAttemptMs).toBeGreaterThanOrEqual(lastEndedMs);
    expect(nextAttemptMs).toBeLessThanOrEqual(lastEndedMs + 500);
    expect(new Set(attemptOutcomes(retrying))).toEqual(new Set(['retrying']));
    expect(history.at(-1)!.error).toMatchObject({ code: 'SlowDown', status_code: 503, retryable: true });
    expect(retrying.last_error).toMatchObject({ code: 'SlowDown', retryable: true });

    proxy!.reset();
    const run = await waitForRunDone(api, runId);
    expect(run).toMatchObject({ done_reason: 'tasks_done', export_done: true, export_count: 1, total_results: ROWS.length });

    const delivered = await onlyDelivery(api, runId);
    expect(delivered).toMatchObject({ status: 'succeeded', next_attempt_at: null, retry_until: null });
    const outcomes = attemptOutcomes(delivered);
    expect(outcomes.length).toBeGreaterThan(retrying.attempts);
    expect(outcomes.at(-1)).toBe('succeeded');
    expect(outcomes.slice(0, -1).every((outcome) => outcome === 'retrying')).toBe(true);

    const direct = s3TargetFor(s3!.endpoint);
    expect(await listObjectKeys(direct, 'exports/')).toEqual([delivered.key]);
    const object = await readObject(direct, delivered.key);
    const expectedCsv = renderPlainCsv(ROWS);
    expect(object.body.length).toBe(Buffer.byteLength(expectedCsv));
    expect(sha256(object.body), 'the delivered object is the run\'s CSV, byte for byte').toBe(sha256(expectedCsv));
    expect(delivered.attempt_history.at(-1)).toMatchObject({ rows: ROWS.length, bytes: Buffer.byteLength(expectedCsv), key: delivered.key });
  });

  it.skipIf(skip)('fails the delivery for good once the retry window has passed: export_failed', async () => {
    const windowMs = 3000;
    const api = await startDuringOutage(windowMs);
    const runId = await completeRunOfRows(api, 's3-outage-window');

    const run = await waitForRunDone(api, runId);
    expect(run).toMatchObject({ done_reason: 'export_failed', export_done: false, export_count: 0 });
    const failed = await onlyDelivery(api, runId);
    expect(failed).toMatchObject({ status: 'failed', next_attempt_at: null, retry_until: null });
    expect(failed.last_error).toMatchObject({ code: 'SlowDown', status_code: 503, retryable: true });
    const outcomes = attemptOutcomes(failed);
    expect(outcomes.at(-1)).toBe('failed');
    expect(outcomes.slice(0, -1).every((outcome) => outcome === 'retrying')).toBe(true);
    // The window, not a count, ended it: every failure inside the window was retried, and the
    // first one at or after its end was final. An attempt's end is when its failure was judged.
    const firstStartedMs = Date.parse(failed.attempt_history[0]!.started_at as string);
    const endedMs = failed.attempt_history.map((attempt) => Date.parse(attempt.ended_at as string));
    expect(endedMs.at(-1)).toBeGreaterThanOrEqual(firstStartedMs + windowMs);
    expect(endedMs.slice(0, -1).every((ended) => ended < firstStartedMs + windowMs)).toBe(true);
    expect(await listObjectKeys(s3TargetFor(s3!.endpoint), 'exports/')).toEqual([]);
  });
});
