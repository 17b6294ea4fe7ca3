// One results request = one store ingest: batches are appended as they are parsed and become
// visible together at commit; the store writes batch N while the parser reads batch N+1.
// Any failure before the commit (a bad line, a client that hangs up, a run that stopped
// running) discards the ingest, so nothing of the request remains.
import { systemClock } from '../domain/clock.js';
import { toError } from '../domain/app-error.js';
import type { HexId, Run } from '../domain/types.js';
import type { Store } from '../storage/store.js';
import type { IngestHeartbeat } from './ingest-heartbeat.js';
import type { ParsedBatch } from './parsed-batch.js';

export interface IngestResultsInput {
  store: Store;
  runId: HexId;
  batches: AsyncIterable<ParsedBatch>;
  /** When the ingest opens: its first heartbeat. Default: now. */
  nowMs?: number;
  /**
   * Keeps the ingest's heartbeat fresh while the request runs, so that no sweeper takes it for
   * the leftover of a dead process. Absent: nothing touches it (tests without a sweeper).
   */
  heartbeat?: IngestHeartbeat;
}

export interface IngestResultsOutcome {
  /** Rows of this request, now committed. */
  accepted: number;
  /** UTF-8 bytes of those rows' JSON text. */
  bytes: number;
  /** The run after the commit, with its new totals. */
  run: Run;
}

export async function ingestResults(input: IngestResultsInput): Promise<IngestResultsOutcome> {
  const { store } = input;
  const ingestId = await store.openIngest(input.runId, input.nowMs ?? systemClock());
  const untrack = input.heartbeat?.track(ingestId);
  try {
    return await appendAndCommit(input, ingestId);
  } finally {
    untrack?.();
  }
}

async function appendAndCommit(input: IngestResultsInput, ingestId: HexId): Promise<IngestResultsOutcome> {
  const { store } = input;
  const columns = createColumnList();
  const appends = createAppendPipeline(async (batch) => {
    try {
      await store.appendIngestRows(ingestId, batch.rows);
    } finally {
      batch.release?.();
    }
  });
  let accepted = 0;
  let bytes = 0;
  try {
    for await (const batch of input.batches) {
      columns.addAll(batch.columns);
      if (batch.rows.length === 0) {
        batch.release?.();
        continue;
      }
      bytes += countRowBytes(batch);
      await appends.start(batch);
      accepted += batch.rows.length;
    }
    await appends.finish();
    const run = await store.commitIngest(ingestId, columns.list);
    return { accepted, bytes, run };
  } catch (error) {
    // The append in flight (if any) settles first: its rows must not land after the discard.
    const appendFailures = await appends.abandon();
    await discardAfterFailure(store, ingestId, error, appendFailures);
    throw error;
  }
}

function countRowBytes(batch: ParsedBatch): number {
  let bytes = 0;
  for (const row of batch.rows) bytes += row.dataBytes?.byteLength ?? Buffer.byteLength(row.data);
  return bytes;
}

/** The request's columns in first-seen order (a batch lists only its new ones). */
function createColumnList(): { list: string[]; addAll(columns: string[]): void } {
  const seen = new Set<string>();
  const list: string[] = [];
  return {
    list,
    addAll(columns) {
      for (const column of columns) {
        if (!seen.has(column)) {
          seen.add(column);
          list.push(column);
        }
      }
    },
  };
}

interface AppendPipeline {
  /**
   * Waits for the append in flight (throwing its error), then starts appending `batch` without
   * waiting for it: the next batch is parsed while the store writes this one.
   */
  start(batch: ParsedBatch): Promise<void>;
  /** Waits for the append in flight, throwing its error. */
  finish(): Promise<void>;
  /** After a failure elsewhere: waits for the append in flight; returns its error, if any, unthrown. */
  abandon(): Promise<unknown[]>;
}

/**
 * One append in flight at most, plus the batch the parser holds: memory stays at two batches,
 * and the request stream is read no faster than the store writes. The pending append's result
 * is caught as it settles (a rejection is never left unhandled while the parser runs) and is
 * thrown by the next start/finish, or returned by abandon.
 */
function createAppendPipeline(append: (batch: ParsedBatch) => Promise<void>): AppendPipeline {
  type Outcome = { failed: false } | { failed: true; error: unknown };
  let pending: Promise<Outcome> | null = null;
  async function settle(): Promise<Outcome> {
    if (pending === null) return { failed: false };
    const outcome = await pending;
    pending = null;
    return outcome;
  }
  async function finish(): Promise<void> {
    const outcome = await settle();
    if (outcome.failed) throw outcome.error;
  }
  return {
    async start(batch) {
      await finish();
      pending = append(batch).then(
        (): Outcome => ({ failed: false }),
        (error: unknown): Outcome => ({ failed: true, error }),
      );
    },
    finish,
    async abandon() {
      const outcome = await settle();
      return outcome.failed ? [outcome.error] : [];
    },
  };
}

/**
 * The request's own error is what the client must see. If more failed (the append in flight,
 * the discard), all of them travel together in an AggregateError.
 */
async function discardAfterFailure(store: Store, ingestId: HexId, failure: unknown, appendFailures: unknown[]): Promise<void> {
  const others = [...appendFailures];
  let discarded = true;
  try {
    await store.discardIngest(ingestId);
  } catch (discardError) {
    // The rows stay invisible (never committed); once its heartbeat is stale, a sweep removes them.
    discarded = false;
    others.push(discardError);
  }
  if (others.length === 0) return;
  const notes: string[] = [];
  if (appendFailures.length > 0) notes.push('the append in flight failed too');
  if (!discarded) notes.push('it could not be discarded');
  throw new AggregateError(
    [failure, ...others].map(toError),
    `ingest ${ingestId} failed (${toError(failure).message}); ${notes.join(', and ')}`,
  );
}
