// Deleting a squid, in two parts. `deleteSquid` answers at once: it marks the squid deleted
// (every read leaves it and its runs out from then on), gives its name up, and cancels its
// deliveries (an in-flight attempt loses its lease at its next renewal and aborts its upload).
// `purgeDeletedSquid` then removes the rows, at most `maxRows` per transaction, so that no
// statement holds the database (and, on SQLite, the event loop) for long: results first, then run
// hashes, then ingests, and last the squid row, whose runs, columns and destinations go with it
// by ON DELETE CASCADE. The mark is the queue: a purge cut short by a crash resumes at the next.
import { sql, type Kysely } from 'kysely';
import type { Store } from '../store.js';
import type { Database } from './database.js';
import { newHexId, type StoreContext } from './store-context.js';

type SquidDeletionMethods = Pick<Store, 'deleteSquid' | 'purgeDeletedSquid'>;

/**
 * Names are unique per account, and a deleted squid's name is free at once. The random part is
 * never shown, so no one can name a live squid this (PostgreSQL text holds no U+0000 to rule
 * it out by construction).
 */
function renderTombstoneName(squidId: string): string {
  return `deleted:${squidId}:${newHexId()}`;
}

function countDeleted(result: { numDeletedRows: bigint } | undefined): number {
  return Number(result?.numDeletedRows ?? 0n);
}

/** One bounded delete of the squid's rows, table by table; 0 once none of them is left. */
async function deleteNextRows(trx: Kysely<Database>, squid: { seq: number; id: string }, maxRows: number): Promise<number> {
  const results = await trx
    .deleteFrom('results')
    .where('seq', 'in', (eb) => eb.selectFrom('results').select('seq').where('squid_seq', '=', squid.seq).orderBy('seq').limit(maxRows))
    .executeTakeFirst();
  if (countDeleted(results) > 0) return countDeleted(results);
  // run_hashes has no single-column key (SQLite: WITHOUT ROWID), hence the row values.
  const hashes = await sql`delete from run_hashes where (run_seq, hash_key, first_seq) in (
      select h.run_seq, h.hash_key, h.first_seq from run_hashes h
      where h.run_seq in (select r.seq from runs r where r.squid_id = ${squid.id}) limit ${maxRows})`.execute(trx);
  if (Number(hashes.numAffectedRows ?? 0n) > 0) return Number(hashes.numAffectedRows);
  const ingests = await trx
    .deleteFrom('ingests')
    .where('seq', 'in', (eb) =>
      eb.selectFrom('ingests').select('seq').where('run_id', 'in', (inner) => inner.selectFrom('runs').select('id').where('squid_id', '=', squid.id)).limit(maxRows),
    )
    .executeTakeFirst();
  return countDeleted(ingests);
}

export function createSquidDeletionMethods({ ops }: StoreContext): SquidDeletionMethods {
  return {
    async deleteSquid(accountId, squidId, nowMs) {
      return ops.transaction(async (trx) => {
        const squid = await trx
          .selectFrom('squids')
          .select('seq')
          .where('id', '=', squidId)
          .where('account_id', '=', accountId)
          .where('deleted_at', 'is', null)
          .$if(ops.rowLocks, (qb) => qb.forUpdate())
          .executeTakeFirst();
        if (squid === undefined) return false;
        await trx.updateTable('squids').set({ deleted_at: nowMs, name: renderTombstoneName(squidId) }).where('seq', '=', squid.seq).execute();
        // Few rows each: the squid's jobs (with their attempts, by cascade) and its destinations.
        await trx.deleteFrom('deliveries').where('squid_id', '=', squidId).execute();
        await trx.deleteFrom('destinations').where('squid_id', '=', squidId).execute();
        return true;
      });
    },
    async purgeDeletedSquid(maxRows) {
      return ops.transaction(async (trx) => {
        // PostgreSQL: purgers of several processes each take a different squid.
        const squid = await trx
          .selectFrom('squids')
          .select(['seq', 'id'])
          .where('deleted_at', 'is not', null)
          .orderBy('deleted_at')
          .orderBy('seq')
          .limit(1)
          .$if(ops.rowLocks, (qb) => qb.forUpdate().skipLocked())
          .executeTakeFirst();
        if (squid === undefined) return null;
        const target = { seq: Number(squid.seq), id: squid.id };
        const rowsDeleted = await deleteNextRows(trx, target, maxRows);
        if (rowsDeleted > 0) return { squidId: squid.id, rowsDeleted, finished: false };
        await trx.deleteFrom('squids').where('seq', '=', squid.seq).execute();
        return { squidId: squid.id, rowsDeleted: 0, finished: true };
      });
    },
  };
}
