// What differs between SQLite and PostgreSQL, behind a few small functions. Everything else
// in the store is one Kysely implementation shared by both dialects.
import type { Kysely, RawBuilder } from 'kysely';
import type { IngestRow, ResultTextsThreadPlan } from '../store.js';
import type { Database } from './database.js';

/**
 * A query whose SQL text starts with this comment gets its rows on SQLite as arrays of column
 * values in select-list order (statement-cache.ts: better-sqlite3's raw mode) instead of one
 * object per row, which was a quarter of the busiest read's statement time. PostgreSQL ignores
 * the comment and answers objects, so such a query reads either shape.
 */
export const ROWS_AS_ARRAYS = '/* rows as arrays */ ';

/**
 * A query whose SQL text holds this comment has its answers kept by SQLite's statement cache
 * (statement-cache.ts) and given again while the database is unchanged: no other connection
 * has committed (`data_version`) and this one has changed no row (total_changes()). It reads
 * as much as a fresh read would, from a few counters instead of three tables. PostgreSQL has
 * no such cheap check and ignores the comment.
 */
export const KEPT_WHILE_UNCHANGED = '/* kept while unchanged */ ';

/** Where appended rows go: integer keys of the run, its squid and the open ingest. */
export interface ResultTarget {
  runSeq: number;
  squidSeq: number;
  ingestSeq: number;
}

/** The seq range the inserted rows got. */
export interface SeqRange {
  first: number;
  last: number;
}

/** The indexed 52-bit prefix of a hex row hash (0 when it is not hex: still correct, slower). */
export function toHashKey(rowHash: string): number {
  const key = Number.parseInt(rowHash.slice(0, 13), 16);
  return Number.isSafeInteger(key) ? key : 0;
}

export interface DialectOps {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * PostgreSQL: SELECT ... FOR UPDATE / FOR SHARE / SKIP LOCKED serialise writers.
   * SQLite has no row locks: every write transaction holds the database's single write lock.
   */
  readonly rowLocks: boolean;
  readonly db: Kysely<Database>;
  /** Runs `work` in one write transaction (SQLite: BEGIN IMMEDIATE). Never nest. */
  transaction<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * Runs `read`, a query that walks results in seq order through an index and stops at a LIMIT,
   * so that the database does exactly that. PostgreSQL: in a transaction that rules out sorts
   * and bitmap scans, because for a run without statistics yet (any new run) the planner
   * expected a few rows and sorted all the run's rows for each batch (3,000 rows/s streaming a
   * 600,000-row run). SQLite plans it that way by itself.
   */
  readInSeqOrder<T>(read: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * An aggregate over a batch of result rows read in seq order: each row's `data` followed by
   * an LF, concatenated in `seq` order (SQLite: a BLOB, as Buffer; PostgreSQL: text).
   */
  concatRowTexts(data: string, seq: string): RawBuilder<Buffer | string>;
  /**
   * SQLite only: runs a read-only statement at once on the store's connection and answers its
   * rows (arrays or objects, as Kysely would), or null while a transaction holds the connection
   * (the caller then reads through Kysely, which waits for it). It skips Kysely's chain of
   * promises, ~2 µs of the API's busiest read.
   */
  readNow?(sql: string, parameters: readonly unknown[]): unknown[] | null;
  /** Store.planResultTextsThread: the dialect's thread reader, with what it opens its connection from. */
  planResultTextsThread(runId: string, options: { unique: boolean; batchSize: number }): ResultTextsThreadPlan | null;
  /** Appends rows (at least one) in push order, inside `trx`; the hot path of ingestion. */
  insertResultRows(trx: Kysely<Database>, target: ResultTarget, rows: IngestRow[]): Promise<SeqRange>;
  /** Inside a transaction that enqueued deliveries (PostgreSQL: NOTIFY, sent at commit). */
  notifyDeliveriesInTransaction(trx: Kysely<Database>): Promise<void>;
  /** After that transaction committed (SQLite: wakes this process's listeners). */
  notifyDeliveriesCommitted(): void;
  subscribeDeliveryWakeups(listener: () => void): Promise<() => Promise<void>>;
  /** Whether `error` is a UNIQUE constraint violation. */
  isUniqueViolation(error: unknown): boolean;
  migrate(): Promise<void>;
  close(): Promise<void>;
}
