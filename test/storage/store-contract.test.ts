// The storage contract, part 1: accounts, squids, runs, result ingestion and reading. Runs on
// SQLite and (with TEST_DATABASE_URL) PostgreSQL; part 2 covers deliveries.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/storage/create-store.js';
import { createPostgresStore } from '../../src/storage/postgres/create-postgres-store.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import type { Store } from '../../src/storage/store.js';
import { createTempPostgresDatabase, describeEachDialect, testSecretBox } from '../helpers/temp-store.js';
import { CRAWLER_ID, createAccountWithSquid, expectAppError, purgeDeletedSquids, pushRows, readRawTables, readRun, readRunTextBatches, toRows } from './store-fixtures.js';

const page = (limit: number, offset = 0) => ({ limit, offset });

describeEachDialect('store contract: accounts and squids', (getStore) => {
  it('creates accounts, finds them by name and by API token hash', async () => {
    const store = getStore();
    expect(await store.findAccountByName('first')).toBeNull();
    const first = await store.createAccount({ name: 'first', email: 'a@example.com', nowMs: 10 });
    const second = await store.createAccount({ name: 'second', email: 'b@example.com', nowMs: 10 });
    expect(first.id).toMatch(/^[0-9a-f]{32}$/);
    expect(await store.findAccountByName('first')).toEqual(first);
    expect(await store.findAccountByName('second')).toEqual(second);
    expect(await store.findAccountByName('nobody')).toBeNull();
    await store.addApiToken(second.id, 'ab'.repeat(32), 20);
    await store.addApiToken(second.id, 'ab'.repeat(32), 21);
    expect(await store.findAccountByTokenHash('ab'.repeat(32))).toEqual(second);
    expect(await store.findAccountByTokenHash('cd'.repeat(32))).toBeNull();
  });

  it('keeps squid names unique per account and scopes every read to the account', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store, 'acme');
    const other = await createAccountWithSquid(store, 'other');
    expect(squid).toMatchObject({ accountId: account.id, crawlerId: CRAWLER_ID, isActive: true, exportUniqueResults: false, noLineBreaks: false, concurrency: 1 });
    await expectAppError(store.createSquid({ accountId: account.id, crawlerId: CRAWLER_ID, name: 'acme squid', nowMs: 1 }), 'DuplicateSquid', 400);
    const sameNameElsewhere = await store.createSquid({ accountId: other.account.id, crawlerId: CRAWLER_ID, name: 'acme squid', nowMs: 1 });
    expect(sameNameElsewhere.name).toBe('acme squid');
    expect(await store.getSquid(account.id, squid.id)).toEqual(squid);
    expect(await store.getSquid(other.account.id, squid.id)).toBeNull();
    expect(await store.getSquidById(squid.id)).toEqual(squid);
    expect(await store.updateSquid(other.account.id, squid.id, { name: 'stolen' })).toBeNull();
    expect(await store.deleteSquid(other.account.id, squid.id, 1)).toBe(false);
    expect(await store.getSquid(account.id, squid.id)).toEqual(squid);
  });

  it('lists squids oldest first with a case-insensitive name filter and a total', async () => {
    const store = getStore();
    const { account } = await createAccountWithSquid(store, 'acme');
    for (const name of ['Shop 100%', 'shop_b', 'Blog']) {
      await store.createSquid({ accountId: account.id, crawlerId: CRAWLER_ID, name, nowMs: 5 });
    }
    const all = await store.listSquids(account.id, {}, page(2));
    expect(all.total).toBe(4);
    expect(all.items.map((squid) => squid.name)).toEqual(['acme squid', 'Shop 100%']);
    const shops = await store.listSquids(account.id, { nameContains: 'SHOP' }, page(10));
    expect(shops.items.map((squid) => squid.name)).toEqual(['Shop 100%', 'shop_b']);
    expect((await store.listSquids(account.id, { nameContains: '0%' }, page(10))).items.map((s) => s.name)).toEqual(['Shop 100%']);
    expect((await store.listSquids(account.id, { nameContains: 'p_' }, page(10))).items.map((s) => s.name)).toEqual(['shop_b']);
    expect(await store.listSquidNamesStartingWith(account.id, 'shop')).toEqual(['shop_b']);
  });

  it('updates squid settings and refuses a rename onto a taken name', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store, 'acme');
    await store.createSquid({ accountId: account.id, crawlerId: CRAWLER_ID, name: 'taken', nowMs: 5 });
    const updated = await store.updateSquid(account.id, squid.id, { name: 'renamed', isActive: false, exportUniqueResults: true, noLineBreaks: true, concurrency: 7 });
    expect(updated).toEqual({ ...squid, name: 'renamed', isActive: false, exportUniqueResults: true, noLineBreaks: true, concurrency: 7 });
    expect(await store.updateSquid(account.id, squid.id, {})).toEqual(updated);
    await expectAppError(store.updateSquid(account.id, squid.id, { name: 'taken' }), 'DuplicateSquid', 400);
  });
});

describeEachDialect('store contract: runs', (getStore) => {
  it('starts one active run per squid and lists runs newest first', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store);
    const other = await createAccountWithSquid(store, 'other');
    const first = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 });
    expect(first).toMatchObject({ status: 'running', origin: 'user', totalResults: 0, totalUniqueResults: 0, startedAtMs: 100, endedAtMs: null, doneReason: null, exportDone: null, exportCount: 0 });
    const error = await expectAppError(store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 101 }), 'RunInProgress', 400);
    expect(error.message).toBe(`Squid ${squid.id} already has an active run ${first.id}`);
    await store.completeRun({ accountId: account.id, runId: first.id, reason: 'tasks_done', nowMs: 200, exportFileName: 'f' }, () => []);
    const second = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 300 });
    const runs = await store.listRuns(account.id, squid.id, page(10));
    expect(runs.total).toBe(2);
    expect(runs.items.map((run) => run.id)).toEqual([second.id, first.id]);
    expect((await store.listRuns(account.id, squid.id, page(1, 1))).items.map((run) => run.id)).toEqual([first.id]);
    expect(await store.getLastRun(squid.id)).toEqual({ run: second, totalRuns: 2 });
    expect(await store.getRun(account.id, first.id)).toMatchObject({ status: 'done', doneReason: 'tasks_done' });
    expect(await store.getRun(other.account.id, first.id)).toBeNull();
    expect((await store.listRuns(other.account.id, squid.id, page(10))).total).toBe(0);
    await expectAppError(store.startRun({ accountId: other.account.id, squidId: squid.id, nowMs: 1 }), 'SquidDoesNotExistException', 404);
  });
});

describeEachDialect('store contract: results', (getStore) => {
  async function runningRun(store: Store) {
    const { account, squid } = await createAccountWithSquid(store);
    const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 });
    return { account, squid, run };
  }

  it('hides the rows of an open ingest until it is committed', async () => {
    const store = getStore();
    const { account, run } = await runningRun(store);
    const ingestId = await store.openIngest(run.id, 200);
    await store.appendIngestRows(ingestId, toRows([{ a: 1 }, { a: 2 }]));
    await store.appendIngestRows(ingestId, toRows([{ a: 3 }], 7777));
    expect(await store.listResults(account.id, { runId: run.id }, page(10))).toEqual({ items: [], total: 0 });
    expect(await readRun(store, run.id)).toEqual([]);
    const committed = await store.commitIngest(ingestId, ['a']);
    expect(committed).toMatchObject({ id: run.id, totalResults: 3, totalUniqueResults: 3 });
    const listed = await store.listResults(account.id, { runId: run.id }, page(10));
    expect(listed.total).toBe(3);
    expect(listed.items.map((row) => JSON.parse(row.data))).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(listed.items[2]).toMatchObject({ runId: run.id, squidId: run.squidId, scrapingTimeMs: 7777 });
    await expectAppError(store.commitIngest(ingestId, ['a']), 'IngestNotOpen', 409);
  });

  it('leaves nothing behind from a discarded ingest, or one left open by a crash', async () => {
    const store = getStore();
    const { account, run } = await runningRun(store);
    const discarded = await store.openIngest(run.id, 200);
    await store.appendIngestRows(discarded, toRows([{ a: 1 }]));
    await store.discardIngest(discarded);
    const stale = await store.openIngest(run.id, 300);
    await store.appendIngestRows(stale, toRows([{ a: 2 }]));
    const fresh = await store.openIngest(run.id, 500);
    expect(await store.discardStaleIngests({ heartbeatBeforeMs: 400, nowMs: 600 })).toBe(1);
    await store.appendIngestRows(fresh, toRows([{ a: 3 }]));
    await store.commitIngest(fresh, ['a']);
    await expectAppError(store.appendIngestRows(stale, toRows([{ a: 4 }])), 'IngestNotOpen', 409);
    expect(await readRun(store, run.id)).toEqual([{ a: 3 }]);
    expect((await store.listResults(account.id, { runId: run.id }, page(10))).total).toBe(1);
  });

  it('rejects a commit once the run stopped running, and discards its rows', async () => {
    const store = getStore();
    const { account, run } = await runningRun(store);
    const ingestId = await store.openIngest(run.id, 200);
    await store.appendIngestRows(ingestId, toRows([{ a: 1 }]));
    await store.completeRun({ accountId: account.id, runId: run.id, reason: 'aborted', nowMs: 300, exportFileName: 'f' }, () => []);
    await expectAppError(store.commitIngest(ingestId, ['a']), 'RunNotRunning', 409);
    expect(await readRun(store, run.id)).toEqual([]);
    expect(await store.getRunById(run.id)).toMatchObject({ status: 'aborted', totalResults: 0 });
    expect(await store.discardStaleIngests({ heartbeatBeforeMs: Number.MAX_SAFE_INTEGER, nowMs: 1 })).toBe(0);
  });

  it('keeps the run columns in first-seen order across commits', async () => {
    const store = getStore();
    const { run } = await runningRun(store);
    await pushRows(store, run.id, [{ b: 1, a: 2 }]);
    await pushRows(store, run.id, [{ c: 1, a: 2 }, { d: 1 }]);
    expect(await store.getRunColumns(run.id)).toEqual(['b', 'a', 'c', 'd']);
  });

  it('counts unique rows across and within batches and streams them in push order', async () => {
    const store = getStore();
    const { run } = await runningRun(store);
    await pushRows(store, run.id, [{ n: 1 }, { n: 2 }, { n: 1 }], 2);
    const after = await pushRows(store, run.id, [{ n: 2 }, { n: 3 }, { n: 3 }, { n: 4 }]);
    expect(after).toMatchObject({ totalResults: 7, totalUniqueResults: 4 });
    expect(await readRun(store, run.id, true)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    expect(await readRun(store, run.id, false)).toEqual([1, 2, 1, 2, 3, 3, 4].map((n) => ({ n })));
    const batches = await readRunTextBatches(store, run.id, false, 3);
    expect(batches.map((batch) => batch.length)).toEqual([3, 3, 1]);
    expect(batches.flat()).toEqual([1, 2, 1, 2, 3, 3, 4].map((n) => JSON.stringify({ n })));
  });

  it('keeps interleaved ingests apart and counts each hash once', async () => {
    const store = getStore();
    const { run } = await runningRun(store);
    const first = await store.openIngest(run.id, 200);
    const second = await store.openIngest(run.id, 200);
    await store.appendIngestRows(first, toRows([{ x: 'a' }, { x: 'b' }]));
    await store.appendIngestRows(second, toRows([{ x: 'b' }, { x: 'c' }]));
    await store.appendIngestRows(first, toRows([{ x: 'c' }, { x: 'd' }]));
    await store.commitIngest(second, ['x']);
    const done = await store.commitIngest(first, ['x']);
    expect(done).toMatchObject({ totalResults: 6, totalUniqueResults: 4 });
    expect(await readRun(store, run.id)).toEqual(['a', 'b', 'b', 'c', 'c', 'd'].map((x) => ({ x })));
    expect(await readRun(store, run.id, true)).toEqual(['a', 'b', 'c', 'd'].map((x) => ({ x })));
  });

  it('lists results by squid across runs, paginated and scoped to the account', async () => {
    const store = getStore();
    const { account, squid, run } = await runningRun(store);
    const other = await createAccountWithSquid(store, 'other');
    await pushRows(store, run.id, [{ i: 1 }, { i: 2 }]);
    await store.completeRun({ accountId: account.id, runId: run.id, reason: 'tasks_done', nowMs: 300, exportFileName: 'f' }, () => []);
    const next = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 400 });
    await pushRows(store, next.id, [{ i: 3 }, { i: 4 }, { i: 5 }]);
    const second = await store.listResults(account.id, { squidId: squid.id }, page(2, 2));
    expect(second.total).toBe(5);
    expect(second.items.map((row) => [JSON.parse(row.data).i, row.runId])).toEqual([[3, next.id], [4, next.id]]);
    expect((await store.listResults(account.id, { runId: next.id }, page(10))).total).toBe(3);
    expect(await store.listResults(other.account.id, { squidId: squid.id }, page(10))).toEqual({ items: [], total: 0 });
    expect(await store.listResults(other.account.id, { runId: run.id }, page(10))).toEqual({ items: [], total: 0 });
  });

  it('streams a run larger than one batch without skipping or repeating rows', async () => {
    const store = getStore();
    const { run } = await runningRun(store);
    const objects = Array.from({ length: 2500 }, (_, i) => ({ i, text: `row ${i % 700}` }));
    const committed = await pushRows(store, run.id, objects, 600);
    expect(committed.totalUniqueResults).toBe(2500);
    const rows = (await readRun(store, run.id, false, 1000)) as { i: number }[];
    expect(rows.map((row) => row.i)).toEqual(objects.map((object) => object.i));
  });
});

describeEachDialect('store contract: migrations and deletion', (getStore, getTemp) => {
  it('lets several processes migrate one database at the same time', async () => {
    const temp = getTemp();
    if (temp.dialect === 'sqlite') {
      const filePath = join(temp.dir, 'nested', 'second.db');
      const outputs = await Promise.all([1, 2, 3].map(() => runProcess(MIGRATE_SCRIPT, [filePath])));
      expect(outputs).toEqual(['migrated\n', 'migrated\n', 'migrated\n']);
      const store = await createSqliteStore({ filePath, secretBox: testSecretBox() });
      await store.migrate();
      expect(await store.createAccount({ name: 'a', email: 'e', nowMs: 1 })).toMatchObject({ name: 'a' });
      await store.close();
      return;
    }
    const database = await createTempPostgresDatabase();
    if (database === null) throw new Error('TEST_DATABASE_URL disappeared');
    const open = () => createPostgresStore({ connectionString: database.databaseUrl, secretBox: testSecretBox(), poolSize: 2 });
    const stores = [await open(), await open(), await open()];
    try {
      await Promise.all(stores.map((store) => store.migrate()));
      const account = await stores[0]!.createAccount({ name: 'shared', email: 's@example.com', nowMs: 1 });
      expect(await stores[1]!.findAccountByName('shared')).toEqual(account);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await database.drop();
    }
  });

  it('deletes a squid with its runs, results, columns, destinations and deliveries', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store);
    const keep = await createAccountWithSquid(store, 'keep');
    const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 });
    const kept = await store.startRun({ accountId: keep.account.id, squidId: keep.squid.id, nowMs: 100 });
    await pushRows(store, run.id, [{ a: 1 }]);
    await pushRows(store, kept.id, [{ k: 1 }]);
    await store.openIngest(run.id, 150);
    await store.putDestination(squid.id, 's3', true, { bucket: 'b', targetPath: '', accessKeyId: null, secretAccessKey: null, region: null, endpoint: null, forcePathStyle: null }, 150);
    const { deliveries } = await store.completeRun(
      { accountId: account.id, runId: run.id, reason: 'tasks_done', nowMs: 200, exportFileName: 'f' },
      (_run, _squid, destinations) => destinations.map((d) => ({ kind: d.kind, event: 'file', config: d.config, target: 'f.csv' })),
    );
    await store.claimDueDelivery('worker-1', 300, 1000);
    expect(await store.deleteSquid(account.id, squid.id, 400)).toBe(true);
    // Gone from every read at once, its deliveries cancelled, before any row is purged.
    expect(await store.getSquidById(squid.id)).toBeNull();
    expect(await store.getSquid(account.id, squid.id)).toBeNull();
    expect((await store.listSquids(account.id, {}, page(10))).total).toBe(0);
    expect(await store.getRunById(run.id)).toBeNull();
    expect(await store.getRun(account.id, run.id)).toBeNull();
    expect((await store.listRuns(account.id, squid.id, page(10))).total).toBe(0);
    expect(await store.listResults(account.id, { squidId: squid.id }, page(10))).toEqual({ items: [], total: 0 });
    expect(await store.listResults(account.id, { runId: run.id }, page(10))).toEqual({ items: [], total: 0 });
    expect(await readRun(store, run.id)).toEqual([]);
    expect(await store.listDestinations(squid.id)).toEqual([]);
    expect(await store.getDelivery(deliveries[0]!.id)).toBeNull();
    expect(await store.renewLease(deliveries[0]!.id, 'worker-1', 2000)).toBe(false);
    expect(await store.deleteSquid(account.id, squid.id, 400)).toBe(false);
    // Its name is free at once.
    const again = await store.createSquid({ accountId: account.id, crawlerId: CRAWLER_ID, name: squid.name, nowMs: 500 });
    expect(await store.getSquid(account.id, again.id)).toMatchObject({ name: squid.name });
    expect((await readRawTables(getTemp(), ['results'])).length).toBe(2);
    expect(await purgeDeletedSquids(store)).toBeGreaterThan(0);
    expect(await store.purgeDeletedSquid(1000)).toBeNull();
    expect(await store.getRunColumns(run.id)).toEqual([]);
    expect(await store.discardStaleIngests({ heartbeatBeforeMs: Number.MAX_SAFE_INTEGER, nowMs: 1 })).toBe(0);
    expect(await readRun(store, kept.id)).toEqual([{ k: 1 }]);
    const left = (await readRawTables(getTemp(), ['results', 'ingests', 'run_columns', 'deliveries', 'delivery_attempts'])) as { data?: string }[];
    expect(left.filter((row) => row.data !== undefined).map((row) => row.data)).toEqual(['{"k":1}']);
    expect(left.filter((row) => row.data === undefined)).toHaveLength(2); // kept's ingest and column
  });
});

const MIGRATE_SCRIPT = fileURLToPath(new URL('./migrate-sqlite-process.ts', import.meta.url));

/** Runs a TypeScript file in a new Node process (through tsx); resolves with its stdout. */
function runProcess(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${script} failed: ${stderr}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

describe('createStore', () => {
  it('opens SQLite at <dataDir>/squidship.db when no database URL is set, creating the folder', async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'squidship-test-')), 'not', 'yet');
    const store = await createStore({ databaseUrl: null, dataDir, secretBox: testSecretBox() });
    try {
      expect(store.dialect).toBe('sqlite');
      await store.migrate();
      await store.ping();
      expect(existsSync(join(dataDir, 'squidship.db'))).toBe(true);
    } finally {
      await store.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
