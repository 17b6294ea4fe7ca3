// The Store: every read and write Squidship makes, in domain verbs. `sqlite/` and `postgres/`
// implement it; nothing outside `storage/` holds SQL. Secrets in destination configs are
// encrypted by the store before they reach the database and decrypted on the way out.
import type {
  Account,
  Delivery,
  DeliveryAttempt,
  DeliveryError,
  Destination,
  DestinationConfig,
  DestinationKind,
  DoneReason,
  EndpointAnswer,
  HexId,
  NewResultRow,
  ResultRow,
  Run,
  Squid,
} from '../domain/types.js';

export interface PageRequest {
  limit: number;
  offset: number;
}

export interface ApiTokenInfo {
  id: HexId;
  accountId: HexId;
  accountName: string;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  bootstrap: boolean;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface NewSquid {
  accountId: HexId;
  crawlerId: HexId;
  name: string;
  nowMs: number;
}

export interface SquidPatch {
  name?: string;
  isActive?: boolean;
  exportUniqueResults?: boolean;
  noLineBreaks?: boolean;
  concurrency?: number;
}

/**
 * Which jobs a claim may take: `file` jobs (an export file written somewhere: heavy, few at once)
 * or `event` jobs (every other event: a small request, mostly waiting on its endpoint).
 * Omitted: either.
 */
export type DeliveryClass = 'file' | 'event';

/** A delivery job the caller plans inside startRun / completeRun / enqueueRedelivery's transaction. */
export interface NewDelivery {
  kind: DestinationKind;
  /** 'file' jobs hold a finished run in `uploading` until they end; other events never do. */
  event: string;
  config: DestinationConfig;
  target: string | null;
}

/** Plans a run's delivery jobs from its squid's active destinations (pure; no I/O). */
export type PlanDeliveries = (run: Run, squid: Squid, activeDestinations: Destination[]) => NewDelivery[];

export interface CompleteRunInput {
  accountId: HexId;
  runId: HexId;
  reason: Extract<DoneReason, 'tasks_done' | 'aborted'>;
  nowMs: number;
  /** Fixed once here; see Run.exportFileName. */
  exportFileName: string;
}

export interface AttemptResult {
  nowMs: number;
  /**
   * succeeded: object written. retrying: failed, try again at nextAttemptAtMs.
   * failed: failed for good (permanent error or attempts exhausted).
   */
  outcome: 'succeeded' | 'retrying' | 'failed';
  nextAttemptAtMs?: number;
  error?: DeliveryError;
  rows?: number;
  bytes?: number;
  etag?: string;
  /** What an HTTP endpoint answered (webhooks). */
  endpoint?: EndpointAnswer;
}

export interface DeliveryWithAttempts extends Delivery {
  attemptList: DeliveryAttempt[];
}

/** What a squid's view shows of its last run. */
export type LastRunSummary = Pick<Run, 'id' | 'status' | 'startedAtMs' | 'doneReason'>;

/** A squid with what its API view shows (see Store.getSquidSummary). */
export interface SquidSummary {
  squid: Squid;
  lastRun: LastRunSummary | null;
  totalRuns: number;
  destinations: Destination[];
}

/** Rows of a run as their stored JSON texts, in push order. */
/**
 * What a worker thread needs to read a run's result texts itself: the module to import there
 * (it exports `openResultTexts`, see ResultTextsThreadModule) and its argument, which crosses
 * to the thread by structured clone.
 */
export interface ResultTextsThreadPlan {
  moduleUrl: string;
  args: unknown;
}

/** The module a ResultTextsThreadPlan names. */
export interface ResultTextsThreadModule {
  openResultTexts(args: unknown): ResultTextsSource;
}

/** A thread's own reader: the batches in order, and its connection to close. */
export interface ResultTextsSource {
  batches: AsyncIterable<ResultTextBatch>;
  close(): Promise<void>;
}

export interface ResultTextBatch {
  rowCount: number;
  /**
   * The rows' JSON texts as UTF-8, each followed by one LF. A stored text never holds an LF
   * itself: NDJSON lines are split on it and JSON array items are stored as JSON.stringify
   * writes them.
   */
  texts: Buffer;
  /**
   * Called by the consumer once it no longer reads `texts`: a reader may then reuse that memory
   * for a later batch (the PostgreSQL thread reader does), so a long export allocates no buffer
   * per batch. Optional to call; a reader that reuses nothing leaves it out.
   */
  release?(): void;
}

/**
 * A row to append. `dataBytes`, when its producer holds them, are exactly the UTF-8 bytes of
 * `data` (valid UTF-8): a store may bind them instead of encoding `data` again, and `data` may
 * then be decoded only when read.
 */
export interface IngestRow extends NewResultRow {
  readonly dataBytes?: Uint8Array;
}

export interface ResultFilter {
  squidId?: HexId;
  runId?: HexId;
}

export interface SquidPurgeStep {
  squidId: HexId;
  rowsDeleted: number;
  /** The squid row itself is gone: its purge is over. */
  finished: boolean;
}

export interface DeliveryQueueSummary {
  pending: number;
  running: number;
  earliestPendingAtMs: number | null;
}

/** Something a delivery attempt opened at its destination and has not closed (migration 0005). */
export interface OpenWrite {
  id: string;
  /** The channel's own JSON (S3: bucket, key, endpoint, upload id). */
  ref: string;
  /** The attempt that opened it. */
  attempt: number;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Applies pending migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Decrypts one stored secret (none stored: passes); throws an AppError when the key is not theirs. */
  verifySecretKey(): Promise<void>;
  /** Safe to call twice. */
  close(): Promise<void>;

  // Accounts and API tokens (tokens are stored as SHA-256 hex hashes, never in clear).
  createAccount(input: { name: string; email: string; nowMs: number }): Promise<Account>;
  findAccountByName(name: string): Promise<Account | null>;
  /** Adds the token (a no-op when its hash is known); `bootstrap` marks it as SQUIDSHIP_BOOTSTRAP_TOKEN's. */
  addApiToken(accountId: HexId, tokenHash: string, nowMs: number, options?: { bootstrap?: boolean }): Promise<void>;
  findAccountByTokenHash(tokenHash: string): Promise<Account | null>;
  /** Sets the token's last use to `nowMs` unless it was set less than `precisionMs` before. */
  recordApiTokenUse(tokenHash: string, nowMs: number, precisionMs: number): Promise<void>;
  /** Every token, oldest first, with its account (never the token or its hash). */
  listApiTokens(): Promise<ApiTokenInfo[]>;
  /** Deletes the token with this public id; false when there is none. */
  revokeApiToken(tokenId: HexId): Promise<boolean>;
  /** Deletes the bootstrap tokens but the one with `keepHash` (null: all of them); returns how many. */
  removeBootstrapTokens(keepHash: string | null): Promise<number>;

  // Squids. Names are unique per account (AppError DuplicateSquid, 400).
  createSquid(input: NewSquid): Promise<Squid>;
  getSquid(accountId: HexId, squidId: HexId): Promise<Squid | null>;
  /** For workers, which act for every account. */
  getSquidById(squidId: HexId): Promise<Squid | null>;
  /** `nameContains` matches case-insensitively anywhere in the name. Oldest first. */
  listSquids(accountId: HexId, filter: { nameContains?: string }, page: PageRequest): Promise<Page<Squid>>;
  /** Names already used in the account that start with `prefix` (for default names). */
  listSquidNamesStartingWith(accountId: HexId, prefix: string): Promise<string[]>;
  updateSquid(accountId: HexId, squidId: HexId, patch: SquidPatch): Promise<Squid | null>;
  /**
   * Deletes the squid (false when the account has no such squid): from now on no read finds it
   * or its runs, results and destinations, and its name is free; its deliveries are cancelled
   * (an attempt in flight loses its lease). Bounded work: the rows go later, by purgeDeletedSquid.
   */
  deleteSquid(accountId: HexId, squidId: HexId, nowMs: number): Promise<boolean>;
  /**
   * One step of purging the oldest deleted squid, in one transaction of at most `maxRows` rows:
   * its results, then its run hashes, then its ingests; when none is left, the squid itself
   * (`finished`). Null when no deleted squid is left. Purgers of several processes may run.
   */
  purgeDeletedSquid(maxRows: number): Promise<SquidPurgeStep | null>;
  /** Last-run summary per squid, for squid listings. */
  getLastRun(squidId: HexId): Promise<{ run: Run | null; totalRuns: number }>;
  /**
   * The squid (null if it is not in the account) with its last run, run count and destinations,
   * in one read: what getSquid + getLastRun + listDestinations give, for the API's squid views.
   */
  getSquidSummary(accountId: HexId, squidId: HexId): Promise<SquidSummary | null>;

  // Destinations: one per (squid, kind); a put replaces it.
  putDestination(squidId: HexId, kind: DestinationKind, isActive: boolean, config: DestinationConfig, nowMs: number): Promise<Destination>;
  listDestinations(squidId: HexId): Promise<Destination[]>;

  // Runs. A squid has at most one active (pending, running or paused) run: AppError RunInProgress.
  /**
   * `plan`, when given, is called with the new run inside the same transaction; its jobs (the
   * channels that fire on `run.running`) are enqueued there, as round 1, and wake workers after
   * commit.
   */
  startRun(input: { accountId: HexId; squidId: HexId; nowMs: number }, plan?: PlanDeliveries): Promise<Run>;
  getRun(accountId: HexId, runId: HexId): Promise<Run | null>;
  getRunById(runId: HexId): Promise<Run | null>;
  /** Newest first. */
  listRuns(accountId: HexId, squidId: HexId, page: PageRequest): Promise<Page<Run>>;

  // Result ingestion, in batches so that no request holds a long transaction:
  // rows appended to an open ingest are invisible until commitIngest, and a discarded
  // ingest leaves nothing behind. One HTTP request = one ingest. While its request is alive,
  // the process that owns an ingest touches its heartbeat (touchIngests); discardStaleIngests
  // removes those whose heartbeat stopped (their process died), whichever process runs it.
  /** Opens an ingest whose heartbeat is `nowMs`. */
  openIngest(runId: HexId, nowMs: number): Promise<HexId>;
  /** Sets the heartbeat of those of the ingests that are still open; returns how many. */
  touchIngests(ingestIds: HexId[], nowMs: number): Promise<number>;
  appendIngestRows(ingestId: HexId, rows: IngestRow[]): Promise<void>;
  /**
   * Makes the ingest's rows visible, merges `columns` (first-seen order) into the run's columns,
   * and updates the run's totals, in one transaction. Throws AppError RunNotRunning (409) and
   * discards the rows if the run is no longer running.
   */
  commitIngest(ingestId: HexId, columns: string[]): Promise<Run>;
  /**
   * Discards the ingest if it is still open: no append or commit of it succeeds from the start,
   * and its rows are deleted in batches of bounded size (the event loop runs between them).
   */
  discardIngest(ingestId: HexId): Promise<void>;
  /**
   * Discards, the same way, every ingest whose heartbeat is older than `heartbeatBeforeMs`: those
   * of processes that died (and discards that a dead process left half done). `nowMs` marks the
   * ones taken, so that a second sweeper leaves them alone. Returns how many were discarded.
   */
  discardStaleIngests(input: { heartbeatBeforeMs: number; nowMs: number; batchRows?: number }): Promise<number>;

  /** Committed rows, in push order. Exactly one of squidId / runId. */
  listResults(accountId: HexId, filter: ResultFilter, page: PageRequest): Promise<Page<ResultRow>>;
  /** The run's columns: the union of its committed rows' keys, in first-seen order. */
  getRunColumns(runId: HexId): Promise<string[]>;
  /**
   * Every committed row of the run in push order, as JSON texts, in batches of at most
   * `batchSize` rows read with keyset pagination (memory does not grow with the run). With
   * `unique`, only the first row of each distinct rowHash.
   */
  streamRunResultTexts(runId: HexId, options: { unique: boolean; batchSize: number }): AsyncIterable<ResultTextBatch>;
  /**
   * How a worker thread reads the same batches as streamRunResultTexts on a connection of its
   * own, or null when this store cannot hand its reads to another thread. The export's thread
   * reads and encodes there, so a large run's batches never reach the calling thread.
   */
  planResultTextsThread(runId: HexId, options: { unique: boolean; batchSize: number }): ResultTextsThreadPlan | null;

  // Run completion and deliveries.
  /**
   * In one transaction: the run (must be running: else AppError RunNotRunning 409) ends with
   * `reason`; the planned jobs are enqueued; the run becomes `uploading` when there are `file`
   * jobs, else `done` (or `aborted`). Wakes workers after commit.
   */
  completeRun(input: CompleteRunInput, plan: PlanDeliveries): Promise<{ run: Run; deliveries: Delivery[] }>;
  /**
   * A new round of `file` jobs for a finished run (AppError RunNotFinished 409 if it is not;
   * DeliveryInProgress 409 if a `file` job of it is pending or running). The run shows
   * `uploading` again until the round finishes.
   */
  enqueueRedelivery(accountId: HexId, runId: HexId, nowMs: number, plan: PlanDeliveries): Promise<Delivery[]>;
  /**
   * Takes the next due delivery (pending, or running with an expired lease) and leases it to
   * `workerId` until nowMs + leaseMs; increments attempts and records a started attempt.
   * An attempt left open by an expired lease is closed as `lease_expired`.
   */
  claimDueDelivery(workerId: string, nowMs: number, leaseMs: number, only?: DeliveryClass): Promise<Delivery | null>;
  /** Extends the lease; false when the lease was lost. */
  renewLease(deliveryId: HexId, workerId: string, lockedUntilMs: number): Promise<boolean>;
  /**
   * Ends the current attempt, only if `workerId` still holds the lease (else false and nothing
   * is written). When the last `file` job of the run's current round is over, the run is
   * finalised in the same transaction: status done (or aborted), export fields, done_reason
   * export_failed / export_fix; `planEnd`, when given, is then called with the finalised run and
   * its jobs (run.done / run.error) are enqueued in that transaction, in the round's number.
   */
  finishAttempt(deliveryId: HexId, workerId: string, result: AttemptResult, planEnd?: PlanDeliveries): Promise<boolean>;
  /** Gives a lease back without counting a failure (shutdown): the delivery is due again now. */
  releaseLease(deliveryId: HexId, workerId: string, nowMs: number): Promise<boolean>;
  /** Earliest nextAttemptAtMs / lease expiry among unfinished deliveries (of `only`'s class), or null. */
  nextDeliveryDueAtMs(only?: DeliveryClass): Promise<number | null>;
  /** The queue for metrics: unfinished deliveries by status, and the earliest next attempt of a pending one. */
  describeDeliveryQueue(): Promise<DeliveryQueueSummary>;
  getDelivery(deliveryId: HexId): Promise<DeliveryWithAttempts | null>;
  /** Every delivery of the run, oldest first, with its attempts. */
  listRunDeliveries(accountId: HexId, runId: HexId): Promise<DeliveryWithAttempts[]>;

  // What attempts opened at their destinations and have not closed (S3: multipart uploads).
  /**
   * Records `ref` (the channel's own JSON) for the attempt, only while `workerId` holds the
   * job's lease (else AppError LeaseLost). Returns the record's id, for forgetOpenWrites.
   */
  recordOpenWrite(input: { deliveryId: HexId; workerId: string; attempt: number; ref: string; nowMs: number }): Promise<string>;
  /** Deletes the records (what they name was closed, or found gone). */
  forgetOpenWrites(ids: readonly string[]): Promise<void>;
  /** The job's records, oldest first. */
  listOpenWrites(deliveryId: HexId): Promise<OpenWrite[]>;
  /**
   * Up to `limit` records, oldest first, of jobs no one holds (not running, or running under a
   * lease expired at `nowMs`), each with its job: what the worker's sweep closes.
   */
  listUnheldOpenWrites(nowMs: number, limit: number): Promise<Array<{ write: OpenWrite; delivery: Delivery }>>;

  /**
   * Calls `listener` when a delivery may have become due (enqueued anywhere: in this process
   * for SQLite, through LISTEN/NOTIFY for PostgreSQL). Returns an unsubscribe function.
   */
  subscribeDeliveryWakeups(listener: () => void): Promise<() => Promise<void>>;
}
