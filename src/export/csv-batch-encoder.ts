// One store batch of rows (their JSON texts, each followed by LF: Store.streamRunResultTexts)
// to the CSV records of those rows, through the three paths: the byte path (most rows), the
// string transcoder (what the byte path declines) and JSON.parse with csv-encoder.ts (what
// both decline). Pure and synchronous: it runs on the main thread for small runs and in the
// export's worker thread (csv-encode-thread.ts) for large ones.
import { createCsvEncoder } from './csv-encoder.js';
import { createCsvRecordBuffer } from './json-row-bytes.js';
import { createJsonRowTranscoder } from './json-row-transcoder.js';

export interface CsvBatchEncoderOptions {
  noLineBreaks: boolean;
  /** Names the run in the error about a row that is not a JSON object. */
  runId: string;
}

export interface CsvBatchEncoder {
  /** The header record, as UTF-8. */
  header(): Buffer;
  /**
   * The records of every row in `texts`, as UTF-8 in a Buffer of their own. Overwrites each
   * row's LF in `texts` with 0 (the byte path's stop byte): the caller gives the buffer up.
   */
  encodeBatch(texts: Buffer): Buffer;
}

const LF = 10;

export function createCsvBatchEncoder(columns: readonly string[], options: CsvBatchEncoderOptions): CsvBatchEncoder {
  const encoder = createCsvEncoder(columns, options);
  const records = createCsvRecordBuffer(columns, options);
  const transcodeRow = createJsonRowTranscoder(columns, options);
  let rowNumber = 0;

  /** The slow path, for what neither fast path reads. */
  function encodeParsedRow(text: string): string {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new Error(`result ${rowNumber} of run ${options.runId} is not valid JSON in the store`, { cause: error });
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new Error(`result ${rowNumber} of run ${options.runId} is not a JSON object in the store`);
    }
    return encoder.row(data as Record<string, unknown>);
  }

  return {
    header() {
      records.appendText(encoder.header());
      return records.takeChunk();
    },
    encodeBatch(texts) {
      for (let start = 0; start < texts.length; ) {
        let end = texts.indexOf(LF, start);
        if (end === -1) end = texts.length; // not the store's form; the byte path then declines
        rowNumber++;
        texts[end] = 0;
        if (!records.appendJsonRow(texts, start, end)) {
          const text = texts.toString('utf8', start, end);
          records.appendText(transcodeRow(text) ?? encodeParsedRow(text));
        }
        start = end + 1;
      }
      return records.takeChunk();
    },
  };
}
