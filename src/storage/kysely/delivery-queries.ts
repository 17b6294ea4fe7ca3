// The delivery queue: claim with a lease, renew, finish, release. Every write after the claim
// says `WHERE id = ? AND locked_by = ? AND status = 'running'`; no row means the lease was
// lost, and nothing is written.
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { DeliveryClass, Store } from '../store.js';
import type { Database } from './database.js';
import { FILE_EVENT, finaliseRunIfRoundOver, insertDeliveries, lockRun, planFor } from './run-completion.js';
import { stringifyError, toAttempt, toDelivery, toRun } from './row-mappers.js';
import type { StoreContext } from './store-context.js';

type DeliveryMethods = Pick<
  Store,
  | 'claimDueDelivery' | 'renewLease' | 'finishAttempt' | 'releaseLease' | 'nextDeliveryDueAtMs'
  | 'describeDeliveryQueue'
  | 'getDelivery' | 'listRunDeliveries' | 'subscribeDeliveryWakeups'
>;

/** Only jobs of the class asked for (undefined: either). */
function ofClass<QB extends SelectQueryBuilder<Database, 'deliveries', object>>(qb: QB, only: DeliveryClass | undefined): QB {
  if (only === undefined) return qb;
  return qb.where('deliveries.event', only === 'file' ? '=' : '<>', FILE_EVENT) as QB;
}

/**
 * An event job waits while an earlier event job of the same run and destination is unfinished:
 * a receiver gets a run's events in the order they happened (run.running before run.done), even
 * with many sent at once. A retrying earlier event holds the later ones back; a failed one does not.
 */
function inEventOrder<QB extends SelectQueryBuilder<Database, 'deliveries', object>>(qb: QB): QB {
  return qb.where((eb) =>
    eb.or([
      eb('deliveries.event', '=', FILE_EVENT),
      eb.not(
        eb.exists(
          eb
            .selectFrom('deliveries as earlier')
            .select('earlier.id')
            .whereRef('earlier.run_id', '=', 'deliveries.run_id')
            .whereRef('earlier.kind', '=', 'deliveries.kind')
            .whereRef('earlier.seq', '<', 'deliveries.seq')
            .where('earlier.event', '<>', FILE_EVENT)
            .where('earlier.status', 'in', ['pending', 'running']),
        ),
      ),
    ]),
  ) as QB;
}

/** The deliveries `workerId` holds: the filter of every write after a claim. */
function leased(trx: Kysely<Database>, deliveryId: string, workerId: string) {
  return trx
    .updateTable('deliveries')
    .where('id', '=', deliveryId)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running');
}

/**
 * When attempt 1 of a delivery started: the retry window counts from it. Attempt numbers have no
 * gaps (a given-back attempt is deleted and its number reused), so attempt 1 exists once any did.
 */
async function firstAttemptStart(trx: Kysely<Database>, deliveryId: string, attempts: number, nowMs: number): Promise<number> {
  if (attempts === 1) return nowMs;
  const first = await trx
    .selectFrom('delivery_attempts')
    .select('started_at')
    .where('delivery_id', '=', deliveryId)
    .where('number', '=', 1)
    .executeTakeFirst();
  return first === undefined ? nowMs : Number(first.started_at);
}

export function createDeliveryMethods(ctx: StoreContext): DeliveryMethods {
  const { ops, db, secretBox } = ctx;

  const withAttempts = async (rows: Parameters<typeof toDelivery>[1][]) => {
    if (rows.length === 0) return [];
    const attempts = await db
      .selectFrom('delivery_attempts')
      .selectAll()
      .where('delivery_id', 'in', rows.map((row) => row.id))
      .orderBy('delivery_id')
      .orderBy('number')
      .execute();
    return rows.map((row) => {
      const attemptList = attempts.filter((attempt) => attempt.delivery_id === row.id).map(toAttempt);
      return { ...toDelivery(secretBox, row, attemptList[0]?.startedAtMs ?? null), attemptList };
    });
  };

  return {
    async claimDueDelivery(workerId, nowMs, leaseMs, only) {
      return ops.transaction(async (trx) => {
        const due = await trx
          .selectFrom('deliveries')
          .selectAll()
          .where((eb) =>
            eb.or([
              eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', nowMs)]),
              eb.and([eb('status', '=', 'running'), eb('locked_until', '<', nowMs)]),
            ]),
          )
          .$call((qb) => inEventOrder(ofClass(qb, only)))
          .orderBy('next_attempt_at')
          .orderBy('seq')
          .limit(1)
          .$if(ops.rowLocks, (qb) => qb.forUpdate().skipLocked())
          .executeTakeFirst();
        if (due === undefined) return null;
        if (due.status === 'running') {
          // The previous holder's lease expired mid-attempt: its attempt ends here.
          await trx
            .updateTable('delivery_attempts')
            .set({ ended_at: nowMs, outcome: 'lease_expired' })
            .where('delivery_id', '=', due.id)
            .where('ended_at', 'is', null)
            .execute();
        }
        const claimed = { status: 'running', locked_by: workerId, locked_until: nowMs + leaseMs, attempts: due.attempts + 1 };
        await trx.updateTable('deliveries').set(claimed).where('id', '=', due.id).execute();
        await trx
          .insertInto('delivery_attempts')
          .values({ delivery_id: due.id, number: claimed.attempts, worker_id: workerId, started_at: nowMs, target: due.target })
          .execute();
        return toDelivery(secretBox, { ...due, ...claimed }, await firstAttemptStart(trx, due.id, claimed.attempts, nowMs));
      });
    },
    async renewLease(deliveryId, workerId, lockedUntilMs) {
      const result = await leased(db, deliveryId, workerId).set({ locked_until: lockedUntilMs }).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async finishAttempt(deliveryId, workerId, result, planEnd) {
      const { nowMs, outcome } = result;
      let enqueued = false;
      const finished = await ops.transaction(async (trx) => {
        const current = await trx.selectFrom('deliveries').select(['run_id', 'attempts', 'event']).where('id', '=', deliveryId).executeTakeFirst();
        if (current === undefined) return false;
        // Run first, then delivery: the lock order every writer of both follows. It also makes
        // the last two deliveries of a round finish one after the other, so one sees the other.
        const run = await lockRun(ctx, trx, current.run_id);
        const lastError = stringifyError(result.error);
        const update = leased(trx, deliveryId, workerId);
        const updated =
          outcome === 'succeeded'
            ? await update.set({ status: 'succeeded', finished_at: nowMs, locked_by: null, locked_until: null }).executeTakeFirst()
            : outcome === 'retrying'
              ? await update
                  .set({ status: 'pending', next_attempt_at: result.nextAttemptAtMs ?? nowMs, locked_by: null, locked_until: null, last_error: lastError })
                  .executeTakeFirst()
              : await update
                  .set({ status: 'failed', finished_at: nowMs, locked_by: null, locked_until: null, last_error: lastError })
                  .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) return false;
        await trx
          .updateTable('delivery_attempts')
          .set({
            ended_at: nowMs,
            outcome,
            error: lastError,
            rows: result.rows ?? null,
            bytes: result.bytes ?? null,
            etag: result.etag ?? null,
            endpoint_status: result.endpoint?.statusCode ?? null,
            latency_ms: result.endpoint?.latencyMs ?? null,
            body_excerpt: result.endpoint?.bodyExcerpt ?? null,
          })
          .where('delivery_id', '=', deliveryId)
          .where('number', '=', current.attempts)
          .execute();
        if (run === undefined) return true;
        // The run's export count counts its export file written, not other events' jobs.
        if (outcome === 'succeeded' && current.event === 'file') {
          await trx.updateTable('runs').set((eb) => ({ export_count: eb('export_count', '+', 1) })).where('id', '=', run.id).execute();
        }
        const finalised = await finaliseRunIfRoundOver(trx, run, nowMs);
        if (finalised !== null && planEnd !== undefined) {
          const planned = await planFor(ctx, trx, toRun(finalised.run), planEnd);
          enqueued = (await insertDeliveries(ctx, trx, toRun(finalised.run), finalised.round, planned, nowMs)).length > 0;
        }
        return true;
      });
      if (enqueued) ops.notifyDeliveriesCommitted();
      return finished;
    },
    async releaseLease(deliveryId, workerId, nowMs) {
      return ops.transaction(async (trx) => {
        const current = await trx.selectFrom('deliveries').select('attempts').where('id', '=', deliveryId).executeTakeFirst();
        if (current === undefined) return false;
        const updated = await leased(trx, deliveryId, workerId)
          .set({ status: 'pending', next_attempt_at: nowMs, locked_by: null, locked_until: null, attempts: current.attempts - 1 })
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) return false;
        // Given back, not failed: the attempt did not count, so it leaves no history either.
        await trx.deleteFrom('delivery_attempts').where('delivery_id', '=', deliveryId).where('number', '=', current.attempts).execute();
        return true;
      });
    },
    async nextDeliveryDueAtMs(only) {
      const row = await db
        .selectFrom('deliveries')
        .select((eb) =>
          eb.fn
            .min<number | null>(eb.case().when('status', '=', 'pending').then(eb.ref('next_attempt_at')).else(eb.ref('locked_until')).end())
            .as('due'),
        )
        .where('status', 'in', ['pending', 'running'])
        .$call((qb) => inEventOrder(ofClass(qb, only)))
        .executeTakeFirst();
      return row?.due === null || row?.due === undefined ? null : Number(row.due);
    },
    async describeDeliveryQueue() {
      const rows = await db
        .selectFrom('deliveries')
        .select((eb) => ['status', eb.fn.countAll<number | string>().as('count'), eb.fn.min<number | string | null>('next_attempt_at').as('earliest')])
        .where('status', 'in', ['pending', 'running'])
        .groupBy('status')
        .execute();
      const pending = rows.find((row) => row.status === 'pending');
      const running = rows.find((row) => row.status === 'running');
      return {
        pending: Number(pending?.count ?? 0),
        running: Number(running?.count ?? 0),
        earliestPendingAtMs: pending?.earliest === null || pending?.earliest === undefined ? null : Number(pending.earliest),
      };
    },
    async getDelivery(deliveryId) {
      const row = await db.selectFrom('deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirst();
      if (row === undefined) return null;
      const [delivery] = await withAttempts([row]);
      return delivery ?? null;
    },
    async listRunDeliveries(accountId, runId) {
      const rows = await db
        .selectFrom('deliveries')
        .selectAll()
        .where('run_id', '=', runId)
        .where('account_id', '=', accountId)
        .orderBy('seq')
        .execute();
      return withAttempts(rows);
    },
    subscribeDeliveryWakeups: (listener) => ops.subscribeDeliveryWakeups(listener),
  };
}
