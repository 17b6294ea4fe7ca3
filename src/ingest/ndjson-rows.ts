// Streaming NDJSON body -> batches of rows. Lines are split on the LF byte, which never occurs
// inside a multi-byte UTF-8 sequence, so a character split across chunks is decoded whole.
// At most one partial line is held; a line that outgrows the limit fails before the rest of
// it is read.
import { type BatchBuilder, checkRowObject, createBatchBuilder, oversizeRowError, type ParsedBatch, type RowParseOptions, rowError } from './parsed-batch.js';

export type { ParsedBatch, RowParseOptions } from './parsed-batch.js';

const LF = 0x0a;
const CR = 0x0d;

export async function* parseNdjsonRows(
  source: AsyncIterable<Buffer | string>,
  options: RowParseOptions,
): AsyncGenerator<ParsedBatch> {
  const splitter = createLineSplitter(options.maxRowBytes);
  const builder = createBatchBuilder(options.now);
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    for (const line of splitter.push(chunk)) {
      addLine(builder, line, `line ${splitter.lineNumber}`);
      if (builder.size >= options.batchRows) yield builder.take();
    }
  }
  const last = splitter.end();
  if (last !== null) addLine(builder, last, `line ${splitter.lineNumber}`);
  if (builder.size > 0) yield builder.take();
}

function addLine(builder: BatchBuilder, line: string, label: string): void {
  // trim() also drops the CR of CRLF and a byte order mark at the start of the body.
  const text = line.trim();
  if (text.length === 0) return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw rowError(label, `invalid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  builder.add(text, checkRowObject(value, label));
}

interface LineSplitter {
  /** 1-based number of the line last returned (blank lines count). */
  readonly lineNumber: number;
  /** The complete lines the chunk ends, without their LF. */
  push(chunk: Buffer): Generator<string>;
  /** The last line when the body does not end with LF, else null. */
  end(): string | null;
}

function createLineSplitter(maxRowBytes: number): LineSplitter {
  let lineNumber = 0;
  // The partial line, copied out of its chunks so the chunks themselves can be freed.
  let carry: Buffer[] = [];
  let carryBytes = 0;

  function takeLine(chunk: Buffer, start: number, end: number): string {
    lineNumber++;
    const bytes = carryBytes + (end - start);
    const lastByte = end > start ? chunk[end - 1] : carry[carry.length - 1]?.at(-1);
    // The limit counts the row's own bytes: not the LF, nor the CR of a CRLF.
    if (bytes - (lastByte === CR ? 1 : 0) > maxRowBytes) throw oversizeRowError(`line ${lineNumber}`, maxRowBytes);
    if (carryBytes === 0) return chunk.toString('utf8', start, end);
    const whole = Buffer.concat([...carry, chunk.subarray(start, end)], bytes);
    carry = [];
    carryBytes = 0;
    return whole.toString('utf8');
  }

  return {
    get lineNumber() {
      return lineNumber;
    },
    *push(chunk) {
      let start = 0;
      let newline = chunk.indexOf(LF, start);
      while (newline !== -1) {
        yield takeLine(chunk, start, newline);
        start = newline + 1;
        newline = chunk.indexOf(LF, start);
      }
      if (start >= chunk.length) return;
      carryBytes += chunk.length - start;
      // One byte of slack: the line may still end in CRLF, whose CR does not count.
      if (carryBytes > maxRowBytes + 1) throw oversizeRowError(`line ${lineNumber + 1}`, maxRowBytes);
      carry.push(Buffer.from(chunk.subarray(start)));
    },
    end() {
      if (carryBytes === 0) return null;
      return takeLine(Buffer.alloc(0), 0, 0);
    },
  };
}
