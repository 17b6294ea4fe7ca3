// One row's bytes -> a checked row in a batch, for both body forms: an NDJSON line and a JSON
// array's element go through the same checks and are stored as they were sent. The byte scan
// (json-line-scan.ts) decides most rows without building them; the rest take JSON.parse, which
// words the error.
import { isUtf8 } from 'node:buffer';
import type { IngestRow } from '../storage/store.js';
import { exceedsDepth, MAX_SCAN_DEPTH } from '../json/json-bytes.js';
import { createLineScanner } from './json-line-scan.js';
import {
  type BatchBuilder,
  checkRowKey,
  checkRowObject,
  DEFAULT_MAX_ROW_DEPTH,
  hashRowText,
  readScrapingTimeMs,
  type RowParseOptions,
  rowError,
  tooDeepRowError,
} from './parsed-batch.js';

const CR = 0x0d;

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

/** Adds the row of `bytes[start, end)`, the `number`th line or item (1-based). */
export type RowAdder = (bytes: Buffer, start: number, end: number, number: number) => void;

/**
 * `line`: an NDJSON line without its LF (a CR before it is dropped, blank lines are skipped,
 * surrounding whitespace is trimmed). `item`: a JSON array's element, which the splitter gives
 * without surrounding whitespace and never empty.
 */
export function createRowAdder(builder: BatchBuilder, options: RowParseOptions, kind: 'line' | 'item'): RowAdder {
  const maxDepth = options.maxRowDepth ?? DEFAULT_MAX_ROW_DEPTH;
  // The scan decides rows within its own depth; deeper ones are measured on the parse path.
  const scanner = createLineScanner(Math.min(maxDepth, MAX_SCAN_DEPTH));
  const { now } = options;
  return (bytes, start, end, number) => {
    // The CR of a CRLF goes before anything else, so that a CRLF line's bytes are its row's bytes.
    if (kind === 'line' && end > start && bytes[end - 1] === CR) end--;
    const scanned = scanner.scan(bytes, start, end);
    if (scanned === null) {
      addParsedRow(builder, bytes, start, end, `${kind} ${number}`, maxDepth, kind === 'line');
      return;
    }
    // Keys the row shares, in place, with the row before were checked and recorded with it.
    const { keys } = scanned;
    for (let index = scanned.firstNewKey; index < keys.length; index++) {
      checkRowKey(keys[index]!, () => `${kind} ${number}`);
      builder.addColumn(keys[index]!);
    }
    const dataBytes = bytes.subarray(start, end);
    builder.addChecked(new LineRow(dataBytes, hashRowText(dataBytes), readScrapingTimeMs(scanned.scrapingTime, now)), end - start);
  };
}

/** The general path (and the one that words the errors): check the bytes, decode, JSON.parse. */
function addParsedRow(
  builder: BatchBuilder,
  bytes: Buffer,
  start: number,
  end: number,
  label: string,
  maxDepth: number,
  isLine: boolean,
): void {
  // Decoding would turn invalid bytes into U+FFFD: the row would not be what was sent.
  if (!isUtf8(bytes.subarray(start, end))) throw rowError(label, 'invalid UTF-8: send rows as UTF-8 text');
  const sent = bytes.toString('utf8', start, end);
  // trim() also drops a byte order mark at the start of the body and spaces around the object.
  const text = isLine ? sent.trim() : sent;
  if (text.length === 0) return;
  if (exceedsDepth(bytes, start, end, maxDepth)) throw tooDeepRowError(label, maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw rowError(label, `invalid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const row = checkRowObject(value, label);
  // Untrimmed, the text's UTF-8 bytes are exactly bytes[start, end).
  const rowHash = hashRowText(text.length !== sent.length ? text : bytes.subarray(start, end));
  builder.add(text, row, rowHash, end - start);
}
