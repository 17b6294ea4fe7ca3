// A streamed `application/json` body (an array of objects) -> batches of rows, read as it arrives
// and never parsed whole: a splitter finds each element's bytes (at most one partial element is
// held, copied), and row-bytes.ts checks and keeps them as sent, as it does NDJSON lines, so that
// numbers keep their literals. Errors name the 1-based element as "item N".
import { AppError } from '../domain/app-error.js';
import {
  createBatchBuilder,
  DEFAULT_MAX_ROW_DEPTH,
  oversizeRowError,
  type ParsedBatch,
  rowError,
  splitIntoBatches,
  type RowParseOptions,
  tooDeepRowError,
} from './parsed-batch.js';
import { createRowAdder, type RowAdder } from './row-bytes.js';

export type { ParsedBatch, RowParseOptions } from './parsed-batch.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const BOM = [0xef, 0xbb, 0xbf];

const isWhitespace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export async function* parseJsonArrayRows(source: AsyncIterable<Buffer | string>, options: RowParseOptions): AsyncGenerator<ParsedBatch> {
  const builder = createBatchBuilder(options);
  const splitter = createArraySplitter(options, createRowAdder(builder, options, 'item'));
  yield* splitIntoBatches(source, builder, splitter);
}

export function notArrayError(detail = ''): AppError {
  return new AppError(
    'InvalidParameterValue',
    `the body must be a JSON array of objects (or send one object per line as application/x-ndjson)${detail}`,
    { status: 400, param: 'body' },
  );
}

/** Where the splitter is: before the `[`, before an element (first or after a comma), in one, after one, after the `]`. */
type Place = 'start' | 'first' | 'item' | 'element' | 'next' | 'end';

interface ArraySplitter {
  /** Reads from `chunk[start]` up to the end of the next element (handed over) or of the chunk; returns where it stopped. */
  push(chunk: Buffer, start: number): number;
  /** The body has ended: throws unless it closed the array. */
  end(): void;
}

function createArraySplitter(options: RowParseOptions, onItem: RowAdder): ArraySplitter {
  const { maxRowBytes } = options;
  const maxDepth = options.maxRowDepth ?? DEFAULT_MAX_ROW_DEPTH;
  let place: Place = 'start';
  let items = 0;
  // Bytes of a UTF-8 byte order mark read at the body's start (chunks may cut it anywhere).
  let bomBytes = 0;
  // The element being read: its nesting, string state, and its bytes from earlier chunks.
  let depth = 0;
  let inString = false;
  let escaped = false;
  let carry: Buffer[] = [];
  let carryBytes = 0;

  const label = (): string => `item ${items}`;

  function finishElement(chunk: Buffer, start: number, end: number): void {
    place = 'next';
    const bytes = carryBytes + (end - start);
    if (bytes === 0) throw rowError(label(), 'invalid JSON (no value)');
    if (bytes > maxRowBytes) throw oversizeRowError(label(), maxRowBytes);
    if (carryBytes === 0) {
      onItem(chunk, start, end, items);
      return;
    }
    const whole = Buffer.concat([...carry, chunk.subarray(start, end)], bytes);
    carry = [];
    carryBytes = 0;
    onItem(whole, 0, whole.length, items);
  }

  /** Reads element bytes from chunk[i]; the element began at chunk[start] (or in carry). */
  function readElement(chunk: Buffer, start: number): number {
    for (let i = start; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) {
          inString = false;
          if (depth === 0) return finishAt(chunk, start, i + 1);
        }
      } else if (c === QUOTE) {
        inString = true;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (++depth > maxDepth) throw tooDeepRowError(label(), maxDepth);
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (depth === 0) return finishAt(chunk, start, i);
        if (--depth === 0) return finishAt(chunk, start, i + 1);
      } else if (depth === 0 && (c === COMMA || isWhitespace(c))) {
        return finishAt(chunk, start, i);
      }
    }
    carryBytes += chunk.length - start;
    if (carryBytes > maxRowBytes) throw oversizeRowError(label(), maxRowBytes);
    carry.push(Buffer.from(chunk.subarray(start)));
    return chunk.length;
  }

  function finishAt(chunk: Buffer, start: number, end: number): number {
    finishElement(chunk, start, end);
    return end;
  }

  function beginElement(chunk: Buffer, i: number): number {
    items++;
    place = 'element';
    depth = 0;
    inString = false;
    escaped = false;
    return readElement(chunk, i);
  }

  /** One byte outside any element: moves between places; returns the next position. */
  function readBetween(chunk: Buffer, i: number): number {
    const c = chunk[i]!;
    if (place === 'start' && bomBytes >= 0 && bomBytes < BOM.length) {
      if (c === BOM[bomBytes]) {
        bomBytes++;
        return i + 1;
      }
      if (bomBytes > 0) throw notArrayError();
      bomBytes = -1;
    }
    if (isWhitespace(c)) return i + 1;
    if (place === 'start') {
      if (c !== OPEN_BRACKET) throw notArrayError();
      place = 'first';
      return i + 1;
    }
    if (place === 'end') throw notArrayError(': the body goes on after the closing ]');
    if (place === 'next') {
      if (c === COMMA) place = 'item';
      else if (c === CLOSE_BRACKET) place = 'end';
      else throw rowError(label(), 'invalid JSON (expected , or ] after the item)');
      return i + 1;
    }
    if (c === CLOSE_BRACKET && place === 'first') {
      place = 'end';
      return i + 1;
    }
    if (c === CLOSE_BRACKET || c === COMMA) throw rowError(`item ${items + 1}`, 'invalid JSON (no value)');
    return beginElement(chunk, i);
  }

  const hasReadElement = (): boolean => place === 'next' || place === 'element';

  return {
    push(chunk, start) {
      let i = start;
      if (place === 'element') return readElement(chunk, i);
      while (i < chunk.length) {
        const before: Place = place;
        i = readBetween(chunk, i);
        // An element was read (whole, or up to the chunk's end): let the caller take a batch.
        if (before !== place && hasReadElement()) return i;
      }
      return i;
    },
    end() {
      if (place === 'end') return;
      if (place === 'start') throw notArrayError();
      if (place === 'element') throw rowError(label(), 'invalid JSON (the body ends inside it)');
      throw notArrayError(': the body ends before the closing ]');
    },
  };
}
