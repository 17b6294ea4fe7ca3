// Making an ingest's rows visible: clear ingest_seq and mark each row is_unique when no row
// committed before (or earlier in the same ingest) has its hash. Two ways, one per dialect's
// update semantics (see DialectOps.publishIngestRows).
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database } from './database.js';

export interface IngestRange {
  ingestSeq: number;
  firstSeq: number;
  lastSeq: number;
}

export interface PublishedCounts {
  rows: number;
  uniqueRows: number;
}

/** Whether a visible row, or an earlier row of the same ingest, has the row's hash. */
function hasEarlierDuplicate(eb: ExpressionBuilder<Database, 'results'>, ingestSeq: number) {
  return eb.exists(
    eb
      .selectFrom('results as earlier')
      .select('earlier.seq')
      .whereRef('earlier.run_seq', '=', 'results.run_seq')
      .whereRef('earlier.hash_key', '=', 'results.hash_key')
      .whereRef('earlier.row_hash', '=', 'results.row_hash')
      .where((inner) =>
        inner.or([
          inner('earlier.ingest_seq', 'is', null),
          inner.and([inner('earlier.ingest_seq', '=', ingestSeq), inner('earlier.seq', '<', inner.ref('results.seq'))]),
        ]),
      ),
  );
}

function ingestRows(trx: Kysely<Database>, range: IngestRange) {
  // A primary-key range scan, filtered to the ingest (other ingests may interleave).
  return trx
    .updateTable('results')
    .where('seq', '>=', range.firstSeq)
    .where('seq', '<=', range.lastSeq)
    .where('ingest_seq', '=', range.ingestSeq);
}

/**
 * Two statements: is_unique first (its subquery never reads is_unique), then visibility. Right
 * whatever order the database updates rows in and whether a statement sees its own changes
 * (SQLite does not document either). Each row is rewritten twice, which is cheap in SQLite.
 */
export async function publishRowsInTwoSteps(trx: Kysely<Database>, range: IngestRange): Promise<PublishedCounts> {
  const unique = await ingestRows(trx, range)
    .set({ is_unique: 1 })
    .where((eb) => eb.not(hasEarlierDuplicate(eb, range.ingestSeq)))
    .executeTakeFirst();
  const published = await ingestRows(trx, range).set({ ingest_seq: null }).executeTakeFirst();
  return { rows: Number(published.numUpdatedRows), uniqueRows: Number(unique.numUpdatedRows) };
}

/**
 * One statement: PostgreSQL evaluates the subquery against the snapshot taken before the
 * update, so it cannot see the rows it publishes. Each update writes a new row version and
 * index entries in PostgreSQL, so one pass instead of two halves that work.
 */
export async function publishRowsInOneStep(trx: Kysely<Database>, range: IngestRange): Promise<PublishedCounts> {
  const rows = await ingestRows(trx, range)
    .set((eb) => ({
      ingest_seq: null,
      is_unique: eb.case().when(hasEarlierDuplicate(eb, range.ingestSeq)).then(0).else(1).end(),
    }))
    .returning('is_unique')
    .execute();
  return { rows: rows.length, uniqueRows: rows.filter((row) => row.is_unique === 1).length };
}
