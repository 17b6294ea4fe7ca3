// Migration 0004 on a database that 0001 and 0002 created and that holds tokens: each token keeps
// working and gets a distinct public id, no last use, and no bootstrap flag.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { initialSchema } from '../../src/storage/migrations/0001-initial-schema.js';
import { deliveryJobs } from '../../src/storage/migrations/0002-delivery-jobs.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import { testSecretBox } from '../helpers/temp-store.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

describe('migration 0004-api-token-ids [sqlite]', () => {
  let dir: string | null = null;
  afterEach(async () => {
    if (dir !== null) await rm(dir, { recursive: true, force: true });
    dir = null;
  });

  it('gives every existing token a distinct id and keeps it valid', async () => {
    dir = await mkdtemp(join(tmpdir(), 'squidship-migrate-'));
    const filePath = join(dir, 'squidship.db');
    const raw = new SqliteDatabase(filePath);
    const db: AnyDb = new Kysely({ dialect: new SqliteDialect({ database: raw }) });
    const provider = { getMigrations: async () => ({ '0001-initial-schema': initialSchema, '0002-delivery-jobs': deliveryJobs }) };
    const { error } = await new Migrator({ db, provider }).migrateToLatest();
    if (error !== undefined) throw error;
    await db.insertInto('accounts').values({ id: 'a'.repeat(32), name: 'default', email: 'd@example.com', created_at: 1 }).execute();
    await db.insertInto('api_tokens').values([
      { token_hash: '1'.repeat(64), account_id: 'a'.repeat(32), created_at: 2 },
      { token_hash: '2'.repeat(64), account_id: 'a'.repeat(32), created_at: 3 },
    ]).execute();
    await db.destroy();

    const store = await createSqliteStore({ filePath, secretBox: testSecretBox() });
    try {
      await store.migrate();
      const tokens = await store.listApiTokens();
      expect(tokens.map((token) => [token.accountName, token.createdAtMs, token.lastUsedAtMs, token.bootstrap])).toEqual([
        ['default', 2, null, false],
        ['default', 3, null, false],
      ]);
      expect(new Set(tokens.map((token) => token.id)).size).toBe(2);
      for (const token of tokens) expect(token.id).toMatch(/^[0-9a-f]{32}$/);
      expect((await store.findAccountByTokenHash('1'.repeat(64)))?.name).toBe('default');
    } finally {
      await store.close();
    }
  });
});
