// A run's result texts read on a worker thread, on a read-only connection of the thread's own
// (Store.planResultTextsThread): the export's thread reads and encodes there, so the batches'
// buffers are allocated, and collected, in that thread's small heap. On the store's thread
// each 1M-row export allocated ~760 MB of batch buffers, and V8 ran a full mark-compact of
// the server's heap for about every 20 MB of them. WAL mode lets this connection read while
// the store's connection writes; it sees what was committed when each batch's statement ran.
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { Database } from '../kysely/database.js';
import { readResultTexts, type ResultExportOps } from '../kysely/result-export-query.js';
import type { ResultTextsSource, ResultTextsThreadPlan } from '../store.js';
import { createStatementCache } from './statement-cache.js';

export interface SqliteResultTextsArgs {
  filePath: string;
  busyTimeoutMs: number;
  runId: string;
  unique: boolean;
  batchSize: number;
}

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

export function planSqliteResultTexts(args: SqliteResultTextsArgs): ResultTextsThreadPlan {
  // The same extension as this module: .ts when it runs from src/ (tests), .js from dist/.
  const extension = new URL(import.meta.url).pathname.endsWith('.ts') ? '.ts' : '.js';
  return { moduleUrl: new URL(`./result-texts-thread-reader${extension}`, import.meta.url).href, args };
}

export function openResultTexts(args: unknown): ResultTextsSource {
  const { filePath, busyTimeoutMs, runId, unique, batchSize } = args as SqliteResultTextsArgs;
  const raw = new SqliteDatabase(filePath, { readonly: true, fileMustExist: true });
  raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: createStatementCache(raw) }) });
  return { batches: readResultTexts(sqliteResultExportOps(db), db, runId, { unique, batchSize }), close: () => db.destroy() };
}
