// The export's read: a run's visible rows as their JSON texts, one buffer per batch of rows,
// concatenated by the database. A string and an object per row cost more than encoding the row
// to CSV (measured on SQLite, 1M rows of ~760 B: 2.8 s of CPU as row objects, 0.8 s as one
// buffer per 1,000 rows). The same read runs on the store's connection (streamRunResultTexts)
// or on a worker thread's own (a dialect's result-texts-thread-reader.ts).
import type { Expression, Kysely } from 'kysely';
import type { HexId } from '../../domain/types.js';
import { pageResultTexts } from '../result-text-pages.js';
import type { ResultTextBatch, Store } from '../store.js';
import type { Database } from './database.js';
import type { DialectOps } from './dialect-ops.js';
import { isFirstOfItsHash, isVisible } from './result-visibility.js';
import { hasLiveSquid } from './squid-liveness.js';
import type { StoreContext } from './store-context.js';

/** What the read needs of a dialect. */
export type ResultExportOps = Pick<DialectOps, 'readInSeqOrder' | 'concatRowTexts'>;

export function createResultExportMethods({ ops, db }: StoreContext): Pick<Store, 'streamRunResultTexts' | 'planResultTextsThread'> {
  return {
    streamRunResultTexts: (runId, options) => readResultTexts(ops, db, runId, options),
    planResultTextsThread: (runId, options) => ops.planResultTextsThread(runId, options),
  };
}

export async function* readResultTexts(
  ops: ResultExportOps,
  db: Kysely<Database>,
  runId: HexId,
  { unique, batchSize }: { unique: boolean; batchSize: number },
): AsyncGenerator<ResultTextBatch> {
  const run = await db.selectFrom('runs').select('seq').where('id', '=', runId).where(hasLiveSquid('runs.squid_id')).executeTakeFirst();
  if (run === undefined) return;
  yield* pageResultTexts(
    (after) => ops.readInSeqOrder((reader) => selectResultTextsBatch(ops, reader, { runSeq: Number(run.seq), after, unique, batchSize }).executeTakeFirst()),
    batchSize,
  );
}

/** Where a batch starts and how long it is: values, or SQL (a thread's statement compiles them in). */
export interface ResultTextsBatchBounds {
  /** The run's key (`runs.seq`). */
  runSeq: number | Expression<number>;
  /** The batch takes rows whose seq is above this. */
  after: number | Expression<number>;
  unique: boolean;
  batchSize: number | Expression<number>;
}

/**
 * One batch of the read: the run's next `batchSize` visible rows after `after` in seq order,
 * as their count, their last seq and their texts concatenated by the database. The rows'
 * subquery is read in seq order through the (run_seq, seq) index, so the aggregate takes them
 * in that order.
 */
export function selectResultTextsBatch(ops: Pick<ResultExportOps, 'concatRowTexts'>, db: Kysely<Database>, bounds: ResultTextsBatchBounds) {
  return db
    .selectFrom((eb) =>
      eb
        .selectFrom('results')
        .select(['seq', 'data'])
        .where('run_seq', '=', bounds.runSeq)
        .where('seq', '>', bounds.after)
        .where(isVisible('results'))
        .$if(bounds.unique, (qb) => qb.where(isFirstOfItsHash('results')))
        .orderBy('seq')
        .limit(bounds.batchSize)
        .as('batch'),
    )
    .select((eb) => [
      eb.fn.countAll<number>().as('row_count'),
      eb.fn.max('batch.seq').as('last_seq'),
      ops.concatRowTexts('batch.data', 'batch.seq').as('texts'),
    ]);
}
