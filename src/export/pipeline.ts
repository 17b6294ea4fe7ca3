// The one way to get a run's bytes, for every channel and the download: rows -> format ->
// post-processors -> lent chunks. A run's committed results are read from the store in keyset
// batches, encoded by the format, inline for small runs or on the export thread for big ones
// (export-thread.ts), and handed over as chunks of the size the caller asks for (an S3 upload:
// its part size, so each of the thread's slots is one part, sent without a copy). Memory does
// not depend on the run's size: batches are read only as fast as the consumer takes chunks.
import { AppError } from '../domain/app-error.js';
import type { Run, Squid } from '../domain/types.js';
import type { ResultTextsThreadPlan, Store } from '../storage/store.js';
import type { EncoderSpec, OutputFormat, PostProcessor } from './format.js';
import { getOutputFormat } from './formats/index.js';
import { startExportThread } from './threaded-export.js';

/** The export's error when the run has fewer rows than it had when the export was opened. */
export const RUN_RESULTS_CHANGED = 'RunResultsChanged';

export interface ExportRequest {
  /** The output format's id (formats/index.ts). */
  format: string;
  /** Applied in order to the format's bytes. */
  postprocess?: readonly PostProcessor[];
  /**
   * A large run's chunks are exactly this many bytes, the last one less (the S3 upload's part
   * size: each chunk is then a part, sent as it is). Default 1 MiB.
   */
  chunkBytes?: number;
  /** Chunks the reader may hold at once (the parts in flight, and one more): the export waits when they are out. Default 3. */
  chunksHeld?: number;
  /** false: formats use their JS encoders only (SQUIDSHIP_NATIVE_CSV=false). Default true. */
  nativeEncoders?: boolean;
  /** Rows per store read. */
  batchSize?: number;
  /** Runs with at least this many rows are encoded on the export thread (when the store can read there). */
  threadMinRows?: number;
}

/** A chunk of a run's file, lent: its memory is the chunk's until release() is called. */
export interface LentChunk {
  data: Buffer;
  release(): void;
}

export interface ExportStats {
  /** Rows whose bytes have left so far. */
  rows: number;
  /** Bytes that have left so far, header included. */
  bytes: number;
}

export interface ExportStream {
  /** The file's chunks in order; each must be released (in any order) for the export to go on. */
  chunks: AsyncIterable<LentChunk>;
  /** Updated as chunks flow; final once the last chunk has been read. */
  stats: ExportStats;
  contentType: string;
  /** The file name's extension (the format's, then each post-processor's suffix), without a leading dot. */
  extension: string;
}

/**
 * Rows per store read: one buffer of their texts (about 760 KB for rows of 760 B). Larger
 * batches read no faster (4,000 rows: 10% slower on SQLite).
 */
const DEFAULT_BATCH_ROWS = 1000;
/** About 60 ms of encoding: below that, a thread would save less than it costs to start. */
const DEFAULT_THREAD_MIN_ROWS = 20_000;
/** A download's chunks: enough to keep a socket busy, little to hold. */
const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** Enough chunks ahead of a download to keep both threads busy. */
const DEFAULT_CHUNKS_HELD = 3;

export function openExport(store: Store, run: Run, squid: Squid, request: ExportRequest): ExportStream {
  const format = getOutputFormat(request.format);
  const postprocess = request.postprocess ?? [];
  const stats: ExportStats = { rows: 0, bytes: 0 };
  const encoded = readEncodedChunks(store, run, squid, format, request);
  const chunks = postprocess.length === 0 ? countChunks(encoded, stats) : applyPostProcessors(encoded, postprocess, request.chunkBytes ?? DEFAULT_CHUNK_BYTES, stats);
  const extension = [format.extension, ...postprocess.map((step) => step.extensionSuffix)].join('.');
  return { chunks, stats, contentType: format.contentType, extension };
}

interface ReadOptions {
  unique: boolean;
  batchSize: number;
}

/** A chunk of the format's bytes, with the rows whose last byte it holds. */
interface EncodedChunk extends LentChunk {
  rowCount: number;
}

/**
 * The run's file, failing before its end when fewer rows were read than the run had when the
 * export was opened (the run as given: its totals are final once it has ended). Rows vanish
 * when their squid is deleted while the run is exported: a delivery that completed its upload
 * anyway would land a truncated file under the final name. The check runs before the last
 * chunk's iterator finishes, so an upload, which knows its last part only then, never completes.
 */
async function* readEncodedChunks(store: Store, run: Run, squid: Squid, format: OutputFormat, request: ExportRequest): AsyncGenerator<EncodedChunk> {
  const expectedRows = squid.exportUniqueResults ? run.totalUniqueResults : run.totalResults;
  const readOptions = { unique: squid.exportUniqueResults, batchSize: request.batchSize ?? DEFAULT_BATCH_ROWS };
  const columns = await store.getRunColumns(run.id);
  let readRows = 0;
  if (columns.length === 0) {
    // A run without columns (no rows, or only empty objects) exports as an empty file; its
    // rows are still counted, as a deleted run has no columns either.
    if (expectedRows > 0) for await (const batch of store.streamRunResultTexts(run.id, readOptions)) readRows += batch.rowCount;
  } else {
    const spec: EncoderSpec = { columns, noLineBreaks: squid.noLineBreaks, runId: run.id, nativeEncoders: request.nativeEncoders ?? true };
    const source = expectedRows < (request.threadMinRows ?? DEFAULT_THREAD_MIN_ROWS) ? null : store.planResultTextsThread(run.id, readOptions);
    const chunks = source === null ? encodeInline(store, run.id, format, spec, readOptions) : encodeOnThread(format, spec, source, request);
    for await (const chunk of chunks) {
      readRows += chunk.rowCount;
      yield chunk;
    }
  }
  if (readRows < expectedRows) throw runResultsChanged(run, expectedRows, readRows);
  // A squid deleted mid-export is hidden at once but purged later: its rows may all still be
  // there (or in a PostgreSQL COPY's snapshot). Its file must not land after the deletion.
  if ((await store.getRunById(run.id)) === null) throw runDeleted(run);
}

async function* encodeInline(store: Store, runId: string, format: OutputFormat, spec: EncoderSpec, readOptions: ReadOptions): AsyncGenerator<EncodedChunk> {
  const encoder = format.createEncoder(spec);
  yield owned(encoder.header(), 0);
  for await (const batch of store.streamRunResultTexts(runId, readOptions)) yield owned(encoder.encodeBatch(batch.texts), batch.rowCount);
  const footer = encoder.footer();
  if (footer.length > 0) yield owned(footer, 0);
}

async function* encodeOnThread(format: OutputFormat, spec: EncoderSpec, source: ResultTextsThreadPlan, request: ExportRequest): AsyncGenerator<EncodedChunk> {
  // The thread writes the header and footer too; it fills a slot while the reader holds its chunks.
  const thread = startExportThread({
    formatId: format.id,
    spec,
    source,
    slotBytes: request.chunkBytes ?? DEFAULT_CHUNK_BYTES,
    slotCount: (request.chunksHeld ?? DEFAULT_CHUNKS_HELD) + 1,
  });
  try {
    for (let batch = await thread.next(); batch !== null; batch = await thread.next()) {
      const slot = batch;
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        thread.free(slot);
      };
      yield { data: slot.records, rowCount: slot.rowCount, release };
    }
  } finally {
    await thread.close();
  }
}

/** Permanent: every later read would find the same rows missing. */
function runResultsChanged(run: Run, expectedRows: number, readRows: number): AppError {
  return new AppError(
    RUN_RESULTS_CHANGED,
    `run ${run.id} had ${expectedRows} results to export but only ${readRows} could be read: results were removed while the file was being written (deleting a squid removes its runs' results)`,
    { status: 409, retryable: false, hint: 'Nothing was written under the file\'s name. If the squid still exists, deliver the run again (POST /v1/runs/{id}/deliveries).' },
  );
}

/** Permanent: the run's squid was deleted while its file was written. */
function runDeleted(run: Run): AppError {
  return new AppError('RunDoesNotExist', `run ${run.id} was deleted (with its squid) while its file was being written`, {
    status: 404,
    retryable: false,
    hint: 'Nothing was written under the file\'s name; a deleted squid\'s runs are not delivered.',
  });
}

function owned(data: Buffer, rowCount: number): EncodedChunk {
  return { data, rowCount, release: () => undefined };
}

async function* countChunks(chunks: AsyncIterable<EncodedChunk>, stats: ExportStats): AsyncGenerator<LentChunk> {
  for await (const chunk of chunks) {
    stats.rows += chunk.rowCount;
    stats.bytes += chunk.data.length;
    yield chunk;
  }
}

/** The format's chunks through each post-processor, cut again into chunks of chunkBytes (the last one less). */
async function* applyPostProcessors(
  chunks: AsyncIterable<EncodedChunk>,
  processors: readonly PostProcessor[],
  chunkBytes: number,
  stats: ExportStats,
): AsyncGenerator<LentChunk> {
  const steps = processors.map((processor) => processor.create());
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  function* cut(bytes: Buffer, last: boolean): Generator<LentChunk> {
    if (bytes.length > 0) {
      pending.push(bytes);
      pendingBytes += bytes.length;
    }
    while (pendingBytes >= chunkBytes || (last && pendingBytes > 0)) {
      const joined = Buffer.concat(pending);
      const data = joined.subarray(0, Math.min(chunkBytes, joined.length));
      pending = data.length < joined.length ? [joined.subarray(data.length)] : [];
      pendingBytes = joined.length - data.length;
      stats.bytes += data.length;
      yield { data, release: () => undefined };
    }
  }
  for await (const chunk of chunks) {
    let bytes: Buffer = Buffer.from(chunk.data);
    chunk.release();
    for (const step of steps) bytes = step.push(bytes);
    stats.rows += chunk.rowCount;
    yield* cut(bytes, false);
  }
  let tail: Buffer = Buffer.alloc(0);
  for (const step of steps) tail = Buffer.concat([step.push(tail), step.end()]);
  yield* cut(tail, true);
}
