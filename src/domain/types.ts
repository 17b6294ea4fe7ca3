// The domain: what Squidship stores and talks about, with no I/O and no imports of ours.
// Every timestamp is epoch milliseconds (UTC) and says so in its name (`...AtMs`).

/** A 32-character lower-case hex id, the form Lobstr uses for every object. */
export type HexId = string;

export interface Account {
  id: HexId;
  name: string;
  email: string;
  createdAtMs: number;
}

export interface Squid {
  id: HexId;
  accountId: HexId;
  crawlerId: HexId;
  name: string;
  isActive: boolean;
  exportUniqueResults: boolean;
  noLineBreaks: boolean;
  /** 1..20, kept for Lobstr compatibility; Squidship runs no crawlers. */
  concurrency: number;
  createdAtMs: number;
}

/** Lobstr's run statuses; Squidship uses running, uploading, done and aborted. */
export type RunStatus = 'pending' | 'running' | 'paused' | 'uploading' | 'done' | 'aborted' | 'error';

/** The done_reason values Squidship produces (a subset of Lobstr's). */
export type DoneReason = 'tasks_done' | 'aborted' | 'export_failed' | 'export_fix';

export interface Run {
  id: HexId;
  squidId: HexId;
  accountId: HexId;
  status: RunStatus;
  origin: 'user' | 'schedule' | 'chain';
  /** Rows in committed batches. */
  totalResults: number;
  /** Rows with distinct content (see ResultRow.rowHash). */
  totalUniqueResults: number;
  startedAtMs: number;
  /** Set when the scraper completes or aborts the run. */
  endedAtMs: number | null;
  doneReason: DoneReason | null;
  /** null until a delivery finished; true when every delivery of the last round succeeded. */
  exportDone: boolean | null;
  /** How many times the run's results were exported successfully (deliveries that succeeded). */
  exportCount: number;
  exportTimeMs: number | null;
  /**
   * The export file name without extension, fixed when the run completes and reused by every
   * retry and re-delivery: `<squid-name-slug>_<YYYYMMDD_HHMM>_<first 8 hex of run id>`.
   */
  exportFileName: string | null;
  createdAtMs: number;
}

/** A result row as stored. `data` is the row's JSON object text exactly as pushed. */
export interface ResultRow {
  /** Internal order within the store; the public 32-hex id is derived from run id and seq. */
  seq: number;
  runId: HexId;
  squidId: HexId;
  scrapingTimeMs: number;
  data: string;
}

/** One row to append: the JSON text of an object, its hash, and its scraping time. */
export interface NewResultRow {
  data: string;
  /** Hash of `data` (hex), used to count and drop duplicate rows. */
  rowHash: string;
  scrapingTimeMs: number;
}

/**
 * A channel's name (`s3`), checked against the channel registry where a destination is
 * configured; a job of a kind no longer registered fails, explained.
 */
export type DestinationKind = string;

/**
 * A destination's settings: the channel's own JSON-able object, typed inside the channel and
 * opaque to the rest. Plaintext here; the store seals it (secrets included) at rest.
 */
export type DestinationConfig = unknown;

export interface Destination {
  squidId: HexId;
  kind: DestinationKind;
  isActive: boolean;
  config: DestinationConfig;
  updatedAtMs: number;
}

export type DeliveryStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface Delivery {
  id: HexId;
  runId: HexId;
  squidId: HexId;
  accountId: HexId;
  kind: DestinationKind;
  /** What made the job: `file` (the run ended with its export file), `run.running`... */
  event: string;
  /** 1 for the delivery made when the run completed (or started); +1 for each re-delivery. */
  round: number;
  status: DeliveryStatus;
  /** The destination as it was when the delivery was enqueued (secrets decrypted). */
  config: DestinationConfig;
  /** Where the channel writes (S3: the object key), fixed at enqueue: every attempt writes the same one. null: nowhere in particular. */
  target: string | null;
  attempts: number;
  /** When its first attempt started (the retry window counts from it); null: never attempted. */
  firstAttemptAtMs: number | null;
  nextAttemptAtMs: number;
  lockedBy: string | null;
  lockedUntilMs: number | null;
  lastError: DeliveryError | null;
  createdAtMs: number;
  finishedAtMs: number | null;
}

export interface DeliveryError {
  code: string;
  message: string;
  hint: string | null;
  /** HTTP status the destination answered, when it answered. */
  statusCode: number | null;
  retryable: boolean;
  /** The destination refused for good (a webhook's 410): the engine turns it off. */
  deactivatesDestination?: boolean;
}

/** What an HTTP endpoint answered one attempt (webhooks): shown in the delivery history. */
export interface EndpointAnswer {
  /** null: no answer (timeout, connection error). */
  statusCode: number | null;
  latencyMs: number;
  /** The first 1 KiB of the answer's body, as text. */
  bodyExcerpt: string | null;
}

export type AttemptOutcome = 'succeeded' | 'failed' | 'retrying' | 'lease_expired';

export interface DeliveryAttempt {
  deliveryId: HexId;
  number: number;
  workerId: string;
  startedAtMs: number;
  endedAtMs: number | null;
  outcome: AttemptOutcome | null;
  error: DeliveryError | null;
  rows: number | null;
  bytes: number | null;
  target: string | null;
  etag: string | null;
  endpoint: EndpointAnswer | null;
}
