// Runs: start (one active run per squid, with the jobs of channels that fire when a run starts), read, list.
import { AppError } from '../../domain/app-error.js';
import type { Store } from '../store.js';
import { toRun } from './row-mappers.js';
import { insertDeliveries, planFor } from './run-completion.js';
import { hasLiveSquid } from './squid-liveness.js';
import { newHexId, type StoreContext } from './store-context.js';

type RunMethods = Pick<Store, 'startRun' | 'getRun' | 'getRunById' | 'listRuns'>;

export const ACTIVE_RUN_STATUSES = ['pending', 'running', 'paused'] as const;

export function createRunMethods(ctx: StoreContext): RunMethods {
  const { ops, db } = ctx;
  return {
    async startRun({ accountId, squidId, nowMs }, plan) {
      const outcome = await ops.transaction(async (trx) => {
        // The squid row lock makes two concurrent starts of one squid take turns (PostgreSQL).
        const squid = await trx
          .selectFrom('squids')
          .select('id')
          .where('id', '=', squidId)
          .where('account_id', '=', accountId)
          .where('deleted_at', 'is', null)
          .$if(ops.rowLocks, (qb) => qb.forUpdate())
          .executeTakeFirst();
        if (squid === undefined) {
          throw new AppError('SquidDoesNotExistException', `Squid ${squidId} does not exist`, { status: 404, param: 'squid' });
        }
        const active = await trx
          .selectFrom('runs')
          .select('id')
          .where('squid_id', '=', squidId)
          .where('status', 'in', ACTIVE_RUN_STATUSES)
          .executeTakeFirst();
        if (active !== undefined) {
          throw new AppError('RunInProgress', `Squid ${squidId} already has an active run ${active.id}`, { status: 400 });
        }
        const row = await trx
          .insertInto('runs')
          .values({
            id: newHexId(),
            squid_id: squidId,
            account_id: accountId,
            status: 'running',
            origin: 'user',
            total_results: 0,
            total_unique_results: 0,
            started_at: nowMs,
            export_count: 0,
            created_at: nowMs,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const run = toRun(row);
        if (plan === undefined) return { run, enqueued: 0 };
        const planned = await planFor(ctx, trx, run, plan);
        return { run, enqueued: (await insertDeliveries(ctx, trx, run, 1, planned, nowMs)).length };
      });
      if (outcome.enqueued > 0) ops.notifyDeliveriesCommitted();
      return outcome.run;
    },
    async getRun(accountId, runId) {
      const row = await db.selectFrom('runs').selectAll().where('id', '=', runId).where('account_id', '=', accountId).where(hasLiveSquid('runs.squid_id')).executeTakeFirst();
      return row === undefined ? null : toRun(row);
    },
    async getRunById(runId) {
      const row = await db.selectFrom('runs').selectAll().where('id', '=', runId).where(hasLiveSquid('runs.squid_id')).executeTakeFirst();
      return row === undefined ? null : toRun(row);
    },
    async listRuns(accountId, squidId, page) {
      const query = db.selectFrom('runs').where('squid_id', '=', squidId).where('account_id', '=', accountId).where(hasLiveSquid('runs.squid_id'));
      const [rows, count] = await Promise.all([
        query.selectAll().orderBy('seq', 'desc').limit(page.limit).offset(page.offset).execute(),
        query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
      ]);
      return { items: rows.map(toRun), total: Number(count.total) };
    },
  };
}
