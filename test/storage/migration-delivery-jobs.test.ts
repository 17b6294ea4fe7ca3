// Migration 0002 on a database that 0001 created and that holds deliveries and attempts: every
// row keeps its values, the object key becomes the target, existing jobs are `file` jobs, a
// second event of the same round is allowed, and attempts still go with their delivery.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { initialSchema } from '../../src/storage/migrations/0001-initial-schema.js';
import { createPostgresStore } from '../../src/storage/postgres/create-postgres-store.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import type { Store } from '../../src/storage/store.js';
import { createTempPostgresDatabase, testDatabaseUrl, testSecretBox } from '../helpers/temp-store.js';
import { s3Config } from './store-fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const ID = (n: number) => String(n).padStart(32, '0');

/** 0001's schema with a finished run: two deliveries (round 1 and 2) and their attempts. */
async function fillVersion1(db: AnyDb): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ '0001-initial-schema': initialSchema }) } });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) throw error;
  const config = testSecretBox().encrypt(JSON.stringify(s3Config()));
  await db.insertInto('accounts').values({ id: ID(1), name: 'a', email: 'a@example.com', created_at: 1 }).execute();
  await db.insertInto('squids')
    .values({ id: ID(2), account_id: ID(1), crawler_id: ID(9), name: 's', is_active: 1, export_unique_results: 0, no_line_breaks: 0, concurrency: 1, created_at: 1 })
    .execute();
  await db.insertInto('runs')
    .values({ id: ID(3), squid_id: ID(2), account_id: ID(1), status: 'done', origin: 'user', started_at: 1, ended_at: 2, export_count: 1, created_at: 1 })
    .execute();
  const delivery = { run_id: ID(3), squid_id: ID(2), account_id: ID(1), kind: 's3', config, next_attempt_at: 2, created_at: 2 };
  await db.insertInto('deliveries')
    .values([
      { ...delivery, id: ID(4), round: 1, status: 'failed', object_key: 'exports/s_1.csv', attempts: 1, last_error: '{"code":"AccessDenied"}', finished_at: 3 },
      { ...delivery, id: ID(5), round: 2, status: 'succeeded', object_key: 'exports/s_1.csv', attempts: 1, finished_at: 5 },
    ])
    .execute();
  const attempt = { number: 1, worker_id: 'w', started_at: 3, ended_at: 4, object_key: 'exports/s_1.csv' };
  await db.insertInto('delivery_attempts')
    .values([
      { ...attempt, delivery_id: ID(4), outcome: 'failed', error: '{"code":"AccessDenied"}' },
      { ...attempt, delivery_id: ID(5), outcome: 'succeeded', rows: 10, bytes: 100, etag: '"e"' },
    ])
    .execute();
}

async function expectMigrated(store: Store, db: AnyDb): Promise<void> {
  const deliveries = await store.listRunDeliveries(ID(1), ID(3));
  expect(deliveries.map((d) => [d.id, d.kind, d.event, d.round, d.status, d.target, d.attempts])).toEqual([
    [ID(4), 's3', 'file', 1, 'failed', 'exports/s_1.csv', 1],
    [ID(5), 's3', 'file', 2, 'succeeded', 'exports/s_1.csv', 1],
  ]);
  expect(deliveries[0]!.config).toEqual(s3Config());
  expect(deliveries[0]!.lastError).toEqual({ code: 'AccessDenied' });
  expect(deliveries.map((d) => d.attemptList.map((a) => [a.number, a.outcome, a.target, a.rows, a.etag]))).toEqual([
    [[1, 'failed', 'exports/s_1.csv', null, null]],
    [[1, 'succeeded', 'exports/s_1.csv', 10, '"e"']],
  ]);
  // Another event of the same run, kind and round is a job of its own; the same event is not.
  const job = { run_id: ID(3), squid_id: ID(2), account_id: ID(1), kind: 's3', round: 1, status: 'pending', config: 'x', attempts: 0, next_attempt_at: 9, created_at: 9 };
  await db.insertInto('deliveries').values({ ...job, id: ID(6), event: 'run.running', target: null }).execute();
  await expect(db.insertInto('deliveries').values({ ...job, id: ID(7), event: 'file', target: null }).execute()).rejects.toThrow(/unique|UNIQUE/);
  // The attempts still reference their delivery: deleting the squid takes everything with it.
  expect(await store.deleteSquid(ID(1), ID(2), 9)).toBe(true);
  expect(await db.selectFrom('delivery_attempts').selectAll().execute()).toEqual([]);
}

describe('migration 0002-delivery-jobs [sqlite]', () => {
  let dir: string | null = null;
  afterEach(async () => {
    if (dir !== null) await rm(dir, { recursive: true, force: true });
    dir = null;
  });

  it('keeps the deliveries and attempts of a 0001 database, as file jobs with their object key as target', async () => {
    dir = await mkdtemp(join(tmpdir(), 'squidship-migrate-'));
    const filePath = join(dir, 'squidship.db');
    const raw = new SqliteDatabase(filePath);
    raw.pragma('foreign_keys = ON');
    const db: AnyDb = new Kysely({ dialect: new SqliteDialect({ database: raw }) });
    await fillVersion1(db);
    const store = await createSqliteStore({ filePath, secretBox: testSecretBox() });
    try {
      await store.migrate();
      await expectMigrated(store, db);
    } finally {
      await store.close();
      await db.destroy();
    }
  });
});

describe.skipIf(testDatabaseUrl() === null)('migration 0002-delivery-jobs [postgres]', () => {
  it('keeps the deliveries and attempts of a 0001 database, as file jobs with their object key as target', async () => {
    const database = await createTempPostgresDatabase();
    if (database === null) throw new Error('TEST_DATABASE_URL disappeared');
    const db: AnyDb = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.databaseUrl, max: 2 }) }) });
    const store = await createPostgresStore({ connectionString: database.databaseUrl, secretBox: testSecretBox(), poolSize: 2 });
    try {
      await fillVersion1(db);
      await store.migrate();
      await expectMigrated(store, db);
    } finally {
      await store.close();
      await db.destroy();
      await database.drop();
    }
  });
});
