// A squid with its last run, run count and destinations (Store.getSquidSummary), in one
// statement: the view is then of one moment, where separate reads could straddle a commit.
import { sql, type Kysely } from 'kysely';
import type { DoneReason, RunStatus } from '../../domain/types.js';
import type { SecretBox } from '../secret-box.js';
import type { SquidSummary } from '../store.js';
import type { Database, DestinationsTable, SquidsTable } from './database.js';
import { toDestination, toSquid } from './row-mappers.js';

/** One row per destination (one with null destination columns when there is none). */
interface SummaryRow extends Omit<SquidsTable, 'seq' | 'id' | 'account_id'> {
  run_id: string | null;
  run_status: RunStatus | null;
  run_started_at: number | string | null;
  run_done_reason: DoneReason | null;
  destination_kind: DestinationsTable['kind'] | null;
  destination_is_active: DestinationsTable['is_active'] | null;
  destination_config: DestinationsTable['config'] | null;
  destination_updated_at: DestinationsTable['updated_at'] | null;
  /** PostgreSQL answers count(*) as a string. */
  total_runs: number | string;
}

export async function readSquidSummary(db: Kysely<Database>, secretBox: SecretBox, accountId: string, squidId: string): Promise<SquidSummary | null> {
  const { rows } = await sql<SummaryRow>`select
      s.crawler_id, s.name, s.is_active, s.export_unique_results, s.no_line_breaks, s.concurrency, s.created_at,
      r.id as run_id, r.status as run_status, r.started_at as run_started_at, r.done_reason as run_done_reason,
      d.kind as destination_kind, d.is_active as destination_is_active, d.config as destination_config,
      d.updated_at as destination_updated_at,
      (select count(*) from runs c where c.squid_id = s.id) as total_runs
    from squids s
    left join runs r on r.seq = (select m.seq from runs m where m.squid_id = s.id order by m.seq desc limit 1)
    left join destinations d on d.squid_id = s.id
    where s.id = ${squidId} and s.account_id = ${accountId} and s.deleted_at is null
    order by d.kind`.execute(db);
  const first = rows[0];
  if (first === undefined) return null;
  const { run_id: runId } = first;
  return {
    squid: toSquid({ ...first, id: squidId, account_id: accountId }),
    lastRun: runId === null ? null : { id: runId, status: first.run_status!, startedAtMs: Number(first.run_started_at), doneReason: first.run_done_reason },
    totalRuns: Number(first.total_runs),
    destinations: rows.flatMap((row) =>
      row.destination_kind === null
        ? []
        : [toDestination(secretBox, { squid_id: squidId, kind: row.destination_kind, is_active: row.destination_is_active!, config: row.destination_config!, updated_at: row.destination_updated_at! })],
    ),
  };
}
