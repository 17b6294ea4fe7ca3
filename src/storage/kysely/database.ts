// The tables as Kysely sees them: snake_case columns, epoch-millisecond BIGINTs, booleans as
// INTEGER 0/1 (portable between SQLite and PostgreSQL). Mapped to domain types in row-mappers.ts.
import type { Generated } from 'kysely';

export interface AccountsTable {
  /** Creation order: a stable tie-break for listings (ids are random). */
  seq: Generated<number>;
  id: string;
  name: string;
  email: string;
  created_at: number;
}

export interface ApiTokensTable {
  token_hash: string;
  account_id: string;
  created_at: number;
  /** Public id (migration 0004; null only if a row were written by an older release). */
  id: string | null;
  last_used_at: number | null;
  /** 1: registered from SQUIDSHIP_BOOTSTRAP_TOKEN (removed when the variable is unset). */
  is_bootstrap: Generated<number>;
}

export interface SquidsTable {
  /** Creation order: a stable tie-break for listings (ids are random). */
  seq: Generated<number>;
  id: string;
  account_id: string;
  crawler_id: string;
  name: string;
  is_active: number;
  export_unique_results: number;
  no_line_breaks: number;
  concurrency: number;
  created_at: number;
  /** Set when the squid was deleted (migration 0006): hidden from every read until purged. */
  deleted_at: number | null;
}

export interface DestinationsTable {
  squid_id: string;
  kind: string;
  is_active: number;
  /** The whole S3DestinationConfig JSON, sealed by the SecretBox. */
  config: string;
  updated_at: number;
}

export interface RunsTable {
  /** Creation order: a stable tie-break for listings (ids are random). */
  seq: Generated<number>;
  id: string;
  squid_id: string;
  account_id: string;
  status: string;
  origin: string;
  total_results: number;
  total_unique_results: number;
  started_at: number;
  ended_at: number | null;
  /** How the scraper ended the run (tasks_done / aborted), kept apart from done_reason. */
  end_reason: string | null;
  done_reason: string | null;
  export_done: number | null;
  export_count: number;
  export_time: number | null;
  export_file_name: string | null;
  created_at: number;
}

export interface IngestsTable {
  seq: Generated<number>;
  id: string;
  run_id: string;
  /** open | committed | discarding (the sweeper took it: no append or commit succeeds, rows going) */
  status: string;
  /** The lowest and highest result seq appended: commit and discard scan only that range. */
  first_result_seq: number | null;
  last_result_seq: number | null;
  /** How many rows were appended (the run's total grows by this at commit). */
  row_count: Generated<number>;
  created_at: number;
  /** Last sign of life of the request that owns it (migration 0005); the sweeper reads it. */
  heartbeat_at: number;
}

export interface ResultsTable {
  /** Push order. */
  seq: Generated<number>;
  /** runs.seq and squids.seq: integer keys keep the indexes small (ingestion speed). */
  run_seq: number;
  squid_seq: number;
  /** The ingest (ingests.seq) that appended the row: the row is visible once it is committed. */
  ingest_seq: number;
  row_hash: string;
  /** The first 52 bits of row_hash as a number: run_hashes' leading (integer) key part. */
  hash_key: number;
  scraping_time: number;
  data: string;
}

/** Each distinct row_hash among a run's committed rows (the hash itself is first_seq's). */
export interface RunHashesTable {
  run_seq: number;
  hash_key: number;
  /** The row that brought the hash first: in a unique export, the one row of that hash. */
  first_seq: number;
}

export interface RunColumnsTable {
  run_id: string;
  position: number;
  name: string;
}

export interface DeliveriesTable {
  /** Creation order: a stable tie-break for listings (ids are random). */
  seq: Generated<number>;
  id: string;
  run_id: string;
  squid_id: string;
  account_id: string;
  kind: string;
  /** What made the job: 'file' (the run's export, when it ends), 'run.running'... */
  event: string;
  round: number;
  status: string;
  /** The destination config at enqueue time, sealed by the SecretBox. */
  config: string;
  /** Where the channel writes (S3: the object key), fixed at enqueue; null when nowhere. */
  target: string | null;
  attempts: number;
  next_attempt_at: number;
  locked_by: string | null;
  locked_until: number | null;
  /** DeliveryError JSON. */
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

export interface DeliveryAttemptsTable {
  delivery_id: string;
  number: number;
  worker_id: string;
  started_at: number;
  ended_at: number | null;
  outcome: string | null;
  /** DeliveryError JSON. */
  error: string | null;
  rows: number | null;
  bytes: number | null;
  target: string | null;
  etag: string | null;
  endpoint_status: number | null;
  latency_ms: number | null;
  body_excerpt: string | null;
}

/** What an attempt opened at its destination and has not closed (migration 0005). */
export interface DeliveryOpenWritesTable {
  id: string;
  delivery_id: string;
  attempt: number;
  /** The channel's own JSON (S3: bucket, key, endpoint, upload id); never a secret. */
  ref: string;
  created_at: number;
}

export interface Database {
  accounts: AccountsTable;
  api_tokens: ApiTokensTable;
  squids: SquidsTable;
  destinations: DestinationsTable;
  runs: RunsTable;
  ingests: IngestsTable;
  results: ResultsTable;
  run_hashes: RunHashesTable;
  run_columns: RunColumnsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  delivery_open_writes: DeliveryOpenWritesTable;
}
