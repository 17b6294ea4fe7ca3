// The SQLite side of the export's read, on the store's thread: the batched read's dialect ops,
// and the plan of the export thread's read (result-texts-thread-reader.ts). The thread's batch
// statement is compiled here, where Kysely is loaded anyway, so that the thread only loads
// better-sqlite3: importing Kysely took ~150 ms of a new thread's start, before its first batch.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../kysely/database.js';
import { selectResultTextsBatch, type ResultExportOps } from '../kysely/result-export-query.js';
import type { ResultTextsThreadPlan } from '../store.js';
import { AFTER_PARAMETER, type SqliteResultTextsArgs } from './result-texts-thread-reader.js';

/** DialectOps.readInSeqOrder and concatRowTexts on SQLite. */
export function sqliteResultExportOps(db: Kysely<Database>): ResultExportOps {
  return {
    readInSeqOrder: (read) => read(db),
    // In the order the batch's subquery yields its rows: group_concat takes them as they come,
    // and a subquery with ORDER BY and LIMIT is run as a co-routine that yields them in that
    // order (an ORDER BY inside group_concat sorts them again: 1.8x the time). The bytes of
    // the UTF-8 text, as a BLOB: no string per batch.
    concatRowTexts: (data) => sql<Buffer>`cast(group_concat(${sql.ref(data)}, char(10)) || char(10) as blob)`,
  };
}

export interface SqliteResultTextsPlanOptions {
  filePath: string;
  busyTimeoutMs: number;
  runId: string;
  unique: boolean;
  batchSize: number;
}

export function planSqliteResultTexts(db: Kysely<Database>, options: SqliteResultTextsPlanOptions): ResultTextsThreadPlan {
  // The same extension as this module: .ts when it runs from src/ (tests), .js from dist/.
  const extension = new URL(import.meta.url).pathname.endsWith('.ts') ? '.ts' : '.js';
  const args: SqliteResultTextsArgs = {
    filePath: options.filePath,
    busyTimeoutMs: options.busyTimeoutMs,
    batchStatement: compileBatchStatement(db, options),
    batchSize: options.batchSize,
  };
  return { moduleUrl: new URL(`./result-texts-thread-reader${extension}`, import.meta.url).href, args };
}

/**
 * The batched read's statement (the same as streamRunResultTexts runs) with the run and the batch
 * size written in and the batch's start as the named parameter `@after`; a run that does not
 * exist has no rows. The run's id and the size are checked before they are written in.
 */
function compileBatchStatement(db: Kysely<Database>, { runId, unique, batchSize }: SqliteResultTextsPlanOptions): string {
  if (!/^[0-9a-f]{32}$/.test(runId)) throw new Error(`run id ${JSON.stringify(runId)} is not 32 lower-case hex digits`);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`batch size ${batchSize} is not a whole number above 0`);
  const compiled = selectResultTextsBatch(sqliteResultExportOps(db), db, {
    runSeq: db.selectFrom('runs').select('seq').where('id', '=', sql.lit(runId)).$asScalar(),
    after: sql<number>`${sql.raw(`@${AFTER_PARAMETER}`)}`,
    unique,
    batchSize: sql.lit(batchSize),
  }).compile();
  if (compiled.parameters.length > 0) throw new Error('the export thread\'s batch statement must not need positional parameters');
  return compiled.sql;
}
