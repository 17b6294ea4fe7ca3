// One store batch of rows (their JSON texts, each followed by LF: Store.streamRunResultTexts)
// to the CSV records of those rows, through the paths that make the same bytes: the native byte
// path (native-csv-records.ts, when the addon is built: most rows), the byte path
// (csv-record-writer.ts: most rows without the addon, and the addon's declines), and the plain
// encoder (the row parsed with its number literals, then csv-encoder.ts) for what both decline.
// Pure and synchronous: it runs on the main thread for small runs and in the export's worker
// thread for large ones.
import { AppError } from '../../../domain/app-error.js';
import { JsonReadError, parseJsonBytes } from '../../../json/json-literal-value.js';
import { createCsvEncoder } from './csv-encoder.js';
import { createCsvRecordBuffer } from './csv-record-writer.js';
import { createNativeCsvRecords, type NativeCsvRecords } from './native-csv-records.js';

export interface CsvBatchEncoderOptions {
  noLineBreaks: boolean;
  /** Names the run in the error about a row that is not a JSON object. */
  runId: string;
  /** false: the JS paths only, as without the addon (tests and the benchmark compare). Default true. */
  native?: boolean;
}

export interface CsvBatchEncoder {
  /** The header record, as UTF-8. */
  header(): Buffer;
  /**
   * The records of every row in `texts`, as UTF-8 in a Buffer of their own. Overwrites each
   * row's LF in `texts` with 0 (the byte paths' stop byte): the caller gives the buffer up.
   */
  encodeBatch(texts: Buffer): Buffer;
  /**
   * The same records as a view of the encoder's own buffer, valid only until its next call:
   * for a caller that copies them at once (the export thread, into shared memory), so that no
   * batch costs a new buffer.
   */
  encodeBatchView(texts: Buffer): Buffer;
}

const LF = 10;

export function createCsvBatchEncoder(columns: readonly string[], options: CsvBatchEncoderOptions): CsvBatchEncoder {
  const encoder = createCsvEncoder(columns, options);
  const records = createCsvRecordBuffer(columns, options);
  const native = options.native === false ? null : createNativeCsvRecords(columns, options);
  let rowNumber = 0;

  /** The plain encoder, for what the byte paths decline: the row parsed, numbers kept as sent. */
  function encodeParsedRow(texts: Buffer, start: number, end: number): string {
    let data: unknown;
    try {
      data = parseJsonBytes(texts, start, end);
    } catch (error) {
      if (!(error instanceof JsonReadError)) throw error;
      const what = error.reason === 'too-deep' ? `nested too deeply to read (${error.message})` : 'not valid JSON';
      throw unreadableRow(`result ${rowNumber} of run ${options.runId} is ${what} in the store`, error);
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw unreadableRow(`result ${rowNumber} of run ${options.runId} is not a JSON object in the store`);
    }
    return encoder.row(data as Record<string, unknown>);
  }

  /** Appends to `records` the JS paths' record of the row texts[start, end), with texts[end] set to 0. */
  function appendRowInJs(texts: Buffer, start: number, end: number): void {
    if (records.appendJsonRow(texts, start, end)) return;
    records.appendText(encodeParsedRow(texts, start, end));
  }

  function encodeBatchInJs(texts: Buffer, view: boolean): Buffer {
    for (let start = 0; start < texts.length; ) {
      let end = texts.indexOf(LF, start);
      if (end === -1) end = texts.length; // not the store's form; the byte path then declines
      rowNumber++;
      texts[end] = 0;
      appendRowInJs(texts, start, end);
      start = end + 1;
    }
    return view ? records.viewChunk() : records.takeChunk();
  }

  /** The native path for runs of rows, one crossing per run; the JS paths for each row it declines. */
  function encodeBatchNatively(nativeRecords: NativeCsvRecords, texts: Buffer, view: boolean): Buffer {
    for (let start = 0; start < texts.length; ) {
      const stop = nativeRecords.appendRows(texts, start);
      rowNumber += stop.rows;
      if (stop.declinedStart === -1) break;
      rowNumber++;
      appendRowInJs(texts, stop.declinedStart, stop.declinedEnd);
      nativeRecords.appendBytes(records.viewChunk());
      start = stop.declinedEnd + 1;
    }
    return view ? nativeRecords.viewChunk() : nativeRecords.takeChunk();
  }

  function encode(texts: Buffer, view: boolean): Buffer {
    return native === null ? encodeBatchInJs(texts, view) : encodeBatchNatively(native, texts, view);
  }

  return {
    header() {
      records.appendText(encoder.header());
      return records.takeChunk();
    },
    encodeBatch: (texts) => encode(texts, false),
    encodeBatchView: (texts) => encode(texts, true),
  };
}

/**
 * A stored row no export can read: every retry would fail the same way, so the delivery stops
 * at once (retryable false) instead of spending its retries on it.
 */
function unreadableRow(message: string, cause?: unknown): AppError {
  return new AppError('StoredRowUnreadable', message, {
    status: 500,
    retryable: false,
    cause,
    hint: 'A stored result of this run is corrupt; push the run\'s results again to a new run.',
  });
}
