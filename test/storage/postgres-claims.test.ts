// PostgreSQL across processes: several store instances (separate pools, as separate machines
// would have) claim deliveries with SKIP LOCKED, wake each other through LISTEN/NOTIFY, and
// commit results of one run concurrently.
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/storage/postgres/create-postgres-store.js';
import type { PlanDeliveries, Store } from '../../src/storage/store.js';
import { createTempPostgresStore, testDatabaseUrl, testSecretBox, type TempPostgresStore } from '../helpers/temp-store.js';
import { CRAWLER_ID, pushRows, readRawTables, readRun, s3Config, toRows } from './store-fixtures.js';
import { pollUntil } from '../helpers/poll-until.js';

const plan: PlanDeliveries = (run, _squid, destinations) =>
  destinations.map((destination) => ({ kind: destination.kind, event: 'file', config: destination.config, target: `${run.exportFileName}.csv` }));

/** Completes one new run of a new squid that has an active S3 destination. */
async function completeRunWithDelivery(store: Store, accountId: string, name: string): Promise<string> {
  const squid = await store.createSquid({ accountId, crawlerId: CRAWLER_ID, name, nowMs: 1 });
  await store.putDestination(squid.id, 's3', true, s3Config(), 1);
  const run = await store.startRun({ accountId, squidId: squid.id, nowMs: 2 });
  const { deliveries } = await store.completeRun({ accountId, runId: run.id, reason: 'tasks_done', nowMs: 3, exportFileName: name }, plan);
  return deliveries[0]!.id;
}

const describePostgres = testDatabaseUrl() === null ? describe.skip : describe;
if (testDatabaseUrl() === null) console.log('skipping PostgreSQL claim tests: set TEST_DATABASE_URL to run them');

describePostgres('PostgreSQL: several store instances on one database', () => {
  let temp: TempPostgresStore;
  let others: Store[];
  beforeEach(async () => {
    temp = (await createTempPostgresStore())!;
    others = [];
  });
  afterEach(async () => {
    await Promise.all(others.map((store) => store.close()));
    await temp.cleanup();
  });
  const openOther = async (): Promise<Store> => {
    const store = await createPostgresStore({ connectionString: temp.databaseUrl, secretBox: testSecretBox(), poolSize: 4 });
    others.push(store);
    return store;
  };

  it('gives each of many concurrent claimers distinct deliveries (SKIP LOCKED)', async () => {
    const account = await temp.store.createAccount({ name: 'acme', email: 'a@example.com', nowMs: 1 });
    const enqueued: string[] = [];
    for (let i = 0; i < 24; i += 1) enqueued.push(await completeRunWithDelivery(temp.store, account.id, `squid-${i}`));
    const stores = [temp.store, await openOther(), await openOther()];
    const claims: string[] = [];
    const claimer = async (store: Store, workerId: string): Promise<void> => {
      for (;;) {
        const delivery = await store.claimDueDelivery(workerId, 1000, 60_000);
        if (delivery === null) return;
        claims.push(delivery.id);
      }
    };
    await Promise.all(stores.flatMap((store, s) => [0, 1, 2, 3].map((c) => claimer(store, `worker-${s}-${c}`))));
    expect([...claims].sort()).toEqual([...enqueued].sort());
    for (const id of enqueued) {
      const delivery = await temp.store.getDelivery(id);
      expect(delivery!.attemptList).toHaveLength(1);
    }
  });

  it('wakes a subscriber of another instance through LISTEN/NOTIFY, also after its connection drops', async () => {
    const account = await temp.store.createAccount({ name: 'acme', email: 'a@example.com', nowMs: 1 });
    const worker = await openOther();
    let wakeups = 0;
    await worker.subscribeDeliveryWakeups(() => (wakeups += 1));
    await completeRunWithDelivery(temp.store, account.id, 'first');
    await pollUntil(() => wakeups === 1, { timeoutMs: 10_000, what: 'the first wake-up' });

    const listenerPids = async (): Promise<number[]> => {
      const client = new pg.Client({ connectionString: temp.databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()",
        );
        return rows.map((row) => row.pid);
      } finally {
        await client.end();
      }
    };
    const [pid] = await listenerPids();
    expect(pid).toBeDefined();
    const killer = new pg.Client({ connectionString: temp.databaseUrl });
    await killer.connect();
    await killer.query('SELECT pg_terminate_backend($1)', [pid]);
    await killer.end();
    // After reconnecting, the listener is called once for anything missed while it was down.
    await pollUntil(async () => wakeups >= 2 && (await listenerPids()).some((other) => other !== pid), { timeoutMs: 10_000, what: 'the LISTEN connection to come back' });
    const before = wakeups;
    await completeRunWithDelivery(temp.store, account.id, 'second');
    await pollUntil(() => wakeups > before, { timeoutMs: 10_000, what: 'a wake-up after the reconnect' });
  });

  it('commits concurrent ingests of one run from two instances with exact totals', async () => {
    const account = await temp.store.createAccount({ name: 'acme', email: 'a@example.com', nowMs: 1 });
    const squid = await temp.store.createSquid({ accountId: account.id, crawlerId: CRAWLER_ID, name: 's', nowMs: 1 });
    const run = await temp.store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 2 });
    const other = await openOther();
    // 16 batches of 50 rows over values 0..399: every value appears twice.
    const batches = Array.from({ length: 16 }, (_, b) => Array.from({ length: 50 }, (_, i) => ({ v: (b * 50 + i) % 400 })));
    await Promise.all(batches.map((batch, b) => pushRows(b % 2 === 0 ? temp.store : other, run.id, batch, 20)));
    expect(await temp.store.getRunById(run.id)).toMatchObject({ totalResults: 800, totalUniqueResults: 400 });
    const unique = (await readRun(temp.store, run.id, true)) as { v: number }[];
    expect(unique.map((row) => row.v).sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i));
  });

  it('discards an ingest while another instance appends to it, leaving no row behind', async () => {
    const account = await temp.store.createAccount({ name: 'acme', email: 'a@example.com', nowMs: 1 });
    const squid = await temp.store.createSquid({ accountId: account.id, crawlerId: CRAWLER_ID, name: 's', nowMs: 1 });
    const run = await temp.store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 2 });
    const ingestId = await temp.store.openIngest(run.id, 3);
    const rows = toRows(Array.from({ length: 40_000 }, (_, i) => ({ i, text: 'x'.repeat(200) })));
    const appending = (await openOther()).appendIngestRows(ingestId, rows).then(
      () => 'appended',
      (error: unknown) => (error as { code?: string }).code,
    );
    const watcher = new pg.Client({ connectionString: temp.databaseUrl });
    await watcher.connect();
    try {
      // The discard starts while the insert runs (it then waits for the append's row lock).
      await pollUntil(async () => {
        const { rows: active } = await watcher.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE '%insert into results%' AND state = 'active'");
        return active.length > 0 || (await Promise.race([appending, Promise.resolve(null)])) !== null;
      }, { timeoutMs: 10_000, what: 'the append to start' });
    } finally {
      await watcher.end();
    }
    await temp.store.discardIngest(ingestId);
    expect(['appended', 'IngestNotOpen']).toContain(await appending);
    expect(await readRun(temp.store, run.id)).toEqual([]);
    expect(await readRawTables({ dialect: 'postgres', ...temp }, ['results', 'ingests'])).toEqual([]);
  });
});
