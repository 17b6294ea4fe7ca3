// The worker as a durable state machine: shutdown during an upload (aborted, lease released,
// nothing partial), a dead worker's lease taken up once it expires, a stalled worker that lost
// its lease unable to record anything, and start/stop that are safe to call twice.
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryWithAttempts } from '../../src/storage/store.js';
import type { Store } from '../../src/storage/store.js';
import { createTempPostgresStore, testDatabaseUrl, type TempPostgresStore } from '../helpers/temp-store.js';
import { createTestConfig, lobstrS3Fields, startDeliveryFixture, type DeliveryFixture } from './delivery-fixture.js';
import { isPutObject, isUploadPart, startPartGateProxy, type PartGateProxy } from './part-gate-proxy.js';
import { pollUntil } from '../helpers/poll-until.js';

const dialects = testDatabaseUrl() === null ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);
if (testDatabaseUrl() === null) console.log('worker-lifecycle: PostgreSQL variant skipped, set TEST_DATABASE_URL to run it');

for (const dialect of dialects) describe(`delivery worker lifecycle [${dialect}]`, () => {
  let fixture: DeliveryFixture | null = null;
  let gate: PartGateProxy | null = null;
  let pg: TempPostgresStore | null = null;

  afterEach(async () => {
    await fixture?.close();
    await gate?.close();
    await pg?.cleanup();
    fixture = null;
    gate = null;
    pg = null;
  });

  async function store(): Promise<Store | undefined> {
    if (dialect === 'sqlite') return undefined;
    pg = await createTempPostgresStore();
    return pg?.store;
  }

  /** A completed run with a configured destination; no worker has run yet unless one is started. */
  async function completedRun(f: DeliveryFixture, rows: object[]) {
    const squidId = await f.createSquid();
    expect((await f.configureS3(squidId, { s3_fields: lobstrS3Fields('exports') })).status).toBe(201);
    const runId = await f.startRun(squidId);
    await f.pushRows(runId, rows);
    expect((await f.completeRun(runId)).status).toBe(200);
    return runId;
  }

  async function deliveriesOf(f: DeliveryFixture, runId: string): Promise<DeliveryWithAttempts[]> {
    return f.store.listRunDeliveries(f.server.account.id, runId);
  }

  function gateDefaults(endpoint: string) {
    return { endpoint, region: 'us-east-1', forcePathStyle: true };
  }

  it('aborts an upload still running at shutdown, releases the lease, and leaves nothing behind', async () => {
    fixture = await startDeliveryFixture({ store: await store(), config: createTestConfig({ shutdownTimeoutMs: 300 }) });
    const f = fixture;
    gate = await startPartGateProxy(f.s3.endpoint, (method, url) => isUploadPart(method, url, 2));
    const workerA = await f.startWorker({ workerId: 'worker-a', s3Defaults: gateDefaults(gate.endpoint) });
    const payload = 'z'.repeat(100);
    const rows = Array.from({ length: 60_000 }, (_, i) => ({ i, payload }));
    const runId = await completedRun(f, rows);
    const held = gate;
    await pollUntil(() => held.held >= 1, { timeoutMs: 20_000, what: 'part 2 to reach the gate' });

    const stopStartedMs = Date.now();
    await workerA.stop();
    const stopMs = Date.now() - stopStartedMs;
    expect(stopMs).toBeGreaterThanOrEqual(250); // it waited for the upload first...
    expect(stopMs).toBeLessThan(3000); // ...then aborted it, without waiting for S3 timeouts
    await workerA.stop(); // a second stop is a no-op
    expect(f.logs.some((line) => line.msg === 'delivery.worker.shutdown_timeout')).toBe(true);
    expect(f.logs.some((line) => line.msg === 'delivery.lease.released' && line.released === true)).toBe(true);

    const [released] = await deliveriesOf(f, runId);
    expect(released).toMatchObject({ status: 'pending', lockedBy: null });
    expect((await f.server.request('GET', `/v1/runs/${runId}`)).body.status).toBe('uploading');
    expect(await f.listKeys()).toEqual([]);
    await pollUntil(async () => (await f.openUploads()) === 0, { timeoutMs: 10_000, what: 'the multipart upload to be aborted' });

    await f.startWorker({ workerId: 'worker-b' });
    const run = await f.waitForRunFinished(runId);
    expect(run).toMatchObject({ status: 'done', done_reason: 'tasks_done', export_done: true });
    const [delivered] = await deliveriesOf(f, runId);
    const expected = 'i,payload\r\n' + rows.map((row) => `${row.i},${payload}\r\n`).join('');
    expect((await f.readObject(delivered!.target!)).equals(Buffer.from(expected))).toBe(true);
    expect(delivered!.attemptList.filter((attempt) => attempt.outcome === 'succeeded')).toHaveLength(1);
    expect(delivered!.attemptList.at(-1)?.workerId).toBe('worker-b');
  });

  it('takes up a delivery whose worker died once its lease expires', async () => {
    fixture = await startDeliveryFixture({ store: await store() });
    const f = fixture;
    const runId = await completedRun(f, [{ a: 1 }]);
    // What a process does right before it is killed: claim, and never finish.
    const claimed = await f.store.claimDueDelivery('dead-worker', Date.now(), 500);
    expect(claimed?.runId).toBe(runId);

    await f.startWorker({ workerId: 'survivor' });
    const run = await f.waitForRunFinished(runId, 20_000);
    expect(run).toMatchObject({ status: 'done', export_done: true, export_count: 1 });
    const [delivery] = await deliveriesOf(f, runId);
    expect(delivery!.attemptList.map((attempt) => [attempt.workerId, attempt.outcome])).toEqual([
      ['dead-worker', 'lease_expired'],
      ['survivor', 'succeeded'],
    ]);
    expect((await f.readObject(delivery!.target!)).toString('utf8')).toBe('a\r\n1\r\n');
  });

  it('a stalled worker whose lease was taken over aborts and records nothing', async () => {
    const leaseMs = 600;
    fixture = await startDeliveryFixture({ store: await store(), config: createTestConfig({ delivery: { leaseMs } }) });
    const f = fixture;
    gate = await startPartGateProxy(f.s3.endpoint, isPutObject);
    await f.startWorker({ workerId: 'stalled', s3Defaults: gateDefaults(gate.endpoint) });
    const runId = await completedRun(f, [{ a: 'only once' }]);
    const held = gate;
    await pollUntil(() => held.held >= 1, { timeoutMs: 10_000, what: 'the upload to reach the gate' });

    // A second worker whose clock is past the stalled worker's lease: it may take the delivery.
    await f.startWorker({ workerId: 'successor', clock: () => Date.now() + 20 * leaseMs });
    const run = await f.waitForRunFinished(runId);
    expect(run).toMatchObject({ status: 'done', export_done: true, export_count: 1 });
    await pollUntil(() => f.logs.some((line) => line.msg === 'delivery.lease.lost' && line.workerId === 'stalled'), {
      timeoutMs: 10_000,
      what: () => 'the stalled worker to notice: ' + JSON.stringify(f.logs.filter((l) => l.workerId === 'stalled')),
    });

    const [delivery] = await deliveriesOf(f, runId);
    expect(delivery!.status).toBe('succeeded');
    expect(delivery!.attemptList.map((attempt) => [attempt.workerId, attempt.outcome])).toEqual([
      ['stalled', 'lease_expired'],
      ['successor', 'succeeded'],
    ]);
    expect(f.logs.some((line) => line.workerId === 'stalled' && line.msg === 'delivery.attempt.failed')).toBe(false);
    await pollUntil(() => held.held === 0, { timeoutMs: 10_000, what: 'its held request to be cancelled' });
    expect((await f.readObject(delivery!.target!)).toString('utf8')).toBe('a\r\nonly once\r\n');
  });

  it('start and stop are safe to call twice; a stopped worker stays stopped', async () => {
    fixture = await startDeliveryFixture({ store: await store() });
    const f = fixture;
    const worker = await f.startWorker();
    await Promise.all([worker.start(), worker.start()]);
    const runId = await completedRun(f, [{ a: 1 }]);
    await f.waitForRunFinished(runId);
    await Promise.all([worker.stop(), worker.stop()]);
    await worker.start(); // a stopped worker stays stopped
    const second = await completedRun(f, [{ a: 2 }]);
    const [pending] = await deliveriesOf(f, second);
    expect(pending!.status).toBe('pending');
  });
});
