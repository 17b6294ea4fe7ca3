// SQL of a test's own on a temp store's database, on a connection apart from the store's: for
// what no Store verb does (rows removed behind the store's back, as a background purge would).
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import type { TempStore } from './temp-store.js';

/** Runs one statement (`$1`-style parameters on both dialects); answers the rows it changed. */
export type RunSql = (sql: string, params: unknown[]) => Promise<number>;

export async function withRawSql<T>(temp: TempStore, use: (run: RunSql) => Promise<T>): Promise<T> {
  if (temp.dialect === 'sqlite') {
    const db = new SqliteDatabase(join(temp.dir, 'squidship.db'));
    try {
      return await use(async (sql, params) => db.prepare(sql.replace(/\$\d+/g, '?')).run(...params).changes);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: temp.databaseUrl });
  await client.connect();
  try {
    return await use(async (sql, params) => (await client.query(sql, params)).rowCount ?? 0);
  } finally {
    await client.end();
  }
}

/**
 * Deletes the run's oldest results `batchRows` at a time (all of them, or `rowsToPurge`), as a
 * background purge of a deleted squid does.
 */
export async function purgeRunResults(temp: TempStore, runId: string, batchRows: number, rowsToPurge = Number.POSITIVE_INFINITY): Promise<void> {
  const sql = 'DELETE FROM results WHERE seq IN (SELECT seq FROM results WHERE run_seq = (SELECT seq FROM runs WHERE id = $1) ORDER BY seq LIMIT $2)';
  await withRawSql(temp, async (run) => {
    for (let purged = 0; purged < rowsToPurge; ) {
      const deleted = await run(sql, [runId, Math.min(batchRows, rowsToPurge - purged)]);
      if (deleted === 0) break;
      purged += deleted;
    }
  });
}
