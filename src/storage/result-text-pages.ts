// The export's keyset pagination over a run's rows, for every reader of batched texts: the store's
// own (kysely/result-export-query.ts) and the SQLite export thread's, which must not load Kysely.
// Imports nothing at run time.
import type { ResultTextBatch } from './store.js';

/** One row of a batch statement (result-export-query.ts, selectResultTextsBatch). */
export interface ResultTextsBatchRow {
  row_count: number | string | bigint;
  last_seq: number | string | bigint | null;
  /** The texts as a BLOB (SQLite) or as text (PostgreSQL); null when the batch is empty. */
  texts: Buffer | string | null;
}

/**
 * The batches read by `readBatch(after)` (the rows after seq `after`), each starting after the
 * last seq of the one before, until a batch comes back empty or short of `batchSize`.
 */
export async function* pageResultTexts(
  readBatch: (after: number) => ResultTextsBatchRow | undefined | Promise<ResultTextsBatchRow | undefined>,
  batchSize: number,
): AsyncGenerator<ResultTextBatch> {
  let after = 0;
  for (;;) {
    const batch = await readBatch(after);
    const rowCount = Number(batch?.row_count ?? 0);
    if (batch === undefined || rowCount === 0 || batch.texts === null) return;
    yield { rowCount, texts: typeof batch.texts === 'string' ? Buffer.from(batch.texts, 'utf8') : batch.texts };
    after = Number(batch.last_seq);
    if (rowCount < batchSize) return;
  }
}
