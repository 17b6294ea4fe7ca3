// What differs between SQLite and PostgreSQL, behind a few small functions. Everything else
// in the store is one Kysely implementation shared by both dialects.
import type { Kysely, RawBuilder } from 'kysely';
import type { IngestRow, ResultTextsThreadPlan } from '../store.js';
import type { Database } from './database.js';

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
