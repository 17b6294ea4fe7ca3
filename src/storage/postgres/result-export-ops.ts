// The PostgreSQL side of the export's read, on the store's thread: the batched read's dialect
// ops, and the plan of the export thread's COPY (result-texts-thread-reader.ts). The COPY's
// statement is compiled here, where Kysely is loaded anyway, so that the thread only loads pg
// (Kysely took ~80 ms of a new thread's start).
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import type { Database } from '../kysely/database.js';
import type { ResultExportOps } from '../kysely/result-export-query.js';
import { isFirstOfItsHash, isVisible } from '../kysely/result-visibility.js';
import type { ResultTextsThreadPlan } from '../store.js';
import type { PostgresResultTextsArgs } from './result-texts-thread-reader.js';

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

export function planPostgresResultTexts(options: { connectionString: string; runId: string; unique: boolean; batchSize: number }): ResultTextsThreadPlan {
  // The same extension as this module: .ts when it runs from src/ (tests), .js from dist/.
  const extension = new URL(import.meta.url).pathname.endsWith('.ts') ? '.ts' : '.js';
  const args: PostgresResultTextsArgs = {
    connectionString: options.connectionString,
    copyStatement: `copy (${compileRowsSelect(options.runId, options.unique)}) to stdout with (format binary)`,
    batchSize: options.batchSize,
  };
  return { moduleUrl: new URL(`./result-texts-thread-reader${extension}`, import.meta.url).href, args };
}

/**
 * The run's visible rows' texts in push order, as streamRunResultTexts reads them; none when the
 * run does not exist. COPY takes no parameters: the run's id is written into the statement.
 */
function compileRowsSelect(runId: string, unique: boolean): string {
  if (!/^[0-9a-f]{32}$/.test(runId)) throw new Error(`run id ${JSON.stringify(runId)} is not 32 lower-case hex digits`);
  const compiled = createCompiler()
    .selectFrom('results')
    .select('data')
    .where('run_seq', '=', (eb) => eb.selectFrom('runs').select('seq').where('id', '=', sql.lit(runId)))
    .where(isVisible('results'))
    .$if(unique, (qb) => qb.where(isFirstOfItsHash('results')))
    .orderBy('seq')
    .compile();
  if (compiled.parameters.length > 0) throw new Error('the COPY of a run\'s rows must not need parameters');
  return compiled.sql;
}

/** Kysely that only compiles PostgreSQL (it never connects). */
function createCompiler(): Kysely<Database> {
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
}
