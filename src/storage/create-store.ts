// Picks the store: PostgreSQL when a database URL is configured, else the embedded SQLite file.
// The store is not migrated here: callers run store.migrate() (serve and `squidship migrate`).
import { join } from 'node:path';
import type { SecretBox } from './secret-box.js';
import { createSqliteStore } from './sqlite/create-sqlite-store.js';
import type { Store } from './store.js';

export const SQLITE_FILE_NAME = 'squidship.db';

export interface CreateStoreOptions {
  databaseUrl: string | null;
  dataDir: string;
  secretBox: SecretBox;
  /** SQLite: how long a write waits for another process's write lock (default 5 s; the server sets its own). */
  sqliteBusyTimeoutMs?: number;
}

export async function createStore(options: CreateStoreOptions): Promise<Store> {
  if (options.databaseUrl !== null) {
    // Loaded only here: pg and its dialect are a tenth of the server's start-up imports, of no
    // use to a SQLite server (or the SQLite dialect's loading to a PostgreSQL one, which is smaller).
    const { createPostgresStore } = await import('./postgres/create-postgres-store.js');
    return createPostgresStore({ connectionString: options.databaseUrl, secretBox: options.secretBox });
  }
  return createSqliteStore({ filePath: join(options.dataDir, SQLITE_FILE_NAME), secretBox: options.secretBox, busyTimeoutMs: options.sqliteBusyTimeoutMs });
}
