// Temporary, migrated stores for tests: a SQLite file in a fresh temp folder, or a fresh
// PostgreSQL database on the TEST_DATABASE_URL server (dropped again on cleanup).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { createPostgresStore } from '../../src/storage/postgres/create-postgres-store.js';
import { createSecretBox, type SecretBox } from '../../src/storage/secret-box.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import type { Store } from '../../src/storage/store.js';

const processKey = randomBytes(32);

/** One AES key per test process, so stores of the same process can read each other's secrets. */
export function testSecretBox(): SecretBox {
  return createSecretBox(processKey);
}

export interface TempSqliteStore {
  store: Store;
  /** The temp folder holding the database file `squidship.db`. */
  dir: string;
  cleanup(): Promise<void>;
}

export interface TempPostgresStore {
  store: Store;
  /** The URL of the fresh database, for a second store or raw queries. */
  databaseUrl: string;
  cleanup(): Promise<void>;
}

export type TempStore = ({ dialect: 'sqlite' } & TempSqliteStore) | ({ dialect: 'postgres' } & TempPostgresStore);

/** `busyTimeoutMs`: the store's wait for another connection's write lock (default the CLI's 5 s). */
export async function createTempSqliteStore(options: { busyTimeoutMs?: number } = {}): Promise<TempSqliteStore> {
  const dir = await mkdtemp(join(tmpdir(), 'squidship-test-'));
  const store = await createSqliteStore({ filePath: join(dir, 'squidship.db'), secretBox: testSecretBox(), busyTimeoutMs: options.busyTimeoutMs });
  await store.migrate();
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The PostgreSQL server tests may use, or null (those tests are then skipped). */
export function testDatabaseUrl(): string | null {
  const url = process.env.TEST_DATABASE_URL;
  return url === undefined || url.trim() === '' ? null : url.trim();
}

/**
 * A fresh, empty database `squidship_t_<random>` on the TEST_DATABASE_URL server (null when it
 * is unset); `drop()` removes it even while connections are open.
 */
export async function createTempPostgresDatabase(): Promise<{ databaseUrl: string; drop(): Promise<void> } | null> {
  const serverUrl = testDatabaseUrl();
  if (serverUrl === null) return null;
  const databaseName = `squidship_t_${randomBytes(6).toString('hex')}`;
  await runOnServer(serverUrl, `CREATE DATABASE ${databaseName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  return {
    databaseUrl: url.toString(),
    drop: () => runOnServer(serverUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`),
  };
}

/** null when TEST_DATABASE_URL is unset. */
export async function createTempPostgresStore(): Promise<TempPostgresStore | null> {
  const database = await createTempPostgresDatabase();
  if (database === null) return null;
  const store = await createPostgresStore({ connectionString: database.databaseUrl, secretBox: testSecretBox(), poolSize: 4 });
  await store.migrate();
  return {
    store,
    databaseUrl: database.databaseUrl,
    async cleanup() {
      await store.close();
      await database.drop();
    },
  };
}

async function runOnServer(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * Declares the same tests for SQLite and, when TEST_DATABASE_URL is set, PostgreSQL, with a
 * fresh migrated store per test. `getTemp` gives the dialect and where the database lives, for
 * tests that open a second store or read raw tables.
 */
export function describeEachDialect(
  name: string,
  body: (getStore: () => Store, getTemp: () => TempStore) => void,
): void {
  describeDialect(`${name} [sqlite]`, async () => ({ dialect: 'sqlite', ...(await createTempSqliteStore()) }), body);
  if (testDatabaseUrl() === null) {
    describe.skip(`${name} [postgres]`, () => {
      it('needs TEST_DATABASE_URL', () => {});
    });
    console.log(`skipping "${name} [postgres]": set TEST_DATABASE_URL=postgres://user@host:5432/db to run it`);
    return;
  }
  describeDialect(
    `${name} [postgres]`,
    async () => {
      const temp = await createTempPostgresStore();
      if (temp === null) throw new Error('TEST_DATABASE_URL disappeared');
      return { dialect: 'postgres', ...temp };
    },
    body,
  );
}

function describeDialect(
  title: string,
  create: () => Promise<TempStore>,
  body: (getStore: () => Store, getTemp: () => TempStore) => void,
): void {
  describe(title, () => {
    let temp: TempStore | null = null;
    beforeEach(async () => {
      temp = await create();
    });
    afterEach(async () => {
      await temp?.cleanup();
      temp = null;
    });
    const getTemp = (): TempStore => {
      if (temp === null) throw new Error('the store exists only inside a test');
      return temp;
    };
    body(() => getTemp().store, getTemp);
  });
}
