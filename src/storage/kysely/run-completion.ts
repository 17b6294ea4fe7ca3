// The run's delivery lifecycle: completion enqueues round 1, a re-delivery enqueues the next
// round, and the last finished `file` job of the current round finalises the run. Jobs of other
// events (run.running, enqueued when the run starts) never hold a run in `uploading`.
import type { Kysely, Selectable } from 'kysely';
import { AppError } from '../../domain/app-error.js';
import type { Delivery, DoneReason, Run } from '../../domain/types.js';
import type { NewDelivery, PlanDeliveries, Store } from '../store.js';
import type { Database, RunsTable } from './database.js';
import { sealConfig, toDelivery, toDestination, toRun, toSquid } from './row-mappers.js';
import { hasLiveSquid } from './squid-liveness.js';
import { newHexId, type StoreContext } from './store-context.js';

type CompletionMethods = Pick<Store, 'completeRun' | 'enqueueRedelivery'>;

const FINISHED_RUN_STATUSES = ['done', 'aborted', 'error'];
/** The event of the jobs that deliver the run's export file; see NewDelivery.event. */
export const FILE_EVENT = 'file';

function runNotFound(runId: string): AppError {
  return new AppError('RunDoesNotExist', `Run ${runId} does not exist`, { status: 404, param: 'run' });
}

/** The run, locked for the rest of the transaction where the dialect has row locks. */
export async function lockRun(
  { ops }: StoreContext,
  trx: Kysely<Database>,
  runId: string,
  accountId?: string,
): Promise<Selectable<RunsTable> | undefined> {
  return trx
    .selectFrom('runs')
    .selectAll()
    .where('id', '=', runId)
    // A user's request never reaches a deleted squid's run; the worker's lookups go by its jobs, which the deletion removed.
    .$if(accountId !== undefined, (qb) => qb.where('account_id', '=', accountId!).where(hasLiveSquid('runs.squid_id')))
    .$if(ops.rowLocks, (qb) => qb.forUpdate())
    .executeTakeFirst();
}

/** Calls the planner with the run's squid and its active destinations. */
export async function planFor(ctx: StoreContext, trx: Kysely<Database>, run: Run, plan: PlanDeliveries): Promise<NewDelivery[]> {
  const squid = await trx.selectFrom('squids').selectAll().where('id', '=', run.squidId).executeTakeFirstOrThrow();
  const destinations = await trx
    .selectFrom('destinations')
    .selectAll()
    .where('squid_id', '=', run.squidId)
    .where('is_active', '=', 1)
    .orderBy('kind')
    .execute();
  return plan(run, toSquid(squid), destinations.map((row) => toDestination(ctx.secretBox, row)));
}

export async function insertDeliveries(
  ctx: StoreContext,
  trx: Kysely<Database>,
  run: Run,
  round: number,
  planned: NewDelivery[],
  nowMs: number,
): Promise<Delivery[]> {
  if (planned.length === 0) return [];
  await trx
    .insertInto('deliveries')
    .values(
      planned.map((delivery) => ({
        id: newHexId(),
        run_id: run.id,
        squid_id: run.squidId,
        account_id: run.accountId,
        kind: delivery.kind,
        event: delivery.event,
        round,
        status: 'pending',
        config: sealConfig(ctx.secretBox, delivery.config),
        target: delivery.target,
        attempts: 0,
        next_attempt_at: nowMs,
        created_at: nowMs,
      })),
    )
    // UNIQUE(run_id, kind, event, round): enqueuing the same round twice is a no-op.
    .onConflict((oc) => oc.columns(['run_id', 'kind', 'event', 'round']).doNothing())
    .execute();
  await ctx.ops.notifyDeliveriesInTransaction(trx);
  const events = [...new Set(planned.map((delivery) => delivery.event))];
  const rows = await trx
    .selectFrom('deliveries')
    .selectAll()
    .where('run_id', '=', run.id)
    .where('round', '=', round)
    .where('event', 'in', events)
    .orderBy('seq')
    .execute();
  return rows.map((row) => toDelivery(ctx.secretBox, row));
}

export function createCompletionMethods(ctx: StoreContext): CompletionMethods {
  const { ops } = ctx;
  return {
    async completeRun(input, plan) {
      const outcome = await ops.transaction(async (trx) => {
        const row = await lockRun(ctx, trx, input.runId, input.accountId);
        if (row === undefined) throw runNotFound(input.runId);
        if (row.status !== 'running') {
          throw new AppError('RunNotRunning', `Run ${row.id} is ${row.status}, not running`, { status: 409 });
        }
        const ended = { ended_at: input.nowMs, end_reason: input.reason, done_reason: input.reason, export_file_name: input.exportFileName };
        const planned = await planFor(ctx, trx, toRun({ ...row, ...ended }), plan);
        const holdsRun = planned.some((delivery) => delivery.event === FILE_EVENT);
        const status = holdsRun ? 'uploading' : input.reason === 'aborted' ? 'aborted' : 'done';
        const updated = await trx
          .updateTable('runs')
          .set({ ...ended, status })
          .where('id', '=', row.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        const run = toRun(updated);
        return { run, deliveries: await insertDeliveries(ctx, trx, run, 1, planned, input.nowMs) };
      });
      if (outcome.deliveries.length > 0) ops.notifyDeliveriesCommitted();
      return outcome;
    },
    async enqueueRedelivery(accountId, runId, nowMs, plan) {
      const deliveries = await ops.transaction(async (trx) => {
        const row = await lockRun(ctx, trx, runId, accountId);
        if (row === undefined) throw runNotFound(runId);
        const unfinished = await trx
          .selectFrom('deliveries')
          .select('id')
          .where('run_id', '=', runId)
          .where('event', '=', FILE_EVENT)
          .where('status', 'in', ['pending', 'running'])
          .executeTakeFirst();
        if (row.status === 'uploading' || unfinished !== undefined) {
          throw new AppError('DeliveryInProgress', `Run ${runId} is being delivered; wait until it is done`, { status: 409 });
        }
        if (!FINISHED_RUN_STATUSES.includes(row.status)) {
          throw new AppError('RunNotFinished', `Run ${runId} is ${row.status}; only a finished run can be delivered again`, { status: 409 });
        }
        const planned = (await planFor(ctx, trx, toRun(row), plan)).filter((delivery) => delivery.event === FILE_EVENT);
        if (planned.length === 0) {
          throw new AppError('NoActiveDelivery', 'configure an active delivery for this squid first (POST /v1/delivery?squid=...)', {
            status: 400,
          });
        }
        const last = await trx
          .selectFrom('deliveries')
          .select((eb) => eb.fn.max<number | null>('round').as('round'))
          .where('run_id', '=', runId)
          .where('event', '=', FILE_EVENT)
          .executeTakeFirst();
        await trx.updateTable('runs').set({ status: 'uploading' }).where('id', '=', runId).execute();
        return insertDeliveries(ctx, trx, toRun({ ...row, status: 'uploading' }), Number(last?.round ?? 0) + 1, planned, nowMs);
      });
      ops.notifyDeliveriesCommitted();
      return deliveries;
    },
  };
}

/**
 * Inside finishAttempt's transaction, with the run locked: when no `file` job of the run's
 * highest round is pending or running, the run ends (done, or aborted when the scraper aborted
 * it) and its export fields say how the round went. Answers the finalised run and its round.
 */
export async function finaliseRunIfRoundOver(
  trx: Kysely<Database>,
  run: Selectable<RunsTable>,
  nowMs: number,
): Promise<{ run: Selectable<RunsTable>; round: number } | null> {
  if (run.status !== 'uploading') return null;
  const last = await trx
    .selectFrom('deliveries')
    .select((eb) => eb.fn.max<number | null>('round').as('round'))
    .where('run_id', '=', run.id)
    .where('event', '=', FILE_EVENT)
    .executeTakeFirst();
  const round = Number(last?.round ?? 0);
  const statuses = (
    await trx
      .selectFrom('deliveries')
      .select('status')
      .where('run_id', '=', run.id)
      .where('round', '=', round)
      .where('event', '=', FILE_EVENT)
      .execute()
  ).map((row) => row.status);
  if (statuses.some((status) => status === 'pending' || status === 'running')) return null;
  const endReason = (run.end_reason ?? 'tasks_done') as DoneReason;
  const anyFailed = statuses.includes('failed');
  const doneReason: DoneReason = anyFailed
    ? 'export_failed'
    : round > 1 && run.done_reason === 'export_failed'
      ? 'export_fix'
      : endReason;
  const updated = await trx
    .updateTable('runs')
    .set({
      status: endReason === 'aborted' ? 'aborted' : 'done',
      export_time: nowMs,
      export_done: statuses.every((status) => status === 'succeeded') ? 1 : 0,
      done_reason: doneReason,
    })
    .where('id', '=', run.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { run: updated, round };
}
