// snake_case rows to camelCase domain objects (and back for JSON and booleans): the only
// place where the two spellings meet.
import type { Selectable } from 'kysely';
import type {
  Account,
  Delivery,
  DeliveryAttempt,
  DeliveryError,
  DeliveryStatus,
  Destination,
  DestinationConfig,
  DoneReason,
  Run,
  RunStatus,
  Squid,
} from '../../domain/types.js';
import type { SecretBox } from '../secret-box.js';
import type {
  AccountsTable,
  DeliveriesTable,
  DeliveryAttemptsTable,
  DestinationsTable,
  RunsTable,
  SquidsTable,
} from './database.js';

export function toDbBool(value: boolean): number {
  return value ? 1 : 0;
}

export function toAccount(row: Selectable<AccountsTable>): Account {
  return { id: row.id, name: row.name, email: row.email, createdAtMs: Number(row.created_at) };
}

/** A squid row (its seq, a listing tie-break, is not part of the Squid). */
export function toSquid(row: Omit<Selectable<SquidsTable>, 'seq' | 'deleted_at'>): Squid {
  return {
    id: row.id,
    accountId: row.account_id,
    crawlerId: row.crawler_id,
    name: row.name,
    isActive: row.is_active === 1,
    exportUniqueResults: row.export_unique_results === 1,
    noLineBreaks: row.no_line_breaks === 1,
    concurrency: row.concurrency,
    createdAtMs: Number(row.created_at),
  };
}

export function toRun(row: Selectable<RunsTable>): Run {
  return {
    id: row.id,
    squidId: row.squid_id,
    accountId: row.account_id,
    status: row.status as RunStatus,
    origin: row.origin as Run['origin'],
    totalResults: Number(row.total_results),
    totalUniqueResults: Number(row.total_unique_results),
    startedAtMs: Number(row.started_at),
    endedAtMs: toNumberOrNull(row.ended_at),
    doneReason: row.done_reason as DoneReason | null,
    exportDone: row.export_done === null ? null : row.export_done === 1,
    exportCount: Number(row.export_count),
    exportTimeMs: toNumberOrNull(row.export_time),
    exportFileName: row.export_file_name,
    createdAtMs: Number(row.created_at),
  };
}

/** The whole config JSON is sealed, so no field of it (keys, bucket) is stored in clear. */
export function sealConfig(secretBox: SecretBox, config: DestinationConfig): string {
  return secretBox.encrypt(JSON.stringify(config));
}

export function openConfig(secretBox: SecretBox, sealed: string): DestinationConfig {
  return JSON.parse(secretBox.decrypt(sealed)) as DestinationConfig;
}

export function toDestination(secretBox: SecretBox, row: Selectable<DestinationsTable>): Destination {
  return {
    squidId: row.squid_id,
    kind: row.kind,
    isActive: row.is_active === 1,
    config: openConfig(secretBox, row.config),
    updatedAtMs: Number(row.updated_at),
  };
}

/** `firstAttemptAtMs`: the start of attempt 1, which lives in delivery_attempts; null when none. */
export function toDelivery(secretBox: SecretBox, row: Selectable<DeliveriesTable>, firstAttemptAtMs: number | null = null): Delivery {
  return {
    id: row.id,
    runId: row.run_id,
    squidId: row.squid_id,
    accountId: row.account_id,
    kind: row.kind,
    event: row.event,
    round: row.round,
    status: row.status as DeliveryStatus,
    config: openConfig(secretBox, row.config),
    target: row.target,
    attempts: row.attempts,
    firstAttemptAtMs,
    nextAttemptAtMs: Number(row.next_attempt_at),
    lockedBy: row.locked_by,
    lockedUntilMs: toNumberOrNull(row.locked_until),
    lastError: parseError(row.last_error),
    createdAtMs: Number(row.created_at),
    finishedAtMs: toNumberOrNull(row.finished_at),
  };
}

export function toAttempt(row: Selectable<DeliveryAttemptsTable>): DeliveryAttempt {
  return {
    deliveryId: row.delivery_id,
    number: row.number,
    workerId: row.worker_id,
    startedAtMs: Number(row.started_at),
    endedAtMs: toNumberOrNull(row.ended_at),
    outcome: row.outcome as DeliveryAttempt['outcome'],
    error: parseError(row.error),
    rows: toNumberOrNull(row.rows),
    bytes: toNumberOrNull(row.bytes),
    target: row.target,
    etag: row.etag,
    endpoint:
      row.latency_ms === null
        ? null
        : { statusCode: row.endpoint_status, latencyMs: Number(row.latency_ms), bodyExcerpt: row.body_excerpt },
  };
}

export function stringifyError(error: DeliveryError | undefined): string | null {
  return error === undefined ? null : JSON.stringify(error);
}

function parseError(text: string | null): DeliveryError | null {
  return text === null ? null : (JSON.parse(text) as DeliveryError);
}

function toNumberOrNull(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}
