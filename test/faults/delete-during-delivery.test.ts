// Issue 15 item 2, as an operator meets it: a squid deleted (DELETE /v1/squids/{id}) while its
// run is being uploaded. The squid is hidden at once and its rows purged in the background, so
// the export may find rows gone (its count check) or all still there (a purge behind it, or a
// PostgreSQL COPY's snapshot, caught by the liveness check at its end): either way nothing lands
// under the final key, never a short file, and no multipart upload is left open. The upload is held mid-way at a gate in front of the bucket, so the
// deletion lands while the export still has rows to read, however fast the machine is.
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/storage/store.js';
import { createTestConfig, lobstrS3Fields, startDeliveryFixture, type DeliveryFixture, type LogLine } from '../delivery/delivery-fixture.js';
import { isUploadPart, startPartGateProxy, type PartGateProxy } from '../delivery/part-gate-proxy.js';
import { pollUntil } from '../helpers/poll-until.js';
import { createTempPostgresStore, testDatabaseUrl, type TempPostgresStore } from '../helpers/temp-store.js';

const dialects = testDatabaseUrl() === null ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);
if (testDatabaseUrl() === null) console.log('delete-during-delivery: PostgreSQL variant skipped, set TEST_DATABASE_URL to run it');

/** How an attempt ends in the log: recorded, discarded (its job deleted), or given up. */
const ATTEMPT_ENDS = new Set(['delivery.attempt.succeeded', 'delivery.attempt.failed', 'delivery.attempt.discarded', 'delivery.lease.lost']);

/**
 * Runs well past what the upload reads ahead while its parts are held (two 5 MiB parts in
 * flight and the next one read, about 20 MiB on the export thread): under 20,000 rows the export
 * reads inline, in keyset batches, on both databases; past it, on the export thread.
 */
const CASES = [
  { path: 'inline', rows: 19_000, payloadBytes: 1500 },
  { path: 'on the export thread', rows: 60_000, payloadBytes: 560 },
] as const;

for (const dialect of dialects) describe(`deleting a squid while its run is delivered [${dialect}]`, () => {
  let fixture: DeliveryFixture | null = null;
  let gate: PartGateProxy | null = null;
  let pg: TempPostgresStore | null = null;

  afterEach(async () => {
    gate?.release();
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

  for (const { path, rows: rowCount, payloadBytes } of CASES) {
    it(`leaves nothing under the final key: never a short file, no open upload (export ${path})`, async () => {
      // A lease far longer than the test, so the export's own count, not a lease renewal that
      // finds the job gone, is what stops the upload.
      fixture = await startDeliveryFixture({ store: await store(), config: createTestConfig({ delivery: { leaseMs: 600_000 } }) });
      const f = fixture;
      const held = await startPartGateProxy(f.s3.endpoint, (method, url) => isUploadPart(method, url), { park: true });
      gate = held;
      await f.startWorker({ s3Defaults: { ...f.s3Defaults, endpoint: held.endpoint } });

      const squidId = await f.createSquid();
      expect((await f.configureS3(squidId, { s3_fields: lobstrS3Fields('exports') })).status).toBe(201);
      const runId = await f.startRun(squidId);
      const payload = 'x'.repeat(payloadBytes);
      const rows = Array.from({ length: rowCount }, (_, i) => ({ i, payload }));
      await f.pushRows(runId, rows);
      expect((await f.completeRun(runId)).status).toBe(200);

      // Two parts in flight, held: the export has read ahead all it may and waits.
      await pollUntil(() => held.held >= 2, { timeoutMs: 60_000, what: 'two parts to reach the gate' });
      const deleted = await f.server.request('DELETE', `/v1/squids/${squidId}`);
      expect(deleted.status).toBeLessThan(300);
      held.release();

      const ended = (line: LogLine): boolean => line.runId === runId && ATTEMPT_ENDS.has(line.msg);
      await pollUntil(() => f.logs.some(ended), { timeoutMs: 60_000, what: () => `the attempt to end: ${JSON.stringify(f.logs.filter((line) => line.runId === runId))}` });
      await pollUntil(async () => (await f.openUploads()) === 0, { timeoutMs: 20_000, what: 'no multipart upload left open' });

      // The deletion came before the export's last part: nothing lands, on either database,
      // whether its reader saw the rows go (the count) or read a snapshot of them (liveness).
      expect(await f.listKeys('exports/')).toEqual([]);
      expect(f.logs.find(ended)?.msg).not.toBe('delivery.attempt.succeeded');
    });
  }
});
