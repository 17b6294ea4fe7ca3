// A run's committed results as a CSV byte stream, read from the store in keyset-paginated
// batches: the same bytes for every S3 delivery and every download. Memory does not depend on
// the run's size: a few store batches and their records are held at a time, and batches are
// read only as fast as the consumer reads (Readable.from pulls on demand).
import { Readable } from 'node:stream';
import type { Run, Squid } from '../domain/types.js';
import type { Store } from '../storage/store.js';
import { createCsvBatchEncoder, type CsvBatchEncoderOptions } from './csv-batch-encoder.js';
import { startThreadedRunExport } from './threaded-run-export.js';

export interface RunCsvStreamOptions {
  /** Rows per store read. */
  batchSize?: number;
  /**
   * Runs with at least this many rows are read and encoded on a worker thread, beside the
   * upload (when the store can read on another thread); smaller ones on the calling thread
   * (starting a thread costs ~20 ms).
   */
  threadMinRows?: number;
}

export interface RunCsvStats {
  /** CSV records (without the header) that have left the stream so far. */
  rows: number;
  /** Bytes that have left the stream so far, header included. */
  bytes: number;
}

export interface RunCsvStream {
  stream: Readable;
  /** Updated as chunks flow; final once the stream has ended. */
  stats: RunCsvStats;
}

export interface RunCsvChunks {
  chunks: AsyncIterable<Buffer>;
  /** Updated as chunks flow; final once the last chunk has been read. */
  stats: RunCsvStats;
}

/**
 * Rows per store read: one buffer of their texts (about 760 KB for rows of 760 B), which is also
 * one chunk of the stream. Larger batches read no faster (4,000 rows: 10% slower on SQLite).
 */
const DEFAULT_BATCH_ROWS = 1000;
/** About 60 ms of encoding: below that, a thread would save less than it costs to start. */
const DEFAULT_THREAD_MIN_ROWS = 20_000;
/** Batches the thread reads and encodes ahead of the upload: enough to keep both threads busy. */
const BATCHES_AHEAD = 3;

/** A run's CSV as a byte stream whose chunks are the reader's to keep (downloads). */
export function createRunCsvStream(store: Store, run: Run, squid: Squid, options: RunCsvStreamOptions = {}): RunCsvStream {
  const { chunks, stats } = createCsvChunks(store, run, squid, options, false);
  return { stream: Readable.from(chunks, { objectMode: false }), stats };
}

/**
 * A run's CSV as chunks that are valid only until the next one is asked for (their memory is
 * then reused), for a reader that copies each chunk at once (the S3 upload copies it into its
 * part buffers). A large run's batches then cost no new memory on this thread: the export
 * thread's buffers go back to it.
 */
export function createRunCsvChunks(store: Store, run: Run, squid: Squid, options: RunCsvStreamOptions = {}): RunCsvChunks {
  return createCsvChunks(store, run, squid, options, true);
}

function createCsvChunks(store: Store, run: Run, squid: Squid, options: RunCsvStreamOptions, reuseChunks: boolean): RunCsvChunks {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_ROWS;
  const threadMinRows = options.threadMinRows ?? DEFAULT_THREAD_MIN_ROWS;
  const stats: RunCsvStats = { rows: 0, bytes: 0 };
  const rowsToExport = squid.exportUniqueResults ? run.totalUniqueResults : run.totalResults;

  async function* generateChunks(): AsyncGenerator<Buffer> {
    const columns = await store.getRunColumns(run.id);
    // A run without columns (no rows, or only empty objects) exports as an empty object.
    if (columns.length === 0) return;
    const encoderOptions: CsvBatchEncoderOptions = { noLineBreaks: squid.noLineBreaks, runId: run.id };
    const encoder = createCsvBatchEncoder(columns, encoderOptions);
    yield counted(encoder.header(), 0);
    const readOptions = { unique: squid.exportUniqueResults, batchSize };
    const source = rowsToExport < threadMinRows ? null : store.planResultTextsThread(run.id, readOptions);
    if (source === null) {
      for await (const batch of store.streamRunResultTexts(run.id, readOptions)) yield counted(encoder.encodeBatch(batch.texts), batch.rowCount);
      return;
    }
    // One slot more than the batches read ahead: the one the reader holds.
    const thread = startThreadedRunExport({ columns, ...encoderOptions, source, slotCount: BATCHES_AHEAD + 1 });
    try {
      for (let batch = await thread.next(); batch !== null; batch = await thread.next()) {
        if (reuseChunks) {
          yield counted(batch.records, batch.rowCount);
          // Asked for the next chunk: the reader is done with this one.
          thread.free(batch);
        } else {
          const records = Buffer.from(batch.records);
          thread.free(batch);
          yield counted(records, batch.rowCount);
        }
      }
    } finally {
      await thread.close();
    }
  }

  function counted(chunk: Buffer, rowCount: number): Buffer {
    stats.rows += rowCount;
    stats.bytes += chunk.length;
    return chunk;
  }

  return { chunks: generateChunks(), stats };
}
