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

/** A chunk of a run's CSV, lent: its memory is the chunk's until release() is called. */
export interface LentCsvChunk {
  data: Buffer;
  release(): void;
}

export interface RunCsvChunks {
  /** The CSV's chunks in order; each must be released (in any order) for the export to go on. */
  lent: AsyncIterable<LentCsvChunk>;
  /** Updated as chunks flow; final once the last chunk has been read. */
  stats: RunCsvStats;
}

export interface RunCsvChunksOptions extends RunCsvStreamOptions {
  /**
   * A large run's chunks are exactly this many bytes, the last one less (the S3 upload's part
   * size: each chunk is then a part, sent as it is).
   */
  chunkBytes: number;
  /** Chunks the reader may hold at once (the parts in flight, and one more): the export waits when they are out. */
  chunksHeld: number;
}

/**
 * Rows per store read: one buffer of their texts (about 760 KB for rows of 760 B). Larger
 * batches read no faster (4,000 rows: 10% slower on SQLite).
 */
const DEFAULT_BATCH_ROWS = 1000;
/** About 60 ms of encoding: below that, a thread would save less than it costs to start. */
const DEFAULT_THREAD_MIN_ROWS = 20_000;
/** A download's chunks from the export thread: enough to keep a socket busy, little to hold. */
const DOWNLOAD_CHUNK_BYTES = 1024 * 1024;
/** Chunks the export thread fills ahead of a download: enough to keep both threads busy. */
const DOWNLOAD_CHUNKS_AHEAD = 3;

/** A run's CSV as a byte stream whose chunks are the reader's to keep (downloads). */
export function createRunCsvStream(store: Store, run: Run, squid: Squid, options: RunCsvStreamOptions = {}): RunCsvStream {
  const lent = createLentChunks(store, run, squid, { ...options, chunkBytes: DOWNLOAD_CHUNK_BYTES, chunksHeld: 1 }, DOWNLOAD_CHUNKS_AHEAD);
  async function* copies(): AsyncGenerator<Buffer> {
    for await (const chunk of lent.lent) {
      const copy = Buffer.from(chunk.data);
      chunk.release();
      yield copy;
    }
  }
  return { stream: Readable.from(copies(), { objectMode: false }), stats: lent.stats };
}

/**
 * A run's CSV as lent chunks (the S3 upload). A large run's come from the export thread's slots,
 * `chunkBytes` each: the upload sends each as a part without copying it and releases it once S3
 * has stored it, and the slot goes back to the thread. So no part costs this thread a copy, and
 * no batch new memory.
 */
export function createRunCsvChunks(store: Store, run: Run, squid: Squid, options: RunCsvChunksOptions): RunCsvChunks {
  return createLentChunks(store, run, squid, options, 1);
}

function createLentChunks(store: Store, run: Run, squid: Squid, options: RunCsvChunksOptions, chunksAhead: number): RunCsvChunks {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_ROWS;
  const threadMinRows = options.threadMinRows ?? DEFAULT_THREAD_MIN_ROWS;
  const stats: RunCsvStats = { rows: 0, bytes: 0 };
  const rowsToExport = squid.exportUniqueResults ? run.totalUniqueResults : run.totalResults;
  const owned = (data: Buffer): LentCsvChunk => ({ data, release: () => undefined });

  async function* generateChunks(): AsyncGenerator<LentCsvChunk> {
    const columns = await store.getRunColumns(run.id);
    // A run without columns (no rows, or only empty objects) exports as an empty object.
    if (columns.length === 0) return;
    const encoderOptions: CsvBatchEncoderOptions = { noLineBreaks: squid.noLineBreaks, runId: run.id };
    const readOptions = { unique: squid.exportUniqueResults, batchSize };
    const source = rowsToExport < threadMinRows ? null : store.planResultTextsThread(run.id, readOptions);
    if (source === null) {
      const encoder = createCsvBatchEncoder(columns, encoderOptions);
      yield counted(owned(encoder.header()), 0);
      for await (const batch of store.streamRunResultTexts(run.id, readOptions)) yield counted(owned(encoder.encodeBatch(batch.texts)), batch.rowCount);
      return;
    }
    // The thread writes the header too; it fills a slot while the reader holds its chunks.
    const thread = startThreadedRunExport({
      columns,
      ...encoderOptions,
      source,
      slotBytes: options.chunkBytes,
      slotCount: options.chunksHeld + chunksAhead,
    });
    try {
      for (let batch = await thread.next(); batch !== null; batch = await thread.next()) {
        const slot = batch;
        let released = false;
        yield counted({
          data: slot.records,
          release() {
            if (released) return;
            released = true;
            thread.free(slot);
          },
        }, slot.rowCount);
      }
    } finally {
      await thread.close();
    }
  }

  function counted(chunk: LentCsvChunk, rowCount: number): LentCsvChunk {
    stats.rows += rowCount;
    stats.bytes += chunk.data.length;
    return chunk;
  }

  return { lent: generateChunks(), stats };
}
