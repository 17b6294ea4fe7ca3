// The storage contract for ingests left by dead processes (issue 15, item 5): heartbeats keep a
// live ingest, a stale one is discarded in bounded batches, and an ingest being discarded takes
// no more rows and stays invisible. SQLite and (with TEST_DATABASE_URL) PostgreSQL.
import { expect, it } from 'vitest';
import type { Store } from '../../src/storage/store.js';
import { describeEachDialect } from '../helpers/temp-store.js';
import { createAccountWithSquid, expectAppError, readRawTables, readRun, toRows } from './store-fixtures.js';

async function runningRun(store: Store) {
  const { account, squid } = await createAccountWithSquid(store);
  const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 });
  return { account, run };
}

const objects = (from: number, count: number) => Array.from({ length: count }, (_, n) => ({ n: from + n }));

describeEachDialect('store contract: stale ingests', (getStore, getTemp) => {
  it('discards only the ingests whose heartbeat stopped, however long ago a live one opened', async () => {
    const store = getStore();
    const { account, run } = await runningRun(store);
    const dead = await store.openIngest(run.id, 1000);
    await store.appendIngestRows(dead, toRows(objects(0, 3)));
    const alive = await store.openIngest(run.id, 1000);
    await store.appendIngestRows(alive, toRows(objects(10, 2)));
    expect(await store.touchIngests([alive], 9000)).toBe(1);

    expect(await store.discardStaleIngests({ heartbeatBeforeMs: 5000, nowMs: 10_000 })).toBe(1);
    await store.appendIngestRows(alive, toRows(objects(12, 1)));
    await store.commitIngest(alive, ['n']);
    expect(await readRun(store, run.id)).toEqual(objects(10, 3));
    expect((await store.listResults(account.id, { runId: run.id }, { limit: 10, offset: 0 })).total).toBe(3);
    await expectAppError(store.appendIngestRows(dead, toRows(objects(20, 1))), 'IngestNotOpen', 409);
    // A committed ingest is never touched nor discarded, whatever its heartbeat.
    expect(await store.touchIngests([alive, dead], 20_000)).toBe(0);
    expect(await store.discardStaleIngests({ heartbeatBeforeMs: Number.MAX_SAFE_INTEGER, nowMs: 30_000 })).toBe(0);
    const left = (await readRawTables(getTemp(), ['results'])) as Array<{ data: string }>;
    expect(left.map((row) => JSON.parse(row.data))).toEqual(objects(10, 3));
  });

  it('deletes a stale ingest\'s rows in batches and leaves neither rows nor the ingest', async () => {
    const store = getStore();
    const { run } = await runningRun(store);
    const kept = await store.openIngest(run.id, 1000);
    await store.appendIngestRows(kept, toRows(objects(0, 2)));
    const dead = await store.openIngest(run.id, 1000);
    // Interleaved with a live ingest's rows: the batches must delete only the dead one's.
    for (let n = 0; n < 5; n += 1) {
      await store.appendIngestRows(dead, toRows(objects(100 + n * 3, 3)));
      if (n === 2) await store.appendIngestRows(kept, toRows(objects(2, 1)));
    }
    await store.touchIngests([kept], 8000);
    expect(await store.discardStaleIngests({ heartbeatBeforeMs: 5000, nowMs: 9000, batchRows: 4 })).toBe(1);
    await store.commitIngest(kept, ['n']);
    const rows = (await readRawTables(getTemp(), ['results'])) as Array<{ data: string }>;
    expect(rows.map((row) => JSON.parse(row.data))).toEqual(objects(0, 3));
    const ingests = (await readRawTables(getTemp(), ['ingests'])) as Array<{ status: string }>;
    expect(ingests.map((ingest) => ingest.status)).toEqual(['committed']);
  });

  it('makes a discard take the ingest out of service before its rows go, for every writer', async () => {
    const store = getStore();
    const { account, run } = await runningRun(store);
    const ingestId = await store.openIngest(run.id, 1000);
    await store.appendIngestRows(ingestId, toRows(objects(0, 4)));
    await store.discardIngest(ingestId);
    await expectAppError(store.appendIngestRows(ingestId, toRows(objects(4, 1))), 'IngestNotOpen', 409);
    await expectAppError(store.commitIngest(ingestId, ['n']), 'IngestNotOpen', 409);
    expect(await store.touchIngests([ingestId], 2000)).toBe(0);
    expect((await store.listResults(account.id, { runId: run.id }, { limit: 10, offset: 0 })).items).toEqual([]);
    expect(await readRawTables(getTemp(), ['results', 'ingests'])).toEqual([]);
  });

  it('lets one of two concurrent sweepers take an ingest, and the other leave it alone', async () => {
    const store = getStore();
    const { run } = await runningRun(store);
    const ingestId = await store.openIngest(run.id, 1000);
    await store.appendIngestRows(ingestId, toRows(objects(0, 3)));
    // Two sweepers at once: one claims the ingest (its mark is now 6000), the other finds it taken.
    const sweeps = await Promise.all([
      store.discardStaleIngests({ heartbeatBeforeMs: 5000, nowMs: 6000 }),
      store.discardStaleIngests({ heartbeatBeforeMs: 5000, nowMs: 6000 }),
    ]);
    expect(sweeps.sort()).toEqual([0, 1]);
    expect(await readRawTables(getTemp(), ['results', 'ingests'])).toEqual([]);
    expect(await readRun(store, run.id)).toEqual([]);
  });
});
