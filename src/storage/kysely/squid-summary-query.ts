// One query for a squid with its last run, run count and destinations: GET /v1/squids/{id}
// used to make four (squid, last run, count, destinations), and on SQLite each read is its own
// read transaction with its own file locking, so one statement instead of four was most of
// that route's database time. Only the run fields the view shows are read (fewer columns to
// convert: a third of the statement's time on SQLite).
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DoneReason, RunStatus } from '../../domain/types.js';
import type { SecretBox } from '../secret-box.js';
import type { SquidSummary } from '../store.js';
import type { Database, DestinationsTable, SquidsTable } from './database.js';
import { toDestination, toSquid } from './row-mappers.js';

// Constant column names only (no input reaches this text): the run's and destination's columns
// are prefixed so that they do not collide with the squid's.
const SELECT_LIST = sql.raw(
  [
    's.id, s.account_id, s.crawler_id, s.name, s.is_active, s.export_unique_results, s.no_line_breaks, s.concurrency, s.created_at',
    'r.id as run_id, r.status as run_status, r.started_at as run_started_at, r.done_reason as run_done_reason',
    'd.squid_id as destination_squid_id, d.kind as destination_kind, d.is_active as destination_is_active',
    'd.config as destination_config, d.updated_at as destination_updated_at',
    '(select count(*) from runs c where c.squid_id = s.id) as total_runs',
  ].join(', '),
);

interface SummaryRow extends Selectable<SquidsTable> {
  run_id: string | null;
  run_status: string | null;
  run_started_at: number | string | null;
  run_done_reason: string | null;
  destination_squid_id: string | null;
  destination_kind: string | null;
  destination_is_active: number | null;
  destination_config: string | null;
  destination_updated_at: number | string | null;
  total_runs: number | string;
}

/** One row per destination (one row with null destination columns when there is none). */
export async function readSquidSummary(db: Kysely<Database>, secretBox: SecretBox, accountId: string, squidId: string): Promise<SquidSummary | null> {
  const { rows } = await sql<SummaryRow>`
    select ${SELECT_LIST}
    from squids s
    left join runs r on r.seq = (select max(m.seq) from runs m where m.squid_id = s.id)
    left join destinations d on d.squid_id = s.id
    where s.id = ${squidId} and s.account_id = ${accountId}
    order by d.kind`.execute(db);
  const first = rows[0];
  if (first === undefined) return null;
  return {
    squid: toSquid(first),
    lastRun:
      first.run_id === null
        ? null
        : { id: first.run_id, status: first.run_status as RunStatus, startedAtMs: Number(first.run_started_at), doneReason: first.run_done_reason as DoneReason | null },
    totalRuns: Number(first.total_runs),
    destinations: rows.filter((row) => row.destination_kind !== null).map((row) => toDestination(secretBox, toDestinationRow(row))),
  };
}

function toDestinationRow(row: SummaryRow): Selectable<DestinationsTable> {
  return {
    squid_id: row.destination_squid_id as string,
    kind: row.destination_kind as string,
    is_active: row.destination_is_active as number,
    config: row.destination_config as string,
    updated_at: row.destination_updated_at as number,
  };
}
