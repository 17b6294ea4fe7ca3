// A run's result texts read on a worker thread, on a read-only connection of the thread's own
// (Store.planResultTextsThread, planned in result-export-ops.ts): the export's thread reads and
// encodes there, so the batches' buffers are allocated, and collected, in that thread's small
// heap. On the store's thread each 1M-row export allocated ~760 MB of batch buffers, and V8 ran
// a full mark-compact of the server's heap for about every 20 MB of them. WAL mode lets this
// connection read while the store's connection writes; it sees what was committed when each
// batch's statement ran. This module loads better-sqlite3 only (no Kysely): a thread opens its
// reader ~20 ms after its start, where importing Kysely took ~150 ms.
import SqliteDatabase from 'better-sqlite3';
import { pageResultTexts, type ResultTextsBatchRow } from '../result-text-pages.js';
import type { ResultTextsSource } from '../store.js';

/** The batch statement's one parameter: the seq the batch starts after. */
export const AFTER_PARAMETER = 'after';

export interface SqliteResultTextsArgs {
  filePath: string;
  busyTimeoutMs: number;
  /**
   * One batch of the run's rows after `@after` (result-export-query.ts, selectResultTextsBatch):
   * one row of row_count, last_seq and texts (a BLOB).
   */
  batchStatement: string;
  batchSize: number;
}

export function openResultTexts(args: unknown): ResultTextsSource {
  const { filePath, busyTimeoutMs, batchStatement, batchSize } = args as SqliteResultTextsArgs;
  const raw = new SqliteDatabase(filePath, { readonly: true, fileMustExist: true });
  raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
  const batch = raw.prepare<[Record<string, number>], ResultTextsBatchRow>(batchStatement);
  return {
    batches: pageResultTexts((after) => batch.get({ [AFTER_PARAMETER]: after }), batchSize),
    close: async () => void raw.close(),
  };
}
