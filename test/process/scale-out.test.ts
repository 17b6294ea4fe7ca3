// Scale-out on PostgreSQL (issue 4): one `api` process and three `worker` processes share one
// database and one s3rver. 300 runs are pushed and completed concurrently through the API; one
// worker is SIGKILLed while it holds leases. Every run ends done, the bucket holds exactly one
// object per run with that run's rows, and no delivery shows two successful attempts.
//
// The killed worker reaches s3rver through a fault proxy; the others go straight to it. Stalling
// that proxy freezes the first worker's uploads mid-delivery, so the kill is known to hit
// deliveries in flight (not an idle moment), and the others must take them over once the leases
// expire.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listObjectKeys, readObject } from '../../src/channels/s3/list-objects.js';
import { startS3FaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.js';
import { s3TargetFor, startS3rver, TEST_BUCKET, type TestS3rver } from '../helpers/s3rver.js';
import {
  createSharedSecrets,
  killAllSquidshipProcesses,
  startSquidshipProcess,
  type SquidshipProcess,
} from '../helpers/squidship-process.js';
import { createTempPostgresStore, testDatabaseUrl, type TempPostgresStore } from '../helpers/temp-store.js';
import { pollUntil } from '../helpers/poll-until.js';
import { countRequests } from './stalled-upload.js';
import { attemptOutcomes, createApiClient, getRun, listRunDeliveries, sha256, type ApiClient, type DeliveryView } from './squidship-api.js';
import { pushRunsConcurrently, type PushedRun } from './push-runs.js';

const SQUIDS = 20;
const RUNS_PER_SQUID = 15;
const RUNS = SQUIDS * RUNS_PER_SQUID;
/** Runs whose objects must be in the bucket before the first worker is stalled and killed. */
const DELIVERED_BEFORE_KILL = 60;

const databaseUrl = testDatabaseUrl();
if (databaseUrl === null) console.log('skipping the scale-out test: set TEST_DATABASE_URL=postgres://user@host:5432/db to run it');

describe.skipIf(databaseUrl === null)('scale-out: one api and three workers on PostgreSQL', () => {
  let database: TempPostgresStore | null = null;
  let s3: TestS3rver | null = null;
  let proxy: FaultProxy | null = null;
  const dataDirs: string[] = [];
  /** Each process gets its own data folder; the shared state is PostgreSQL. */
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'squidship-scale-'));
    dataDirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    database = await createTempPostgresStore();
    s3 = await startS3rver({ buckets: [TEST_BUCKET] });
    proxy = await startS3FaultProxy(s3.endpoint);
  });

  afterAll(async () => {
    await killAllSquidshipProcesses();
    await proxy?.close();
    await s3?.stop();
    await database?.cleanup();
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('delivers every run exactly once although a worker dies in the middle', async () => {
    const secrets = createSharedSecrets();
    const shared = {
      ...secrets.env,
      SQUIDSHIP_DATABASE_URL: database!.databaseUrl,
      SQUIDSHIP_S3_FORCE_PATH_STYLE: 'true',
      SQUIDSHIP_S3_REGION: 'us-east-1',
      SQUIDSHIP_DELIVERY_LEASE_MS: '2000',
      SQUIDSHIP_DELIVERY_CONCURRENCY: '2',
      // Completions wake workers through LISTEN/NOTIFY; the poll is only the safety net.
      SQUIDSHIP_DELIVERY_POLL_INTERVAL_MS: '20000',
      SQUIDSHIP_LOG_LEVEL: 'info',
    };
    const started = await Promise.all([
      startSquidshipProcess({ role: 'api', name: 'api', env: { ...shared, SQUIDSHIP_S3_ENDPOINT: s3!.endpoint, SQUIDSHIP_DATA_DIR: await tempDir() } }),
      startSquidshipProcess({ role: 'worker', name: 'worker-1', env: { ...shared, SQUIDSHIP_S3_ENDPOINT: proxy!.endpoint, SQUIDSHIP_DATA_DIR: await tempDir() } }),
      startSquidshipProcess({ role: 'worker', name: 'worker-2', env: { ...shared, SQUIDSHIP_S3_ENDPOINT: s3!.endpoint, SQUIDSHIP_DATA_DIR: await tempDir() } }),
      startSquidshipProcess({ role: 'worker', name: 'worker-3', env: { ...shared, SQUIDSHIP_S3_ENDPOINT: s3!.endpoint, SQUIDSHIP_DATA_DIR: await tempDir() } }),
    ]);
    const [apiProcess, doomed, ...survivors] = started as [SquidshipProcess, SquidshipProcess, SquidshipProcess, SquidshipProcess];
    const api = createApiClient(apiProcess.url!, secrets.token);
    const direct = s3TargetFor(s3!.endpoint);

    const pushing = pushRunsConcurrently(api, { squids: SQUIDS, runsPerSquid: RUNS_PER_SQUID, concurrency: 20, bucket: TEST_BUCKET });
    pushing.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    await pollUntil(async () => (await listObjectKeys(direct, '')).length >= DELIVERED_BEFORE_KILL, {
      timeoutMs: 90_000,
      intervalMs: 250,
      what: `${DELIVERED_BEFORE_KILL} delivered objects`,
    });
    expect(doomed.logEvents('delivery.attempt.succeeded').length, 'worker-1 took part before it was stalled').toBeGreaterThan(0);

    // Freeze worker-1's uploads, wait until it holds a delivery mid-upload, then kill it.
    proxy!.stall();
    const seenAtStall = countRequests(proxy!);
    await pollUntil(() => countRequests(proxy!) > seenAtStall, { timeoutMs: 60_000, intervalMs: 20, what: 'worker-1 to start an upload into the stall' });
    doomed.kill('SIGKILL');
    expect(await doomed.waitForExit(10_000)).toEqual({ code: null, signal: 'SIGKILL' });
    const cutShort = deliveriesLeftOpen(doomed);
    expect(cutShort.length, 'the kill hit deliveries in flight').toBeGreaterThan(0);

    const runs = await pushing;
    expect(runs).toHaveLength(RUNS);
    await waitForRunsDone(api, runs);

    const deliveries = await collectDeliveries(api, runs);
    await expectOneObjectPerRun(direct, runs, deliveries);
    const recordedUnlogged = expectExactlyOnce(deliveries, cutShort);
    // The workers' own logs agree: 300 successes in all (with those the killed worker recorded
    // but did not live to log), and both survivors took a share.
    const successes = [doomed, ...survivors].map((worker) => worker.logEvents('delivery.attempt.succeeded').length);
    expect(successes.reduce((sum, count) => sum + count, 0) + recordedUnlogged).toBe(RUNS);
    expect(Math.min(...successes.slice(1))).toBeGreaterThan(0);

    for (const survivor of [apiProcess, ...survivors]) survivor.kill('SIGTERM');
    for (const survivor of [apiProcess, ...survivors]) {
      expect(await survivor.waitForExit(15_000), `${survivor.name}: ${survivor.stderrTail()}`).toEqual({ code: 0, signal: null });
    }
  });
});

/** Deliveries the worker started and never logged an end for. */
function deliveriesLeftOpen(worker: SquidshipProcess): string[] {
  const ended = new Set(
    ['delivery.attempt.succeeded', 'delivery.attempt.failed', 'delivery.lease.lost', 'delivery.lease.released']
      .flatMap((event) => worker.logEvents(event))
      .map((line) => String(line.json?.deliveryId)),
  );
  return [...new Set(worker.logEvents('delivery.attempt.started').map((line) => String(line.json?.deliveryId)))].filter((id) => !ended.has(id));
}

async function waitForRunsDone(api: ApiClient, runs: PushedRun[]): Promise<void> {
  const pending = new Set(runs.map((run) => run.runId));
  await pollUntil(
    async () => {
      for (const runId of [...pending]) {
        const run = await getRun(api, runId);
        if (run.status === 'done') {
          expect(run, `run ${runId}`).toMatchObject({ done_reason: 'tasks_done', export_done: true, export_count: 1 });
          pending.delete(runId);
        }
      }
      if (pending.size > 0) throw new Error(`${pending.size} runs not done yet, e.g. ${[...pending][0]}`);
      return true;
    },
    { timeoutMs: 90_000, intervalMs: 500, what: 'every run to be done' },
  );
}

async function collectDeliveries(api: ApiClient, runs: PushedRun[]): Promise<Map<string, DeliveryView>> {
  const byRun = new Map<string, DeliveryView>();
  for (const run of runs) {
    const deliveries = await listRunDeliveries(api, run.runId);
    expect(deliveries, `deliveries of run ${run.runId}`).toHaveLength(1);
    byRun.set(run.runId, deliveries[0]!);
  }
  return byRun;
}

async function expectOneObjectPerRun(
  direct: ReturnType<typeof s3TargetFor>,
  runs: PushedRun[],
  deliveries: Map<string, DeliveryView>,
): Promise<void> {
  const keys = await listObjectKeys(direct, '');
  expect(keys).toHaveLength(RUNS);
  const expectedKeys = runs.map((run) => deliveries.get(run.runId)!.key);
  expect([...keys].sort()).toEqual([...expectedKeys].sort());
  for (const run of runs) {
    const key = deliveries.get(run.runId)!.key;
    // `<target_path>/<squid-name>_<YYYYMMDD_HHMM>_<first 8 hex of the run id>.csv`
    expect(key).toMatch(new RegExp(`^${run.targetPath}/${run.squidName}_\\d{8}_\\d{4}_${run.runId.slice(0, 8)}\\.csv$`));
    const object = await readObject(direct, key);
    expect(sha256(object.body), `the object of run ${run.runId} holds its rows`).toBe(sha256(run.expectedCsv));
  }
}

/** Returns how many deliveries the killed worker recorded as succeeded without logging it. */
function expectExactlyOnce(deliveries: Map<string, DeliveryView>, cutShort: string[]): number {
  const twice = [...deliveries.values()].filter((delivery) => attemptOutcomes(delivery).filter((outcome) => outcome === 'succeeded').length !== 1);
  expect(twice, 'every delivery has exactly one successful attempt').toEqual([]);
  for (const delivery of deliveries.values()) expect(delivery.status).toBe('succeeded');

  // A delivery the killed worker had started was either taken over after its lease expired, or
  // had already recorded its success when the kill came (its log line can be lost with the
  // process): never anything else, and at least one was taken over.
  const takenOver = [...deliveries.values()].filter((delivery) => cutShort.includes(delivery.id));
  expect(takenOver).toHaveLength(cutShort.length);
  for (const delivery of takenOver) {
    expect([['lease_expired', 'succeeded'], ['succeeded']], `delivery ${delivery.id}`).toContainEqual(attemptOutcomes(delivery));
  }
  expect(takenOver.filter((delivery) => attemptOutcomes(delivery).length === 2).length, 'deliveries taken over').toBeGreaterThan(0);
  return takenOver.filter((delivery) => attemptOutcomes(delivery).length === 1).length;
}
