// Which result rows readers see and which are unique, without ever rewriting a row. A commit
// writes the ingest's status, the run's totals and one small run_hashes entry per hash the run
// had not shown yet; never the rows themselves (rewriting them cost more than appending them:
// two passes in SQLite, a dead tuple and new index entries per row in PostgreSQL).
//
// Per-row checks are scalar subqueries, not EXISTS: PostgreSQL turns a WHERE EXISTS into a join,
// and without fresh statistics (a new run) it picked a hash join that read the run's whole
// run_hashes for every batch. A scalar subquery runs per row, through the index, in both dialects.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from './database.js';

/** An ingest's rows: the seq range it appended (other ingests may interleave inside it). */
export interface IngestRange {
  runSeq: number;
  ingestSeq: number;
  firstSeq: number;
  lastSeq: number;
}

/**
 * Whether the results row `alias` is visible: its ingest is committed. Rows only exist for open,
 * discarding or committed ingests: a discard first marks the ingest `discarding` (holding its row
 * lock, so no append of it lands rows after that), then deletes its rows in batches and the
 * ingest last. "Neither open nor discarding" is therefore "committed", asked against those few
 * ingests (a hash set built once per query, which PostgreSQL never turns into a join) rather
 * than a run's thousands of committed ones; a primary-key lookup per row for "committed"
 * streamed 40% slower.
 */
export function isVisible(alias: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`${sql.ref(`${alias}.ingest_seq`)} not in (select seq from ingests where status in ('open', 'discarding'))`;
}

/**
 * Whether the results row `alias` is the one that brought its hash into the run (the first row
 * of the first ingest committed with it): one primary-key lookup in run_hashes.
 */
export function isFirstOfItsHash(alias: string): RawBuilder<SqlBool> {
  const row = (column: string) => sql.ref(`${alias}.${column}`);
  return sql<SqlBool>`coalesce((
    select true from run_hashes
    where run_hashes.run_seq = ${row('run_seq')} and run_hashes.hash_key = ${row('hash_key')} and run_hashes.first_seq = ${row('seq')}
  ), false)`;
}

/**
 * Whether the run already has the hash of the results row `alias`: the entries of its hash_key
 * (almost always none or one), then the full row_hash of each entry's row.
 */
function isHashKnown(alias: string): RawBuilder<SqlBool> {
  const row = (column: string) => sql.ref(`${alias}.${column}`);
  return sql<SqlBool>`coalesce((
    select true from run_hashes inner join results first_row on first_row.seq = run_hashes.first_seq
    where run_hashes.run_seq = ${row('run_seq')} and run_hashes.hash_key = ${row('hash_key')} and first_row.row_hash = ${row('row_hash')}
    limit 1
  ), false)`;
}

/**
 * Inside commitIngest's transaction, with commits of the run serialised: records the hashes of
 * the ingest's rows that the run has not seen, each with its earliest row, and returns how many
 * were new (the run's unique total grows by that). Reads the ingest's rows and writes none.
 * A run without hashes yet (its first commit) skips the per-row isHashKnown lookup: a commit
 * of 200,000 rows took half the time without it.
 */
export async function recordIngestHashes(trx: Kysely<Database>, range: IngestRange): Promise<number> {
  const runHasHashes =
    (await trx.selectFrom('run_hashes').select('first_seq').where('run_seq', '=', range.runSeq).limit(1).executeTakeFirst()) !== undefined;
  const inserted = await trx
    .insertInto('run_hashes')
    .columns(['run_seq', 'hash_key', 'first_seq'])
    .expression((eb) =>
      eb
        .selectFrom('results')
        .select((inner) => ['run_seq', 'hash_key', inner.fn.min('seq').as('first_seq')])
        .where('seq', '>=', range.firstSeq)
        .where('seq', '<=', range.lastSeq)
        .where('ingest_seq', '=', range.ingestSeq)
        .$if(runHasHashes, (qb) => qb.where((inner) => inner.not(isHashKnown('results'))))
        // hash_key first, as the ORDER BY: SQLite's sort for the ORDER BY then gets its rows
        // already in order (a 1M-row commit: 1.67 s -> 1.35 s).
        .groupBy(['hash_key', 'row_hash', 'run_seq'])
        // Key order: each page of run_hashes' primary key is written once per commit.
        .orderBy('hash_key'),
    )
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0);
}
