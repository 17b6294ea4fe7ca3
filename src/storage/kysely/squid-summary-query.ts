// One query for a squid with its last run, run count and destinations: GET /v1/squids/{id}
// used to make four (squid, last run, count, destinations), and on SQLite each read is its own
// read transaction with its own file locking, so one statement instead of four was most of
// that route's database time. Only the run fields the view shows are read (fewer columns to
// convert: a third of the statement's time on SQLite).
//
// It is the API's busiest read, so it skips what Kysely does per query and need not: the SQL
// is compiled once per database (not per call), the rows come back as arrays on SQLite (see
// ROWS_AS_ARRAYS), and a destination's config is parsed once per sealed text. On SQLite its
// answers are also kept while the database is unchanged (KEPT_WHILE_UNCHANGED).
import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { DestinationConfig, DestinationKind, DoneReason, RunStatus } from '../../domain/types.js';
import type { SquidSummary } from '../store.js';
import type { Database } from './database.js';
import { KEPT_WHILE_UNCHANGED, ROWS_AS_ARRAYS, type DialectOps } from './dialect-ops.js';
import { toSquid } from './row-mappers.js';

// The select list, in the order that the positional reads below follow. Constant text only
// (no input reaches it). The run's and destination's columns are prefixed so that they do not
// collide with the squid's (PostgreSQL answers rows as objects, keyed by these names). The
// squid's id and account are not read back: the WHERE clause matched them exactly.
const COLUMNS = {
  crawler_id: 's.crawler_id',
  name: 's.name',
  is_active: 's.is_active',
  export_unique_results: 's.export_unique_results',
  no_line_breaks: 's.no_line_breaks',
  concurrency: 's.concurrency',
  created_at: 's.created_at',
  run_id: 'r.id',
  run_status: 'r.status',
  run_started_at: 'r.started_at',
  run_done_reason: 'r.done_reason',
  destination_kind: 'd.kind',
  destination_is_active: 'd.is_active',
  destination_config: 'd.config',
  destination_updated_at: 'd.updated_at',
  total_runs: '(select count(*) from runs c where c.squid_id = s.id)',
} as const;

type ColumnName = keyof typeof COLUMNS;
const COLUMN_NAMES = Object.keys(COLUMNS) as ColumnName[];
/** Each column's position in a row. */
const AT = Object.fromEntries(COLUMN_NAMES.map((name, index) => [name, index])) as Record<ColumnName, number>;

/** A row's values in COLUMNS order: SQLite's positional row as is, another dialect's object re-read. */
type SummaryValues = readonly unknown[];

/** Opens a destination's sealed config (memoised by the caller). */
export type OpenConfig = (sealed: string) => DestinationConfig;

/** Kept rows arrays whose summaries are kept: as many as the statement cache keeps answers. */
const MAPPED_SUMMARIES = 1000;

export interface SquidSummaryReader {
  read(accountId: string, squidId: string): Promise<SquidSummary | null>;
  /** The same answer without waiting; undefined when it needs to (see Store.getSquidSummaryNow). */
  readNow(accountId: string, squidId: string): SquidSummary | null | undefined;
}

/**
 * The summary read for one database; its SQL is compiled for that database's dialect on first
 * use. Rows SQLite's statement cache kept come back frozen, the same arrays while the squid is
 * unchanged: their summary is mapped once and frozen too, so that such a squid read again is
 * the same object (the API keeps its JSON by it). Other rows give a summary of the caller's own.
 */
export function createSquidSummaryReader(db: Kysely<Database>, openConfig: OpenConfig, readNow?: DialectOps['readNow']): SquidSummaryReader {
  let summarySql: string | null = null;
  // Summaries of the last kept rows arrays, by identity (a Map, not a WeakMap: ephemerons cost
  // every garbage collection a little, and this one is bounded anyway).
  const mapped = new Map<readonly unknown[], SquidSummary>();
  const summarise = (accountId: string, squidId: string, rows: Array<SummaryValues | Record<string, unknown>>): SquidSummary | null => {
    if (rows.length === 0) return null;
    if (!Object.isFrozen(rows)) return toSummary(squidId, accountId, rows.map(toValues), openConfig);
    let summary = mapped.get(rows);
    if (summary === undefined) {
      summary = freezeSummary(toSummary(squidId, accountId, rows.map(toValues), openConfig));
      mapped.set(rows, summary);
      if (mapped.size > MAPPED_SUMMARIES) mapped.delete(mapped.keys().next().value as readonly unknown[]);
    }
    return summary;
  };
  const summaryText = (): string => (summarySql ??= compileSummarySql(db));
  const now = (accountId: string, squidId: string): SquidSummary | null | undefined => {
    const rows = readNow?.(summaryText(), [squidId, accountId]);
    return rows === undefined || rows === null ? undefined : summarise(accountId, squidId, rows as Array<SummaryValues | Record<string, unknown>>);
  };
  return {
    readNow: now,
    async read(accountId, squidId) {
      const answered = now(accountId, squidId);
      if (answered !== undefined) return answered;
      const rows = (await db.executeQuery<SummaryValues | Record<string, unknown>>(CompiledQuery.raw(summaryText(), [squidId, accountId]))).rows;
      return summarise(accountId, squidId, rows as Array<SummaryValues | Record<string, unknown>>);
    },
  };
}

function freezeSummary(summary: SquidSummary): SquidSummary {
  Object.freeze(summary.squid);
  if (summary.lastRun !== null) Object.freeze(summary.lastRun);
  for (const destination of summary.destinations) Object.freeze(Object.freeze(destination).config);
  Object.freeze(summary.destinations);
  return Object.freeze(summary);
}

/**
 * Compiled through Kysely once, so that the placeholders are the dialect's (`?` or `$1`). The
 * last run is found by ORDER BY ... LIMIT 1 rather than max(): the same index walk, but
 * PostgreSQL plans it in a quarter less time (and it plans every statement Kysely sends).
 */
function compileSummarySql(db: Kysely<Database>): string {
  const selectList = sql.raw(COLUMN_NAMES.map((name) => `${COLUMNS[name]} as ${name}`).join(', '));
  // Stand-ins that make Kysely write the placeholders; every call binds its own values.
  const [squidId, accountId] = ['squid id', 'account id'];
  return sql`${sql.raw(ROWS_AS_ARRAYS + KEPT_WHILE_UNCHANGED)}select ${selectList}
    from squids s
    left join runs r on r.seq = (select m.seq from runs m where m.squid_id = s.id order by m.seq desc limit 1)
    left join destinations d on d.squid_id = s.id
    where s.id = ${squidId} and s.account_id = ${accountId}
    order by d.kind`.compile(db).sql;
}

function toValues(row: SummaryValues | Record<string, unknown>): SummaryValues {
  if (Array.isArray(row)) return row as SummaryValues;
  const named = row as Record<string, unknown>;
  return COLUMN_NAMES.map((name) => named[name]);
}

/** One row per destination (one row with null destination columns when there is none). */
function toSummary(squidId: string, accountId: string, rows: SummaryValues[], openConfig: OpenConfig): SquidSummary {
  const first = rows[0]!;
  const runId = first[AT.run_id] as string | null;
  return {
    squid: toSquid({
      id: squidId,
      account_id: accountId,
      crawler_id: first[AT.crawler_id] as string,
      name: first[AT.name] as string,
      is_active: first[AT.is_active] as number,
      export_unique_results: first[AT.export_unique_results] as number,
      no_line_breaks: first[AT.no_line_breaks] as number,
      concurrency: first[AT.concurrency] as number,
      created_at: first[AT.created_at] as number,
    }),
    lastRun:
      runId === null
        ? null
        : {
            id: runId,
            status: first[AT.run_status] as RunStatus,
            startedAtMs: Number(first[AT.run_started_at]),
            doneReason: first[AT.run_done_reason] as DoneReason | null,
          },
    totalRuns: Number(first[AT.total_runs]),
    destinations: rows
      .filter((row) => row[AT.destination_kind] !== null)
      .map((row) => ({
        // The join is on squid_id, so the destination's squid is the squid read.
        squidId,
        kind: row[AT.destination_kind] as DestinationKind,
        isActive: row[AT.destination_is_active] === 1,
        config: openConfig(row[AT.destination_config] as string),
        updatedAtMs: Number(row[AT.destination_updated_at]),
      })),
  };
}
