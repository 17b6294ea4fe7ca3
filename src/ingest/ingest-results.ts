// One results request = one store ingest: batches are appended as they are parsed and become
// visible together at commit. Any failure before the commit (a bad line, a client that hangs
// up, a run that stopped running) discards the ingest, so nothing of the request remains.
import { systemClock } from '../domain/clock.js';
import { toError } from '../domain/app-error.js';
import type { HexId, Run } from '../domain/types.js';
import type { Store } from '../storage/store.js';
import type { ParsedBatch } from './parsed-batch.js';

export interface IngestResultsInput {
  store: Store;
  runId: HexId;
  batches: AsyncIterable<ParsedBatch>;
  /** When the ingest opens (lets the store expire ingests of crashed processes). Default: now. */
  nowMs?: number;
}

export interface IngestResultsOutcome {
  /** Rows of this request, now committed. */
  accepted: number;
  /** The run after the commit, with its new totals. */
  run: Run;
}

export async function ingestResults(input: IngestResultsInput): Promise<IngestResultsOutcome> {
  const { store } = input;
  const ingestId = await store.openIngest(input.runId, input.nowMs ?? systemClock());
  const seen = new Set<string>();
  const columns: string[] = [];
  let accepted = 0;
  try {
    for await (const batch of input.batches) {
      for (const column of batch.columns) {
        if (!seen.has(column)) {
          seen.add(column);
          columns.push(column);
        }
      }
      if (batch.rows.length === 0) continue;
      await store.appendIngestRows(ingestId, batch.rows);
      accepted += batch.rows.length;
    }
    const run = await store.commitIngest(ingestId, columns);
    return { accepted, run };
  } catch (error) {
    await discardAfterFailure(store, ingestId, error);
    throw error;
  }
}

/** The request's own error is what the client must see; a failed discard is added to it. */
async function discardAfterFailure(store: Store, ingestId: HexId, failure: unknown): Promise<void> {
  try {
    await store.discardIngest(ingestId);
  } catch (discardError) {
    // The rows stay invisible (never committed); discardIngestsOpenedBefore removes them later.
    throw new AggregateError(
      [toError(failure), toError(discardError)],
      `ingest ${ingestId} failed (${toError(failure).message}) and could not be discarded`,
    );
  }
}
