// Streaming NDJSON body -> batches of rows. Lines are split on the LF byte, which never occurs
// inside a multi-byte UTF-8 sequence, so a character split across chunks is decoded whole.
// At most one partial line is held; a line that outgrows the limit fails before the rest of
// it is read. Per row this is the hot path of ingestion: one call per line (no generator step,
// no label string unless the line is bad), and the hash reads the line's bytes as received.
// A line is checked by json-line-scan.ts without building its object, and stays bytes: the
// SQLite store binds them as they came. Lines the scan does not decide take JSON.parse.
import type { IngestRow } from '../storage/store.js';
import { createLineScanner, type LineScanner } from './json-line-scan.js';
import {
  type BatchBuilder,
  checkRowKey,
  checkRowObject,
  createBatchBuilder,
  hashRowText,
  oversizeRowError,
  type ParsedBatch,
  readScrapingTimeMs,
  type RowParseOptions,
  rowError,
} from './parsed-batch.js';

export type { ParsedBatch, RowParseOptions } from './parsed-batch.js';

const LF = 0x0a;
const CR = 0x0d;

export async function* parseNdjsonRows(
  source: AsyncIterable<Buffer | string>,
  options: RowParseOptions,
): AsyncGenerator<ParsedBatch> {
  const builder = createBatchBuilder(options);
  const scanner = createLineScanner();
  const addLine = (bytes: Buffer, start: number, end: number, lineNumber: number): void => {
    addLineBytes(builder, scanner, options.now, bytes, start, end, lineNumber);
  };
  const splitter = createLineSplitter(options.maxRowBytes, addLine);
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    let start = 0;
    while (start < chunk.length) {
      start = splitter.push(chunk, start);
      if (builder.isFull) yield builder.take();
    }
  }
  splitter.end();
  if (builder.size > 0) yield builder.take();
}

/**
 * A row still held as the bytes it arrived in (a view of the request's chunk, kept only while
 * its batch is; or of a batch from the parse thread): a store that binds `dataBytes` never has
 * it decoded into a string.
 */
export class LineRow implements IngestRow {
  constructor(
    readonly dataBytes: Buffer,
    readonly rowHash: string,
    readonly scrapingTimeMs: number,
  ) {}

  get data(): string {
    return this.dataBytes.toString('utf8');
  }
}

/** Adds the row of `bytes[start, end)` (one line, without its LF) unless the line is blank. */
function addLineBytes(
  builder: BatchBuilder,
  scanner: LineScanner,
  now: () => number,
  bytes: Buffer,
  start: number,
  end: number,
  lineNumber: number,
): void {
  // The CR of a CRLF goes before anything else, so that a CRLF line's bytes are its row's bytes.
  if (end > start && bytes[end - 1] === CR) end--;
  const scanned = scanner.scan(bytes, start, end);
  if (scanned === null) {
    addParsedLine(builder, bytes, start, end, lineNumber);
    return;
  }
  // Keys the row shares, in place, with the row before were checked and recorded with it.
  const { keys } = scanned;
  for (let index = scanned.firstNewKey; index < keys.length; index++) {
    checkRowKey(keys[index]!, () => `line ${lineNumber}`);
    builder.addColumn(keys[index]!);
  }
  const dataBytes = bytes.subarray(start, end);
  builder.addChecked(new LineRow(dataBytes, hashRowText(dataBytes), readScrapingTimeMs(scanned.scrapingTime, now)), end - start);
}

/** The general path (and the one that words the errors): decode, trim, JSON.parse. */
function addParsedLine(builder: BatchBuilder, bytes: Buffer, start: number, end: number, lineNumber: number): void {
  const line = bytes.toString('utf8', start, end);
  // trim() also drops a byte order mark at the start of the body and spaces around the object.
  const text = line.trim();
  if (text.length === 0) return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw rowError(`line ${lineNumber}`, `invalid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const row = checkRowObject(value, `line ${lineNumber}`);
  // Untrimmed, the text's UTF-8 bytes are exactly bytes[start, end).
  const trimmed = text.length !== line.length;
  const rowHash = hashRowText(trimmed ? text : bytes.subarray(start, end));
  builder.add(text, row, rowHash, end - start);
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
