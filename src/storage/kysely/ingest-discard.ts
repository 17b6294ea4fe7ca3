// Discarding ingests without holding the database for long: the ingest is first taken out of
// service (status `discarding`: its rows stay invisible, and no append or commit of it succeeds
// from then on), then its rows go in bounded batches, each its own transaction, with the event
// loop given back between them (SQLite's driver is synchronous: one delete of 89,000 rows held
// every request for its whole length), and the ingest row last.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import type { StoreContext } from './store-context.js';

/**
 * Rows deleted per transaction. 89,000 rows of ~270 bytes on SQLite: one transaction stalled the
 * event loop 522 ms; batches of 1,000 took 650-770 ms in all with the longest stall 40-90 ms on
 * this shared 2-core machine (500: no better; 5,000: ~80 ms).
 */
export const DISCARD_BATCH_ROWS = 1000;

export interface IngestDiscarder {
  /** Discards the ingest if it is open (a committed or unknown one is left alone). */
  discardOpen(ingestId: string): Promise<void>;
  /**
   * Discards every ingest whose heartbeat is older than `heartbeatBeforeMs` (open ones whose
   * owner stopped touching them, and discards a crashed sweeper left half done). Returns how many.
   */
  discardStale(input: { heartbeatBeforeMs: number; nowMs: number; batchRows?: number }): Promise<number>;
  /** Deletes the rows, then the row, of an ingest already marked `discarding`. */
  deleteDiscarding(ingestId: string): Promise<void>;
}

export function createIngestDiscarder({ ops, db }: StoreContext): IngestDiscarder {
  /** Takes the ingest out of service; false when another discard or a commit got there first. */
  const claim = async (ingestId: string, staleBefore: { heartbeatBeforeMs: number; nowMs: number } | null): Promise<boolean> => {
    // The UPDATE waits for an append of the ingest still in flight (its row lock): the append
    // finishes first, and its rows go with the others.
    const claimed = await ops.transaction((trx) => trx
      .updateTable('ingests')
      .set({ status: 'discarding', ...(staleBefore === null ? {} : { heartbeat_at: staleBefore.nowMs }) })
      .where('id', '=', ingestId)
      .$if(staleBefore === null, (qb) => qb.where('status', '=', 'open'))
      // A sweep also takes over a discard whose sweeper died: its heartbeat went stale too.
      .$if(staleBefore !== null, (qb) => qb.where('status', 'in', ['open', 'discarding']).where('heartbeat_at', '<', staleBefore!.heartbeatBeforeMs))
      .executeTakeFirst());
    return Number(claimed.numUpdatedRows) === 1;
  };
  const deleteClaimed = async (ingestId: string, batchRows: number): Promise<void> => {
    const ingest = await db.selectFrom('ingests').select(['seq', 'first_result_seq', 'last_result_seq']).where('id', '=', ingestId).executeTakeFirst();
    if (ingest === undefined) return;
    if (ingest.first_result_seq !== null && ingest.last_result_seq !== null) {
      let from = Number(ingest.first_result_seq);
      const to = Number(ingest.last_result_seq);
      for (;;) {
        const deleted = await ops.transaction((trx) => deleteRowBatch(trx, { ingestSeq: Number(ingest.seq), from, to, batchRows }));
        if (deleted === null) break;
        from = deleted + 1;
        await yieldToEventLoop();
      }
    }
    await ops.transaction((trx) => trx.deleteFrom('ingests').where('seq', '=', ingest.seq).where('status', '=', 'discarding').execute());
  };
  return {
    async discardOpen(ingestId) {
      if (await claim(ingestId, null)) await deleteClaimed(ingestId, DISCARD_BATCH_ROWS);
    },
    deleteDiscarding: (ingestId) => deleteClaimed(ingestId, DISCARD_BATCH_ROWS),
    async discardStale({ heartbeatBeforeMs, nowMs, batchRows = DISCARD_BATCH_ROWS }) {
      const stale = await db
        .selectFrom('ingests')
        .select('id')
        .where('status', 'in', ['open', 'discarding'])
        .where('heartbeat_at', '<', heartbeatBeforeMs)
        .execute();
      let discarded = 0;
      for (const { id } of stale) {
        if (!(await claim(id, { heartbeatBeforeMs, nowMs }))) continue;
        await deleteClaimed(id, batchRows);
        discarded += 1;
      }
      return discarded;
    },
  };
}

/**
 * Deletes up to `batchRows` of the ingest's rows from seq `from` on; returns the highest seq
 * deleted, or null when none was left. The seqs are read first, so that the delete is a range
 * on the primary key (PostgreSQL has no DELETE ... LIMIT).
 */
async function deleteRowBatch(
  trx: Kysely<Database>,
  input: { ingestSeq: number; from: number; to: number; batchRows: number },
): Promise<number | null> {
  const rows = await trx
    .selectFrom('results')
    .select('seq')
    .where('seq', '>=', input.from)
    .where('seq', '<=', input.to)
    .where('ingest_seq', '=', input.ingestSeq)
    .orderBy('seq')
    .limit(input.batchRows)
    .execute();
  if (rows.length === 0) return null;
  const last = Number(rows[rows.length - 1]!.seq);
  await trx
    .deleteFrom('results')
    .where('seq', '>=', Number(rows[0]!.seq))
    .where('seq', '<=', last)
    .where('ingest_seq', '=', input.ingestSeq)
    .execute();
  return last;
}
