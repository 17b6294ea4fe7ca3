// The export's read: a run's visible rows as their JSON texts, one buffer per batch of rows,
// concatenated by the database. A string and an object per row cost more than encoding the row
// to CSV (measured on SQLite, 1M rows of ~760 B: 2.8 s of CPU as row objects, 0.8 s as one
// buffer per 1,000 rows). The same read runs on the store's connection (streamRunResultTexts)
// or on a worker thread's own (a dialect's result-texts-thread-reader.ts).
import type { Kysely } from 'kysely';
import type { HexId } from '../../domain/types.js';
import type { ResultTextBatch, Store } from '../store.js';
import type { Database } from './database.js';
import type { DialectOps } from './dialect-ops.js';
import { isFirstOfItsHash, isVisible } from './result-visibility.js';
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
  const run = await db.selectFrom('runs').select('seq').where('id', '=', runId).executeTakeFirst();
  if (run === undefined) return;
  let lastSeq = 0;
  for (;;) {
    const after = lastSeq;
    const batch = await ops.readInSeqOrder((reader) =>
      reader
        .selectFrom((eb) =>
          eb
            .selectFrom('results')
            .select(['seq', 'data'])
            .where('run_seq', '=', Number(run.seq))
            .where('seq', '>', after)
            .where(isVisible('results'))
            .$if(unique, (qb) => qb.where(isFirstOfItsHash('results')))
            .orderBy('seq')
            .limit(batchSize)
            .as('batch'),
        )
        .select((eb) => [
          eb.fn.countAll<number>().as('row_count'),
          eb.fn.max('batch.seq').as('last_seq'),
          ops.concatRowTexts('batch.data', 'batch.seq').as('texts'),
        ])
        .executeTakeFirstOrThrow(),
    );
    const rowCount = Number(batch.row_count);
    if (rowCount === 0) return;
    yield { rowCount, texts: typeof batch.texts === 'string' ? Buffer.from(batch.texts, 'utf8') : batch.texts };
    lastSeq = Number(batch.last_seq);
    if (rowCount < batchSize) return;
  }
}
