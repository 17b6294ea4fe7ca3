// A run's committed results as a CSV byte stream, read from the store in keyset-paginated
// batches: the same bytes for every S3 delivery and every download. Memory does not depend on
// the run's size: at most one store batch and one output chunk are held at a time, and the
// next batch is read only when the consumer asks for more (Readable.from pulls on demand).
import { Readable } from 'node:stream';
import type { ResultRow, Run, Squid } from '../domain/types.js';
import type { Store } from '../storage/store.js';
import { createCsvEncoder, type CsvEncoder } from './csv-encoder.js';
import { createCsvRecordBuffer } from './json-row-bytes.js';
import { createJsonRowTranscoder } from './json-row-transcoder.js';

export interface RunCsvStreamOptions {
  /** Rows per store read. */
  batchSize?: number;
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

/**
 * Small enough that a batch's rows die young: at 2000 rows they outlived the scavenger and piled
 * up in the old generation (measured on 1M rows: peak heap 83 MB at 2000, 39 MB at 1000, no
 * slower), large enough that a query per batch costs little next to encoding it.
 */
const DEFAULT_BATCH_ROWS = 1000;
/**
 * Output chunk size in bytes: large enough that per-chunk stream overhead vanishes next to
 * encoding, small enough to keep memory flat.
 */
const CHUNK_MIN_BYTES = 128 * 1024;

export function createRunCsvStream(store: Store, run: Run, squid: Squid, options: RunCsvStreamOptions = {}): RunCsvStream {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_ROWS;
  const stats: RunCsvStats = { rows: 0, bytes: 0 };

  async function* generateChunks(): AsyncGenerator<Buffer> {
    const columns = await store.getRunColumns(run.id);
    // A run without columns (no rows, or only empty objects) exports as an empty object.
    if (columns.length === 0) return;
    const encoder = createCsvEncoder(columns, { noLineBreaks: squid.noLineBreaks });
    // Most rows go from their UTF-8 bytes straight to the chunk's bytes; the byte path leaves a
    // few to the string transcoder, and rows neither can read are parsed and encoded.
    const records = createCsvRecordBuffer(columns, { noLineBreaks: squid.noLineBreaks });
    const transcodeRow = createJsonRowTranscoder(columns, { noLineBreaks: squid.noLineBreaks });
    records.appendText(encoder.header());
    let pendingRows = 0;
    const rows = store.streamRunResults(run.id, { unique: squid.exportUniqueResults, batchSize });
    for await (const batch of rows) {
      for (const row of batch) {
        if (!records.appendJsonRow(row.data)) records.appendText(transcodeRow(row.data) ?? encodeStoredRow(encoder, row));
        pendingRows++;
        if (records.byteLength() >= CHUNK_MIN_BYTES) {
          yield takeChunk(records.takeChunk(), pendingRows);
          pendingRows = 0;
        }
      }
    }
    if (records.byteLength() > 0) yield takeChunk(records.takeChunk(), pendingRows);
  }

  function takeChunk(chunk: Buffer, rowCount: number): Buffer {
    stats.rows += rowCount;
    stats.bytes += chunk.length;
    return chunk;
  }

  return { stream: Readable.from(generateChunks(), { objectMode: false }), stats };
}

function encodeStoredRow(encoder: CsvEncoder, row: ResultRow): string {
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch (error) {
    throw new Error(`result ${row.seq} of run ${row.runId} is not valid JSON in the store`, { cause: error });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new Error(`result ${row.seq} of run ${row.runId} is not a JSON object in the store`);
  }
  return encoder.row(data as Record<string, unknown>);
}
