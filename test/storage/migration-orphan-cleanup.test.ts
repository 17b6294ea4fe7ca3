// Migration 0005 on a database that 0001-0004 created and that holds open ingests: each gets its
// creation time as its heartbeat, so the first sweep after the upgrade discards those older than
// the stale age (left by a process that died before the upgrade) and keeps the recent ones.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { initialSchema } from '../../src/storage/migrations/0001-initial-schema.js';
import { deliveryJobs } from '../../src/storage/migrations/0002-delivery-jobs.js';
import { attemptEndpointAnswers } from '../../src/storage/migrations/0003-attempt-endpoint-answers.js';
import { apiTokenIds } from '../../src/storage/migrations/0004-api-token-ids.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import { testSecretBox } from '../helpers/temp-store.js';
import { toRows } from './store-fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

describe('migration 0005-orphan-cleanup [sqlite]', () => {
  let dir: string | null = null;
  afterEach(async () => {
    if (dir !== null) await rm(dir, { recursive: true, force: true });
    dir = null;
  });

  it('starts every existing ingest\'s heartbeat at its creation time', async () => {
    dir = await mkdtemp(join(tmpdir(), 'squidship-migrate-'));
    const filePath = join(dir, 'squidship.db');
    const raw = new SqliteDatabase(filePath);
    const db: AnyDb = new Kysely({ dialect: new SqliteDialect({ database: raw }) });
    const migrations = { '0001-initial-schema': initialSchema, '0002-delivery-jobs': deliveryJobs, '0003-attempt-endpoint-answers': attemptEndpointAnswers, '0004-api-token-ids': apiTokenIds };
    const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
    if (error !== undefined) throw error;
    await db.destroy();

    // An account, squid and run, and ingests as the version before 0005 wrote them (no heartbeat
    // column yet), in raw SQL: today's store expects columns of later migrations.
    const account = { id: 'a'.repeat(32) };
    const run = { id: 'c'.repeat(32) };
    const old = new SqliteDatabase(filePath);
    old.prepare("insert into accounts (id, name, email, created_at) values (?, 'acme', 'ops@example.com', 1)").run(account.id);
    old.prepare("insert into squids (id, account_id, crawler_id, name, is_active, export_unique_results, no_line_breaks, concurrency, created_at) values (?, ?, 'x', 'orphans', 1, 0, 0, 1, 1)").run('b'.repeat(32), account.id);
    old.prepare("insert into runs (id, squid_id, account_id, status, origin, started_at, created_at) values (?, ?, ?, 'running', 'api', 100, 100)").run(run.id, 'b'.repeat(32), account.id);
    const runSeq = (old.prepare('select seq from runs where id = ?').get(run.id) as { seq: number }).seq;
    old.prepare("insert into ingests (id, run_id, status, created_at) values ('old', ?, 'open', 1000), ('recent', ?, 'open', 9000)").run(run.id, run.id);
    const oldSeq = (old.prepare("select seq from ingests where id = 'old'").get() as { seq: number }).seq;
    old.prepare("insert into results (run_seq, squid_seq, ingest_seq, row_hash, hash_key, scraping_time, data) values (?, 1, ?, 'h', 1, 1, '{}')").run(runSeq, oldSeq);
    old.prepare("update ingests set first_result_seq = 1, last_result_seq = 1, row_count = 1 where id = 'old'").run();
    old.close();

    const store = await createSqliteStore({ filePath, secretBox: testSecretBox() });
    try {
      await store.migrate();
      expect(await store.discardStaleIngests({ heartbeatBeforeMs: 5000, nowMs: 10_000 })).toBe(1);
      await store.appendIngestRows('recent', toRows([{ a: 1 }]));
      await store.commitIngest('recent', ['a']);
      expect((await store.listResults(account.id, { runId: run.id }, { limit: 10, offset: 0 })).total).toBe(1);
    } finally {
      await store.close();
    }
    const after = new SqliteDatabase(filePath, { readonly: true });
    expect(after.prepare('select id, status, heartbeat_at from ingests').all()).toEqual([{ id: 'recent', status: 'committed', heartbeat_at: 9000 }]);
    expect(after.prepare('select count(*) as n from results').get()).toEqual({ n: 1 });
    after.close();
  });
});
