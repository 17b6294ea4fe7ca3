// Result ingestion and reading. Every row carries the seq of the ingest that appended it and is
// visible once that ingest is committed; commit writes no row (see result-visibility.ts), so
// every reader filters with isVisible and a unique export adds isFirstOfItsHash.
import type { Kysely, Selectable } from 'kysely';
import { AppError } from '../../domain/app-error.js';
import type { ResultRow } from '../../domain/types.js';
import type { Store } from '../store.js';
import type { Database, ResultsTable } from './database.js';
import { createIngestDiscarder } from './ingest-discard.js';
import { isVisible, recordIngestHashes } from './result-visibility.js';
import { toRun } from './row-mappers.js';
import { hasLiveSquid } from './squid-liveness.js';
import { newHexId, type StoreContext } from './store-context.js';

type ResultMethods = Pick<
  Store,
  | 'openIngest' | 'touchIngests' | 'appendIngestRows' | 'commitIngest' | 'discardIngest' | 'discardStaleIngests'
  | 'listResults' | 'getRunColumns'
>;

function runDeleted(runId: string): AppError {
  return new AppError('RunDoesNotExist', `Run ${runId} does not exist (its squid was deleted)`, { status: 404, param: 'run' });
}

function ingestNotOpen(ingestId: string): AppError {
  return new AppError('IngestNotOpen', `Ingest ${ingestId} is not open (already committed or discarded)`, { status: 409 });
}

async function mergeRunColumns(trx: Kysely<Database>, runId: string, columns: string[]): Promise<void> {
  const existing = await trx.selectFrom('run_columns').select('name').where('run_id', '=', runId).execute();
  const known = new Set(existing.map((row) => row.name));
  const added: string[] = [];
  for (const name of columns) {
    if (!known.has(name)) {
      known.add(name);
      added.push(name);
    }
  }
  if (added.length === 0) return;
  await trx
    .insertInto('run_columns')
    .values(added.map((name, index) => ({ run_id: runId, position: existing.length + index, name })))
    .execute();
}

function toResultRow(row: Pick<Selectable<ResultsTable>, 'seq' | 'scraping_time' | 'data'>, runId: string, squidId: string): ResultRow {
  return { seq: Number(row.seq), runId, squidId, scrapingTimeMs: Number(row.scraping_time), data: row.data };
}

async function isSquidLive(trx: Kysely<Database>, runId: string): Promise<boolean> {
  const live = await trx.selectFrom('runs').select('id').where('id', '=', runId).where(hasLiveSquid('runs.squid_id')).executeTakeFirst();
  return live !== undefined;
}

export function createResultMethods(ctx: StoreContext): ResultMethods {
  const { ops, db } = ctx;
  const findIngest = (trx: Kysely<Database>, ingestId: string) =>
    trx.selectFrom('ingests').selectAll().where('id', '=', ingestId);
  const discarder = createIngestDiscarder(ctx);

  return {
    async openIngest(runId, nowMs) {
      const id = newHexId();
      await db.insertInto('ingests').values({ id, run_id: runId, status: 'open', created_at: nowMs, heartbeat_at: nowMs }).execute();
      return id;
    },
    async touchIngests(ingestIds, nowMs) {
      if (ingestIds.length === 0) return 0;
      const touched = await db
        .updateTable('ingests')
        .set({ heartbeat_at: nowMs })
        .where('id', 'in', ingestIds)
        .where('status', '=', 'open')
        .executeTakeFirst();
      return Number(touched.numUpdatedRows);
    },
    async appendIngestRows(ingestId, rows) {
      if (rows.length === 0) return;
      await ops.transaction(async (trx) => {
        // Locked: a concurrent commit or discard of this ingest waits for these rows.
        const ingest = await findIngest(trx, ingestId).$if(ops.rowLocks, (qb) => qb.forUpdate()).executeTakeFirst();
        if (ingest === undefined || ingest.status !== 'open') throw ingestNotOpen(ingestId);
        // Shared lock (PostgreSQL): a deletion of the squid waits for this append, and appends
        // after it see the squid deleted, so that the purger's last batch is the last of its rows.
        const run = await trx
          .selectFrom('runs')
          .innerJoin('squids', 'squids.id', 'runs.squid_id')
          .select(['runs.seq as run_seq', 'squids.seq as squid_seq', 'squids.deleted_at'])
          .where('runs.id', '=', ingest.run_id)
          .$if(ops.rowLocks, (qb) => qb.forShare('squids'))
          .executeTakeFirstOrThrow();
        if (run.deleted_at !== null) throw runDeleted(ingest.run_id);
        const range = await ops.insertResultRows(
          trx,
          { runSeq: Number(run.run_seq), squidSeq: Number(run.squid_seq), ingestSeq: Number(ingest.seq) },
          rows,
        );
        await trx
          .updateTable('ingests')
          .set((eb) => ({
            first_result_seq: eb.fn.coalesce('first_result_seq', eb.val(range.first)),
            last_result_seq: eb.val(range.last),
            row_count: eb('row_count', '+', rows.length),
          }))
          .where('seq', '=', ingest.seq)
          .execute();
      });
    },
    async commitIngest(ingestId, columns) {
      const outcome = await ops.transaction(async (trx) => {
        // Locked: an append of this ingest still in flight finishes first (and is counted).
        const ingest = await findIngest(trx, ingestId).$if(ops.rowLocks, (qb) => qb.forUpdate()).executeTakeFirst();
        if (ingest === undefined || ingest.status !== 'open') throw ingestNotOpen(ingestId);
        // Locking the run serialises commits of one run (SQLite has a single writer anyway).
        const run = await trx
          .selectFrom('runs')
          .select(['id', 'seq', 'status'])
          .where('id', '=', ingest.run_id)
          .$if(ops.rowLocks, (qb) => qb.forUpdate())
          .executeTakeFirstOrThrow();
        // The purger removes the ingest's rows in bounded batches; deleting them here could be long.
        if (!(await isSquidLive(trx, run.id))) throw runDeleted(run.id);
        if (run.status !== 'running') {
          // Its rows go after this transaction, in batches (discarder.deleteDiscarding).
          await trx.updateTable('ingests').set({ status: 'discarding' }).where('seq', '=', ingest.seq).execute();
          return { committed: false, run } as const;
        }
        const uniqueRows =
          ingest.first_result_seq === null || ingest.last_result_seq === null
            ? 0
            : await recordIngestHashes(trx, {
                runSeq: Number(run.seq),
                ingestSeq: Number(ingest.seq),
                firstSeq: Number(ingest.first_result_seq),
                lastSeq: Number(ingest.last_result_seq),
              });
        await trx.updateTable('ingests').set({ status: 'committed' }).where('seq', '=', ingest.seq).execute();
        await mergeRunColumns(trx, run.id, columns);
        const updated = await trx
          .updateTable('runs')
          .set((eb) => ({
            total_results: eb('total_results', '+', Number(ingest.row_count)),
            total_unique_results: eb('total_unique_results', '+', uniqueRows),
          }))
          .where('id', '=', run.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { committed: true, run: updated } as const;
      });
      if (!outcome.committed) {
        await discarder.deleteDiscarding(ingestId);
        throw new AppError('RunNotRunning', `Run ${outcome.run.id} is ${outcome.run.status} and accepts no more results`, {
          status: 409,
        });
      }
      return toRun(outcome.run);
    },
    discardIngest: (ingestId) => discarder.discardOpen(ingestId),
    discardStaleIngests: (input) => discarder.discardStale(input),

    async listResults(accountId, filter, page) {
      const byRun = filter.runId !== undefined;
      const scopeId = filter.runId ?? filter.squidId;
      if (scopeId === undefined) return { items: [], total: 0 };
      // The runs' committed totals give the count without scanning the results.
      const scope = await db
        .selectFrom('squids')
        .innerJoin('runs', 'runs.squid_id', 'squids.id')
        .select((eb) => [
          eb.fn.min('runs.seq').as('run_seq'),
          eb.fn.min('squids.seq').as('squid_seq'),
          eb.fn.sum<number>('runs.total_results').as('total'),
        ])
        .where(byRun ? 'runs.id' : 'squids.id', '=', scopeId)
        .where('squids.account_id', '=', accountId)
        .where('squids.deleted_at', 'is', null)
        .executeTakeFirst();
      const total = Number(scope?.total ?? 0);
      if (scope === undefined || total === 0) return { items: [], total: 0 };
      const rows = await ops.readInSeqOrder((reader) =>
        reader
          .selectFrom('results')
          .innerJoin('runs', 'runs.seq', 'results.run_seq')
          .select(['results.seq', 'results.scraping_time', 'results.data', 'runs.id as run_id', 'runs.squid_id'])
          .$if(byRun, (qb) => qb.where('results.run_seq', '=', Number(scope.run_seq)))
          .$if(!byRun, (qb) => qb.where('results.squid_seq', '=', Number(scope.squid_seq)))
          .where(isVisible('results'))
          .orderBy('results.seq')
          .limit(page.limit)
          .offset(page.offset)
          .execute(),
      );
      return { items: rows.map((row) => toResultRow(row, row.run_id, row.squid_id)), total };
    },
    async getRunColumns(runId) {
      const rows = await db.selectFrom('run_columns').select('name').where('run_id', '=', runId).orderBy('position').execute();
      return rows.map((row) => row.name);
    },
  };
}
