// A run's result texts read on a worker thread, on a connection of the thread's own
// (Store.planResultTextsThread): the export's thread reads and encodes there, so each batch's
// text (a string of ~760 KB per 1,000 rows, then its bytes) is allocated and collected in that
// thread's small heap instead of the server's.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../kysely/database.js';
import { readResultTexts, type ResultExportOps } from '../kysely/result-export-query.js';
import type { ResultTextsSource, ResultTextsThreadPlan } from '../store.js';

export interface PostgresResultTextsArgs {
  connectionString: string;
  runId: string;
  unique: boolean;
  batchSize: number;
}

/** DialectOps.readInSeqOrder and concatRowTexts on PostgreSQL (dialect-ops.ts says why). */
export function postgresResultExportOps(db: Kysely<Database>): ResultExportOps {
  return {
    readInSeqOrder: (read) =>
      db.transaction().execute(async (trx) => {
        await sql`select set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true)`.execute(trx);
        return read(trx);
      }),
    concatRowTexts: (data, seq) => sql<string>`string_agg(${sql.ref(data)}, E'\n' order by ${sql.ref(seq)}) || E'\n'`,
  };
}

export function planPostgresResultTexts(args: PostgresResultTextsArgs): ResultTextsThreadPlan {
  // The same extension as this module: .ts when it runs from src/ (tests), .js from dist/.
  const extension = new URL(import.meta.url).pathname.endsWith('.ts') ? '.ts' : '.js';
  return { moduleUrl: new URL(`./result-texts-thread-reader${extension}`, import.meta.url).href, args };
}

export function openResultTexts(args: unknown): ResultTextsSource {
  const { connectionString, runId, unique, batchSize } = args as PostgresResultTextsArgs;
  // One connection; JIT off as on the store's (create-postgres-store.ts says why).
  const pool = new pg.Pool({ connectionString, options: '-c jit=off', max: 1 });
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { batches: readResultTexts(postgresResultExportOps(db), db, runId, { unique, batchSize }), close: () => db.destroy() };
}
