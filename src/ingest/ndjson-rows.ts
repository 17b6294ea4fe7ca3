// Streaming NDJSON body -> batches of rows. Lines are split on the LF byte, which never occurs
// inside a multi-byte UTF-8 sequence, so a character split across chunks is decoded whole.
// At most one partial line is held; a line that outgrows the limit fails before the rest of
// it is read. Per row this is the hot path of ingestion: one call per line (no generator step,
// no label string unless the line is bad), and the hash reads the line's bytes as received.
// Each line is checked and added by row-bytes.ts, which the JSON array path shares.
import { createBatchBuilder, oversizeRowError, splitIntoBatches, type ParsedBatch, type RowParseOptions } from './parsed-batch.js';
import { createRowAdder } from './row-bytes.js';

export type { ParsedBatch, RowParseOptions } from './parsed-batch.js';

const LF = 0x0a;
const CR = 0x0d;

export async function* parseNdjsonRows(
  source: AsyncIterable<Buffer | string>,
  options: RowParseOptions,
): AsyncGenerator<ParsedBatch> {
  const builder = createBatchBuilder(options);
  const splitter = createLineSplitter(options.maxRowBytes, createRowAdder(builder, options, 'line'));
  yield* splitIntoBatches(source, builder, splitter);
}

type LineHandler = (bytes: Buffer, start: number, end: number, lineNumber: number) => void;

interface LineSplitter {
  /**
   * Hands the line that starts at `chunk[start]` to the handler and returns where the next
   * line starts; without an LF ahead, keeps the rest as the partial line and returns the
   * chunk's length.
   */
  push(chunk: Buffer, start: number): number;
  /** Hands over the last line when the body does not end with LF. */
  end(): void;
}

function createLineSplitter(maxRowBytes: number, onLine: LineHandler): LineSplitter {
  let lineNumber = 0;
  // The partial line, copied out of its chunks so the chunks themselves can be freed.
  let carry: Buffer[] = [];
  let carryBytes = 0;

  function takeLine(chunk: Buffer, start: number, end: number): void {
    lineNumber++;
    const bytes = carryBytes + (end - start);
    const lastByte = end > start ? chunk[end - 1] : carry[carry.length - 1]?.at(-1);
    // The limit counts the row's own bytes: not the LF, nor the CR of a CRLF.
    if (bytes - (lastByte === CR ? 1 : 0) > maxRowBytes) throw oversizeRowError(`line ${lineNumber}`, maxRowBytes);
    if (carryBytes === 0) {
      onLine(chunk, start, end, lineNumber);
      return;
    }
    const whole = Buffer.concat([...carry, chunk.subarray(start, end)], bytes);
    carry = [];
    carryBytes = 0;
    onLine(whole, 0, whole.length, lineNumber);
  }

  return {
    push(chunk, start) {
      const newline = chunk.indexOf(LF, start);
      if (newline !== -1) {
        takeLine(chunk, start, newline);
        return newline + 1;
      }
      carryBytes += chunk.length - start;
      // One byte of slack: the line may still end in CRLF, whose CR does not count.
      if (carryBytes > maxRowBytes + 1) throw oversizeRowError(`line ${lineNumber + 1}`, maxRowBytes);
      carry.push(Buffer.from(chunk.subarray(start)));
      return chunk.length;
    },
    end() {
      if (carryBytes > 0) takeLine(Buffer.alloc(0), 0, 0);
    },
  };
}
