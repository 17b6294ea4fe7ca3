// A run's result texts read on a worker thread, on a connection of the thread's own
// (Store.planResultTextsThread), as one binary COPY of the run's visible rows: PostgreSQL streams
// their bytes and copy-out-batches.ts copies them into batches, so no row or batch becomes a JS
// string (a string_agg per 1,000 rows, each a transaction and a ~760 KB string, took ~13 s per
// million rows). The export's thread encodes the batches; the store's own connection keeps the
// batched read (readResultTexts) for small runs.
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../kysely/database.js';
import type { ResultExportOps } from '../kysely/result-export-query.js';
import { isFirstOfItsHash, isVisible } from '../kysely/result-visibility.js';
import type { ResultTextBatch, ResultTextsSource, ResultTextsThreadPlan } from '../store.js';
import { copyOutBatches } from './copy-out-batches.js';

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
  // JIT off as on the store's connections; sorts and bitmap scans off for the reason
  // readInSeqOrder gives (a run without statistics yet must be walked through its index).
  const client = new pg.Client({ connectionString, options: '-c jit=off -c enable_sort=off -c enable_bitmapscan=off' });
  let ending: Promise<void> | null = null;
  return {
    batches: copyResultTexts(client, runId, unique, batchSize),
    close: () => (ending ??= client.end()),
  };
}

async function* copyResultTexts(client: pg.Client, runId: string, unique: boolean, batchSize: number): AsyncGenerator<ResultTextBatch> {
  await client.connect();
  const found = await client.query<{ seq: string }>('select seq from runs where id = $1', [runId]);
  if (found.rows.length === 0) return;
  // COPY takes no parameters: the run's integer key is written into the statement.
  const select = compileRowsSelect(Number(found.rows[0]!.seq), unique);
  yield* copyOutBatches(client, `copy (${select}) to stdout with (format binary)`, batchSize);
}

/** The run's visible rows' texts in push order, as streamRunResultTexts reads them. */
function compileRowsSelect(runSeq: number, unique: boolean): string {
  if (!Number.isSafeInteger(runSeq)) throw new Error(`run seq ${runSeq} is not an integer`);
  const compiled = createCompiler()
    .selectFrom('results')
    .select('data')
    .where('run_seq', '=', sql.lit(runSeq))
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
