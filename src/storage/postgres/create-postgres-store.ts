// The shared store on PostgreSQL through `pg`: row locks (FOR UPDATE, SKIP LOCKED) serialise
// writers, result batches go in as arrays through unnest(), and workers are woken through
// LISTEN/NOTIFY so that a run completed on any machine starts its delivery at once.
import { Kysely, PostgresDialect, sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import { runMigrations } from '../migrations/run-migrations.js';
import type { SecretBox } from '../secret-box.js';
import type { IngestRow, Store } from '../store.js';
import { createKyselyStore } from '../kysely/create-kysely-store.js';
import type { Database } from '../kysely/database.js';
import { planPostgresResultTexts, postgresResultExportOps } from './result-export-ops.js';
import { toHashKey, type DialectOps, type ResultTarget, type SeqRange } from '../kysely/dialect-ops.js';
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

/**
 * U+001E (record separator) cannot appear unescaped in JSON text: joined on it, a batch's texts
 * travel as one text parameter that the server splits, which took half the time of a text[]
 * parameter (whose escaping in pg and parsing by the server cost more than the insert itself).
 */
const SEPARATOR = '\u001e';

const SEPARATOR_BYTE = 0x1e;

/** `values` as an SQL text[], by the cheapest way that keeps every value intact. */
function toTextArray(values: string[]): RawBuilder<string[]> {
  const joined = values.join(SEPARATOR);
  // string_to_array('') is an empty array, not one empty string.
  if (joined === '' || values.some((value) => value.includes(SEPARATOR))) return sql<string[]>`${values}::text[]`;
  return sql<string[]>`string_to_array(${joined}::text, chr(30))`;
}

/**
 * The rows' texts as an SQL text[]: their UTF-8 bytes joined on U+001E in one bytea parameter,
 * which the server decodes and splits. The rows stay bytes as they came: decoding each into a
 * string, joining those and encoding the result again allocated ~3.5 KB of garbage per
 * 760-byte row (a sampled heap profile of a 300k-row push: 1.1 GB, ~100 MB of it still
 * uncollected in the heap at the end).
 */
function toDataArray(rows: IngestRow[]): RawBuilder<string[]> {
  let total = rows.length - 1;
  for (const row of rows) {
    const bytes = row.dataBytes;
    if (bytes === undefined ? row.data.includes(SEPARATOR) : bytes.includes(SEPARATOR_BYTE)) return toTextArray(rows.map((each) => each.data));
    total += bytes === undefined ? Buffer.byteLength(row.data) : bytes.length;
  }
  if (total <= 0) return toTextArray(rows.map((row) => row.data));
  const joined = Buffer.allocUnsafe(total);
  let at = 0;
  rows.forEach((row, index) => {
    if (index > 0) joined[at++] = SEPARATOR_BYTE;
    if (row.dataBytes === undefined) at += joined.write(row.data, at, 'utf8');
    else {
      joined.set(row.dataBytes, at);
      at += row.dataBytes.length;
    }
  });
  return sql<string[]>`string_to_array(convert_from(${joined}::bytea, 'UTF8'), chr(30))`;
}

async function insertResultChunk(trx: Kysely<Database>, target: ResultTarget, rows: IngestRow[]): Promise<SeqRange> {
  // WITH ORDINALITY + ORDER BY: the identity column numbers the rows in push order.
  const { rows: [range] } = await sql<{ first: number; last: number }>`
    with inserted as (
      insert into results (run_seq, squid_seq, ingest_seq, row_hash, hash_key, scraping_time, data)
      select ${target.runSeq}, ${target.squidSeq}, ${target.ingestSeq}, u.row_hash, u.hash_key, u.scraping_time, u.data
      from unnest(${toTextArray(rows.map((row) => row.rowHash))}, ${rows.map((row) => toHashKey(row.rowHash))}::bigint[],
                  ${rows.map((row) => row.scrapingTimeMs)}::bigint[], ${toDataArray(rows)})
           with ordinality as u(row_hash, hash_key, scraping_time, data, position)
      order by u.position
      returning seq
    )
    select min(seq) as first, max(seq) as last from inserted`.execute(trx);
  return { first: Number(range!.first), last: Number(range!.last) };
}

export async function createPostgresStore(options: { connectionString: string; secretBox: SecretBox; poolSize?: number }): Promise<Store> {
  // JIT off: our statements are index-driven and small, but a commit's estimate (a subquery per
  // row) crossed jit_above_cost, and compiling took 110 ms of a 1,000-row commit's 140 ms.
  // An `options` parameter in the connection string takes precedence over this one.
  const clientConfig: pg.ClientConfig = { connectionString: options.connectionString, types, options: '-c jit=off' };
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
    ...postgresResultExportOps(db),
    planResultTextsThread: (runId, { unique, batchSize }) =>
      planPostgresResultTexts({ connectionString: options.connectionString, runId, unique, batchSize }),
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
