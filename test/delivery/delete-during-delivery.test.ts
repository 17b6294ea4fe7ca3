// Deleting a squid while its run is being delivered: the job row goes with the deletion, so the
// worker's next lease renewal fails and the attempt stops: its multipart upload is aborted and
// nothing lands under the key, instead of a file cut short by the purge of the rows.
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/storage/store.js';
import { pollUntil } from '../helpers/poll-until.js';
import { createTempPostgresStore, testDatabaseUrl, type TempPostgresStore } from '../helpers/temp-store.js';
import { createTestConfig, lobstrS3Fields, startDeliveryFixture, type DeliveryFixture } from './delivery-fixture.js';
import { isUploadPart, startPartGateProxy, type PartGateProxy } from './part-gate-proxy.js';

const dialects = testDatabaseUrl() === null ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);

for (const dialect of dialects) describe(`deleting a squid during its delivery [${dialect}]`, () => {
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

  it('interrupts the upload in flight, aborts it, and leaves nothing under the key', async () => {
    // The shortest lease renews every third of a second: the deletion is noticed that soon.
    fixture = await startDeliveryFixture({ store: await store(), config: createTestConfig({ delivery: { leaseMs: 1000 } }) });
    const f = fixture;
    gate = await startPartGateProxy(f.s3.endpoint, (method, url) => isUploadPart(method, url, 2));
    await f.startWorker({ workerId: 'worker', s3Defaults: { endpoint: gate.endpoint, region: 'us-east-1', forcePathStyle: true } });
    const squidId = await f.createSquid();
    expect((await f.configureS3(squidId, { s3_fields: lobstrS3Fields('exports') })).status).toBe(201);
    const runId = await f.startRun(squidId);
    const payload = 'z'.repeat(100);
    await f.pushRows(runId, Array.from({ length: 60_000 }, (_, i) => ({ i, payload })));
    expect((await f.completeRun(runId)).status).toBe(200);
    const held = gate;
    await pollUntil(() => held.held >= 1, { timeoutMs: 20_000, what: 'part 2 to reach the gate' });

    expect((await f.server.request('DELETE', `/v1/squids/${squidId}`)).status).toBe(200);
    await pollUntil(() => f.logs.some((line) => line.msg === 'delivery.lease.lost'), { timeoutMs: 10_000, what: 'the worker to lose its lease' });
    await pollUntil(async () => (await f.openUploads()) === 0, { timeoutMs: 10_000, what: 'the multipart upload to be aborted' });
    expect(await f.listKeys()).toEqual([]);
    expect(f.logs.some((line) => line.msg === 'delivery.attempt.succeeded' || line.msg === 'delivery.attempt.failed')).toBe(false);
  }, 60_000);
});
