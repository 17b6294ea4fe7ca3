// A run's result texts read on a worker thread, on a connection of the thread's own
// (Store.planResultTextsThread), as one COPY of the run's visible rows: PostgreSQL streams their
// bytes and this side cuts them into batches, so no row or batch becomes a JS string (a
// string_agg per 1,000 rows, each a transaction and a ~760 KB string, took ~13 s per million
// rows). The export's thread encodes the batches; the store's own connection keeps the batched
// read (readResultTexts) for small runs.
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Database } from '../kysely/database.js';
import type { ResultExportOps } from '../kysely/result-export-query.js';
import { isFirstOfItsHash, isVisible } from '../kysely/result-visibility.js';
import type { ResultTextBatch, ResultTextsSource, ResultTextsThreadPlan } from '../store.js';

export interface PostgresResultTextsArgs {
  connectionString: string;
  runId: string;
  unique: boolean;
  batchSize: number;
}

const LF = 10;

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
  // CSV format whose delimiter and quote are bytes a JSON text never holds (it has no control
  // characters, CR or LF outside escapes): no field is ever quoted, so each row is its text
  // and an LF, the store's batch form.
  const rows = client.query(copyTo(`copy (${select}) to stdout with (format csv, delimiter e'\\x01', quote e'\\x02')`));
  yield* cutIntoBatches(rows, batchSize);
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

/** Rows, each ending in LF, in chunks cut anywhere, into batches of `batchSize` rows (the last one fewer). */
export async function* cutIntoBatches(chunks: AsyncIterable<Buffer>, batchSize: number): AsyncGenerator<ResultTextBatch> {
  let pieces: Buffer[] = [];
  let rowCount = 0;
  for await (const chunk of chunks) {
    let from = 0;
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, lf + 1)) {
      if (++rowCount < batchSize) continue;
      pieces.push(chunk.subarray(from, lf + 1));
      yield { rowCount, texts: Buffer.concat(pieces) };
      pieces = [];
      rowCount = 0;
      from = lf + 1;
    }
    if (from < chunk.length) pieces.push(chunk.subarray(from));
  }
  if (rowCount > 0) yield { rowCount, texts: Buffer.concat(pieces) };
  else if (pieces.length > 0) throw new Error('the COPY of a run\'s rows ended inside a row');
}
