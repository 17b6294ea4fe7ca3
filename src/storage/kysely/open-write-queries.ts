// What delivery attempts opened at their destinations and have not closed (S3: multipart
// uploads), so that a crash or an outage does not leave them open for good: the channel records
// one before it writes into it and forgets it once closed; what is left is closed by the job's
// next attempt or, for jobs no one holds, by the worker's sweep.
import type { Store } from '../store.js';
import { toDelivery } from './row-mappers.js';
import { newHexId, type StoreContext } from './store-context.js';
import { AppError } from '../../domain/app-error.js';

type OpenWriteMethods = Pick<Store, 'recordOpenWrite' | 'forgetOpenWrites' | 'listOpenWrites' | 'listUnheldOpenWrites'>;

export function createOpenWriteMethods({ ops, db, secretBox }: StoreContext): OpenWriteMethods {
  return {
    async recordOpenWrite(input) {
      const id = newHexId();
      await ops.transaction(async (trx) => {
        // Only the lease holder writes for a job; a worker that lost it must not add records
        // that its successor would not know to wait for.
        const held = await trx
          .selectFrom('deliveries')
          .select('id')
          .where('id', '=', input.deliveryId)
          .where('locked_by', '=', input.workerId)
          .where('status', '=', 'running')
          .$if(ops.rowLocks, (qb) => qb.forUpdate())
          .executeTakeFirst();
        if (held === undefined) {
          throw new AppError('LeaseLost', `delivery ${input.deliveryId} is no longer held by ${input.workerId}`, { status: 409, retryable: true });
        }
        await trx
          .insertInto('delivery_open_writes')
          .values({ id, delivery_id: input.deliveryId, attempt: input.attempt, ref: input.ref, created_at: input.nowMs })
          .execute();
      });
      return id;
    },
    async forgetOpenWrites(ids) {
      if (ids.length === 0) return;
      await db.deleteFrom('delivery_open_writes').where('id', 'in', [...ids]).execute();
    },
    async listOpenWrites(deliveryId) {
      const rows = await db
        .selectFrom('delivery_open_writes')
        .select(['id', 'ref', 'attempt'])
        .where('delivery_id', '=', deliveryId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((row) => ({ id: row.id, ref: row.ref, attempt: Number(row.attempt) }));
    },
    async listUnheldOpenWrites(nowMs, limit) {
      // A job no one holds: not running, or running under a lease that has expired (its
      // worker died or stalled; whoever claims it next starts with its own clean-up anyway).
      const rows = await db
        .selectFrom('delivery_open_writes')
        .innerJoin('deliveries', 'deliveries.id', 'delivery_open_writes.delivery_id')
        .selectAll('deliveries')
        .select(['delivery_open_writes.id as write_id', 'delivery_open_writes.ref', 'delivery_open_writes.attempt'])
        .where((eb) => eb.or([eb('deliveries.status', '<>', 'running'), eb('deliveries.locked_until', '<', nowMs)]))
        .orderBy('delivery_open_writes.created_at')
        .limit(limit)
        .execute();
      return rows.map(({ write_id: writeId, ref, attempt, ...delivery }) => ({
        write: { id: writeId, ref, attempt: Number(attempt) },
        delivery: toDelivery(secretBox, delivery),
      }));
    },
  };
}
