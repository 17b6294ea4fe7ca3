// The shared store on PostgreSQL through `pg`: row locks (FOR UPDATE, SKIP LOCKED) serialise
// writers, result batches go in as arrays through unnest(), and workers are woken through
// LISTEN/NOTIFY so that a run completed on any machine starts its delivery at once.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { runMigrations } from '../migrations/run-migrations.js';
import type { SecretBox } from '../secret-box.js';
import type { Store } from '../store.js';
import { createKyselyStore } from '../kysely/create-kysely-store.js';
import type { Database } from '../kysely/database.js';
import { publishRowsInOneStep } from '../kysely/publish-ingest-rows.js';
import { toHashKey, type DialectOps, type ResultTarget, type SeqRange } from '../kysely/dialect-ops.js';
import type { NewResultRow } from '../../domain/types.js';
import { DELIVERY_CHANNEL, listenDeliveryWakeups } from './listen-delivery-wakeups.js';

const INT8_OID = 20;
const DEFAULT_POOL_SIZE = 10;
/** unnest() takes 6 parameters whatever the batch size; chunks only bound one message's size. */
const ROWS_PER_INSERT = 5000;
const UNIQUE_VIOLATION = '23505';

/** BIGINT columns hold epoch milliseconds and counts, all far below 2^53: read them as numbers. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

async function insertResultChunk(trx: Kysely<Database>, target: ResultTarget, rows: NewResultRow[]): Promise<SeqRange> {
  // WITH ORDINALITY + ORDER BY: the identity column numbers the rows in push order.
  const { rows: [range] } = await sql<{ first: number; last: number }>`
    with inserted as (
      insert into results (run_seq, squid_seq, ingest_seq, is_unique, row_hash, hash_key, scraping_time, data)
      select ${target.runSeq}, ${target.squidSeq}, ${target.ingestSeq}, 0, u.row_hash, u.hash_key, u.scraping_time, u.data
      from unnest(${rows.map((row) => row.rowHash)}::text[], ${rows.map((row) => toHashKey(row.rowHash))}::bigint[],
                  ${rows.map((row) => row.scrapingTimeMs)}::bigint[], ${rows.map((row) => row.data)}::text[])
           with ordinality as u(row_hash, hash_key, scraping_time, data, position)
      order by u.position
      returning seq
    )
    select min(seq) as first, max(seq) as last from inserted`.execute(trx);
  return { first: Number(range!.first), last: Number(range!.last) };
}

export async function createPostgresStore(options: { connectionString: string; secretBox: SecretBox; poolSize?: number }): Promise<Store> {
  const clientConfig: pg.ClientConfig = { connectionString: options.connectionString, types };
  const pool = new pg.Pool({ ...clientConfig, max: options.poolSize ?? DEFAULT_POOL_SIZE });
  // An idle pooled connection that breaks (server restart) is dropped from the pool, which
  // reports it here; the next query opens a new one, so there is nothing more to do.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Set<() => Promise<void>>();

  const ops: DialectOps = {
    dialect: 'postgres',
    rowLocks: true,
    db,
    transaction: (work) => db.transaction().execute(work),
    async insertResultRows(trx, target, rows) {
      let first = Number.MAX_SAFE_INTEGER;
      let last = 0;
      for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
        const range = await insertResultChunk(trx, target, rows.slice(start, start + ROWS_PER_INSERT));
        first = Math.min(first, range.first);
        last = Math.max(last, range.last);
      }
      return { first, last };
    },
    publishIngestRows: publishRowsInOneStep,
    // NOTIFY is transactional: listeners hear it only if, and when, the transaction commits.
    async notifyDeliveriesInTransaction(trx) {
      await sql`select pg_notify(${DELIVERY_CHANNEL}, '')`.execute(trx);
    },
    notifyDeliveriesCommitted: () => {},
    async subscribeDeliveryWakeups(listener) {
      const stop = await listenDeliveryWakeups(clientConfig, listener);
      const unsubscribe = async (): Promise<void> => {
        listeners.delete(unsubscribe);
        await stop();
      };
      listeners.add(unsubscribe);
      return unsubscribe;
    },
    isUniqueViolation: (error) => error instanceof Error && 'code' in error && error.code === UNIQUE_VIOLATION,
    migrate: () => runMigrations(db),
    async close() {
      await Promise.all([...listeners].map((unsubscribe) => unsubscribe()));
      await db.destroy();
    },
  };
  return createKyselyStore(ops, options.secretBox);
}
