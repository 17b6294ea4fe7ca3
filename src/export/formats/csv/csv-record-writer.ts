// The CSV record writer over stored JSON bytes: a row's UTF-8 bytes, as the store hands them over
// (many rows in one buffer), straight into the chunk's bytes, one pass, no string per row or
// field and no UTF-8 conversion on either side. It reads with src/json/json-bytes.ts. It takes
// rows whose column keys come in column order (gaps and unknown keys allowed) with plain keys;
// numbers are copied as they were sent; escapes are converted; a nested value is copied when
// compact (JSON.stringify's form but for its numbers), else parsed with its number literals and
// written compact. Anything else (keys out of order or repeated, escaped keys, deep nesting) is
// left to the caller, which then appends what the plain encoder (csv-encoder.ts) gives.
import {
  BACKSLASH,
  BYTES_FALSE,
  BYTES_NULL,
  BYTES_TRUE,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  CR,
  FAIL,
  LF,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
  SPACE,
  TAB,
  ZERO,
  isDigit,
  isWellFormed,
  readHex4,
  skipNumber,
  skipValue,
  skipWhitespace,
} from '../../../json/json-bytes.js';
import { JsonReadError, parseJsonBytes, writeCompactJson } from '../../../json/json-literal-value.js';
import { encodeText } from './csv-encoder.js';
import { takeWrittenBytes } from './written-bytes.js';

/** Appends CSV records as UTF-8 to a buffer, from which the export takes its chunks. */
export interface CsvRecordBuffer {
  /**
   * Appends the record of the row whose JSON text is `bytes[start, end)`, valid UTF-8 as every
   * stored row is, with `bytes[end]` set to 0 (the scans stop there); false (nothing appended)
   * when another path must.
   */
  appendJsonRow(bytes: Buffer, start: number, end: number): boolean;
  /** Appends text (the header, a record made by another path) as UTF-8. */
  appendText(text: string): void;
  /** Bytes appended since the last takeChunk. */
  byteLength(): number;
  /**
   * The bytes appended since the last takeChunk, in a Buffer no one else writes to: a copy when
   * they are few, else a view of the buffer they were written into, which is then replaced.
   */
  takeChunk(): Buffer;
  /**
   * The bytes appended since the last take, as a view of the buffer they were written into,
   * which stays: valid only until the next append (for a caller that copies them at once).
   */
  viewChunk(): Buffer;
}

/** Bytes that end a plain run inside a string: control characters (and the row's 0 sentinel), `"`, `\\`. */
const CANONICAL_STRING_STOPS = new Uint8Array(256).fill(1, 0, SPACE);
CANONICAL_STRING_STOPS[QUOTE] = 1;
CANONICAL_STRING_STOPS[BACKSLASH] = 1;
/** The same, and `,`, which makes a CSV field quoted. */
const STRING_STOPS = CANONICAL_STRING_STOPS.slice();
STRING_STOPS[COMMA] = 1;
/** Deeper nested values are parsed (json-literal-value.ts) rather than copied, so the copy's recursion stays shallow. */
const MAX_CANONICAL_DEPTH = 32;
/** How many columns from the expected one a key is compared with in place, before a lookup. */
const GUESSED_COLUMNS = 4;
/** Objects with more keys than this are checked for repeated keys by JSON.parse instead. */
const MAX_LISTED_KEYS = 64;

export function createCsvRecordBuffer(columns: readonly string[], options: { noLineBreaks: boolean }): CsvRecordBuffer {
  const count = columns.length;
  const noLineBreaks = options.noLineBreaks;
  const indexOfColumn = new Map<string, number>(columns.map((name, index) => [name, index]));
  // Each column's key token (`"name"`) as UTF-8, compared in place; null when JSON escapes it.
  const keyTokens = columns.map((name) => (JSON.stringify(name) === `"${name}"` && isWellFormed(name) ? Buffer.from(`"${name}"`) : null));
  let src: Buffer = Buffer.alloc(1);
  let rowStart = 0;
  let end = 0; // src[end] is always 0: a byte no scan accepts, so no scan runs past the row
  let rowBytes = 0;
  let out = Buffer.allocUnsafe(256 * 1024);
  let w = 0;
  let quoteField = false;
  let crSpaceAt = -1; // where a CR, written as a space under noLineBreaks, ended: its LF adds nothing
  let keyEndAt = 0; // where the key readColumn read ends
  const keyStarts: number[] = [];
  const keyEnds: number[] = [];
  let keyCount = 0;

  function ensure(bytes: number): void {
    if (w + bytes <= out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, w + bytes));
    out.copy(bigger, 0, 0, w);
    out = bigger;
  }

  function appendText(text: string): void {
    ensure(text.length * 3);
    w += out.write(text, w, 'utf8');
  }

  function appendJsonRow(bytes: Buffer, start: number, stop: number): boolean {
    if (count === 0 || bytes[stop] !== 0) return false;
    src = bytes;
    rowStart = start;
    end = stop;
    rowBytes = stop - start;
    // The longest record a row can make: every byte a doubled quote, plus the commas.
    ensure(2 * rowBytes + count + 4);
    const recordStart = w;
    if (writeRecord()) return true;
    w = recordStart;
    return false;
  }

  function writeRecord(): boolean {
    if (src[rowStart] !== OPEN_BRACE) return false;
    let pos = skipWhitespace(src, rowStart + 1, end);
    let commas = 0;
    let next = 0; // the lowest column the next key may fill
    if (src[pos] !== CLOSE_BRACE) {
      for (;;) {
        const column = readColumn(pos, next);
        if (column === -2) return false;
        pos = skipWhitespace(src, keyEndAt, end);
        if (src[pos] !== COLON) return false;
        pos = skipWhitespace(src, pos + 1, end);
        if (column === -1) pos = skipValue(src, pos, end, 1);
        else {
          // A repeated key (JSON.parse keeps the last) or one out of column order.
          if (column < next) return false;
          for (; commas < column; commas++) out[w++] = COMMA;
          next = column + 1;
          pos = writeValue(pos);
        }
        if (pos === -1) return false;
        pos = skipWhitespace(src, pos, end);
        if (src[pos] === CLOSE_BRACE) break;
        if (src[pos] !== COMMA) return false;
        pos = skipWhitespace(src, pos + 1, end);
      }
    }
    if (skipWhitespace(src, pos + 1, end) !== end) return false;
    for (; commas < count - 1; commas++) out[w++] = COMMA;
    out[w++] = CR;
    out[w++] = LF;
    return true;
  }

  /** The column of the key at `pos` (its end in keyEndAt): -1 when none, -2 to decline the row. */
  function readColumn(pos: number, guess: number): number {
    // Rows mostly list their keys in column order, some leaving a few out.
    for (let column = guess; column < count && column < guess + GUESSED_COLUMNS; column++) {
      const token = keyTokens[column];
      if (token !== null && token !== undefined && matchesAt(src, pos, token)) {
        keyEndAt = pos + token.length;
        return column;
      }
    }
    if (src[pos] !== QUOTE) return -2;
    let q = pos + 1;
    for (;;) {
      const c = src[q]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH || c < SPACE) return -2;
      q++;
    }
    keyEndAt = q + 1;
    return indexOfColumn.get(src.toString('utf8', pos + 1, q)) ?? -1;
  }

  function writeValue(pos: number): number {
    const first = src[pos];
    if (first === QUOTE) return writeString(pos);
    if (first === OPEN_BRACE || first === OPEN_BRACKET) return writeNested(pos);
    if (first === 116) return copyLiteral(pos, BYTES_TRUE);
    if (first === 102) return copyLiteral(pos, BYTES_FALSE);
    if (first === 110) return matchesAt(src, pos, BYTES_NULL) ? pos + 4 : -1;
    // A number is copied as it was sent: never through a double, which rewrites long or odd literals.
    const numberEnd = skipNumber(src, pos, end);
    if (numberEnd === FAIL) return -1;
    for (let q = pos; q < numberEnd; q++) out[w++] = src[q]!;
    return numberEnd;
  }

  function copyLiteral(pos: number, literal: readonly number[]): number {
    if (!matchesAt(src, pos, literal)) return -1;
    for (let i = 0; i < literal.length; i++) out[w++] = literal[i]!;
    return pos + literal.length;
  }

  function writeString(pos: number): number {
    const fieldStart = w;
    quoteField = false;
    crSpaceAt = -1;
    let q = pos + 1;
    for (;;) {
      q = copyPlainRun(q, STRING_STOPS);
      const c = src[q]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        q = writeEscape(q);
        if (q === -1) return -1;
        continue;
      }
      if (c !== COMMA) return -1; // a control character, or the end of the row
      quoteField = true;
      out[w++] = c;
      q++;
    }
    if (w > fieldStart && (quoteField || out[fieldStart] === SPACE || out[w - 1] === SPACE)) {
      out.copyWithin(fieldStart + 1, fieldStart, w);
      out[fieldStart] = QUOTE;
      w += 2;
      out[w - 1] = QUOTE;
    }
    return q + 1;
  }

  /** Copies bytes from `pos` up to the first one marked in `stops`; where it stopped. */
  function copyPlainRun(pos: number, stops: Uint8Array): number {
    // Locals, not the closure's variables: this loop runs once per byte of most fields.
    const bytes = src;
    const target = out;
    let q = pos;
    let o = w;
    for (;;) {
      const c = bytes[q]!;
      if (stops[c] === 1) break;
      target[o++] = c;
      q++;
    }
    w = o;
    return q;
  }

  /** Writes the character of the escape at `pos`; the position after it, or -1. */
  function writeEscape(pos: number): number {
    const e = src[pos + 1];
    switch (e) {
      case QUOTE: writeUnit(QUOTE); return pos + 2;
      case BACKSLASH: out[w++] = BACKSLASH; return pos + 2;
      case 47: out[w++] = 47; return pos + 2; // \/
      case 98: out[w++] = 8; return pos + 2; // \b
      case 102: out[w++] = 12; return pos + 2; // \f
      case 116: out[w++] = TAB; return pos + 2; // \t
      case 110: writeUnit(LF); return pos + 2; // \n
      case 114: writeUnit(CR); return pos + 2; // \r
      case 117: break; // \u
      default: return -1;
    }
    const unit = readHex4(src, pos + 2);
    if (unit === -1) return -1;
    if (unit >= 0xd800 && unit <= 0xdbff && src[pos + 6] === BACKSLASH && src[pos + 7] === 117) {
      const low = readHex4(src, pos + 8);
      if (low >= 0xdc00 && low <= 0xdfff) {
        writeCodePoint(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00));
        return pos + 12;
      }
    }
    // A lone surrogate: JSON.parse keeps it, and UTF-8 writes it as U+FFFD.
    writeCodePoint(unit >= 0xd800 && unit <= 0xdfff ? 0xfffd : unit);
    return pos + 6;
  }

  /** One character from an escape, with CSV's quoting and the no_line_breaks rule. */
  function writeUnit(unit: number): void {
    if (unit === QUOTE) {
      out[w++] = QUOTE;
      out[w++] = QUOTE;
      quoteField = true;
    } else if ((unit === LF || unit === CR) && noLineBreaks) {
      // CRLF becomes one space, as csv-encoder.ts's LINE_BREAKS does.
      if (unit === LF && crSpaceAt === w) {
        crSpaceAt = -1;
        return;
      }
      out[w++] = SPACE;
      if (unit === CR) crSpaceAt = w;
    } else {
      if (unit === LF || unit === CR || unit === COMMA) quoteField = true;
      out[w++] = unit;
    }
  }

  function writeCodePoint(code: number): void {
    if (code < 0x80) writeUnit(code);
    else if (code < 0x800) {
      out[w++] = 0xc0 | (code >> 6);
      out[w++] = 0x80 | (code & 0x3f);
    } else if (code < 0x10000) {
      out[w++] = 0xe0 | (code >> 12);
      out[w++] = 0x80 | ((code >> 6) & 0x3f);
      out[w++] = 0x80 | (code & 0x3f);
    } else {
      out[w++] = 0xf0 | (code >> 18);
      out[w++] = 0x80 | ((code >> 12) & 0x3f);
      out[w++] = 0x80 | ((code >> 6) & 0x3f);
      out[w++] = 0x80 | (code & 0x3f);
    }
  }

  /** A nested value: copied (quotes doubled) when already canonical, else parsed and encoded. */
  function writeNested(pos: number): number {
    const fieldStart = w;
    w++; // room for the opening quote
    quoteField = false;
    keyCount = 0;
    const valueEnd = copyCanonical(pos, 0);
    if (valueEnd !== -1) {
      if (quoteField) {
        out[fieldStart] = QUOTE;
        out[w++] = QUOTE;
      } else {
        out.copyWithin(fieldStart, fieldStart + 1, w);
        w--;
      }
      return valueEnd;
    }
    w = fieldStart;
    const nestedEnd = skipValue(src, pos, end, 1);
    if (nestedEnd === FAIL) return -1;
    const field = encodeText(writeCompactJson(readNested(pos, nestedEnd)), noLineBreaks);
    ensure(field.length * 3 + 2 * rowBytes + count + 4);
    w += out.write(field, w, 'utf8');
    return nestedEnd;
  }

  /** A nested value the copy declined (spaces, escapes, repeated keys), parsed with its number literals. */
  function readNested(pos: number, nestedEnd: number): unknown {
    try {
      return parseJsonBytes(src, pos, nestedEnd);
    } catch (error) {
      // skipValue checked it already; a failure here is a bug, not a row to decline.
      if (error instanceof JsonReadError) throw new Error(`a nested value skipValue accepted did not parse: ${error.message}`, { cause: error });
      throw error;
    }
  }

  /** Copies the canonical value at `pos` (see isCanonicalJson) doubling `"`; its end, or -1. */
  function copyCanonical(pos: number, depth: number): number {
    const first = src[pos];
    if (first === QUOTE) return copyCanonicalString(pos);
    if (first === OPEN_BRACKET) return depth >= MAX_CANONICAL_DEPTH ? -1 : copyCanonicalArray(pos, depth);
    if (first === OPEN_BRACE) return depth >= MAX_CANONICAL_DEPTH ? -1 : copyCanonicalObject(pos, depth);
    if (first === 116) return copyLiteral(pos, BYTES_TRUE);
    if (first === 102) return copyLiteral(pos, BYTES_FALSE);
    if (first === 110) return copyLiteral(pos, BYTES_NULL);
    const numberEnd = skipNumber(src, pos, end);
    if (numberEnd === FAIL) return -1;
    for (let q = pos; q < numberEnd; q++) out[w++] = src[q]!;
    return numberEnd;
  }

  function copyCanonicalString(pos: number): number {
    out[w++] = QUOTE;
    out[w++] = QUOTE;
    quoteField = true;
    let q = pos + 1;
    for (;;) {
      q = copyPlainRun(q, CANONICAL_STRING_STOPS);
      const c = src[q]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const length = canonicalEscapeLength(src, q);
        if (length === 0) return -1;
        if (src[q + 1] === QUOTE) {
          out[w++] = BACKSLASH;
          out[w++] = QUOTE;
          out[w++] = QUOTE;
        } else for (let i = 0; i < length; i++) out[w++] = src[q + i]!;
        q += length;
        continue;
      }
      return -1; // a control character, or the end of the row
    }
    out[w++] = QUOTE;
    out[w++] = QUOTE;
    return q + 1;
  }

  function copyCanonicalArray(pos: number, depth: number): number {
    out[w++] = OPEN_BRACKET;
    let q = pos + 1;
    if (src[q] !== CLOSE_BRACKET) {
      for (;;) {
        q = copyCanonical(q, depth + 1);
        if (q === -1) return -1;
        if (src[q] === CLOSE_BRACKET) break;
        if (src[q] !== COMMA) return -1;
        out[w++] = COMMA;
        quoteField = true;
        q++;
      }
    }
    out[w++] = CLOSE_BRACKET;
    return q + 1;
  }

  function copyCanonicalObject(pos: number, depth: number): number {
    out[w++] = OPEN_BRACE;
    let q = pos + 1;
    const firstKey = keyCount;
    if (src[q] !== CLOSE_BRACE) {
      for (;;) {
        // JSON.parse moves array-index keys first: leave digit-first keys to it.
        if (src[q] !== QUOTE || isDigit(src[q + 1]!)) return -1;
        const keyStart = q;
        q = copyCanonicalString(q);
        if (q === -1 || isListedKey(firstKey, keyStart, q)) return -1;
        keyStarts[keyCount] = keyStart;
        keyEnds[keyCount++] = q;
        if (src[q] !== COLON) return -1;
        out[w++] = COLON;
        q = copyCanonical(q + 1, depth + 1);
        if (q === -1) return -1;
        if (src[q] === CLOSE_BRACE) break;
        if (src[q] !== COMMA) return -1;
        out[w++] = COMMA;
        q++;
      }
    }
    keyCount = firstKey;
    out[w++] = CLOSE_BRACE;
    return q + 1;
  }

  /** True when the key src[start, stop) repeats one of this object's keys (or there are too many to list). */
  function isListedKey(firstKey: number, start: number, stop: number): boolean {
    if (keyCount - firstKey >= MAX_LISTED_KEYS) return true;
    for (let k = firstKey; k < keyCount; k++) {
      if (keyEnds[k]! - keyStarts[k]! === stop - start && src.compare(src, start, stop, keyStarts[k], keyEnds[k]) === 0) return true;
    }
    return false;
  }

  return { appendJsonRow, appendText, byteLength: () => w, takeChunk, viewChunk };

  function viewChunk(): Buffer {
    const chunk = out.subarray(0, w);
    w = 0;
    return chunk;
  }

  function takeChunk(): Buffer {
    const { chunk, next } = takeWrittenBytes(out, w);
    out = next;
    w = 0;
    return chunk;
  }
}

function matchesAt(bytes: Buffer, pos: number, token: ArrayLike<number>): boolean {
  for (let i = 0; i < token.length; i++) if (bytes[pos + i] !== token[i]) return false;
  return true;
}

/** The length of the escape at `pos` when JSON.stringify writes it so, else 0. */
function canonicalEscapeLength(bytes: Buffer, pos: number): number {
  const e = bytes[pos + 1];
  if (e === QUOTE || e === BACKSLASH || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) return 2;
  if (e !== 117 || bytes[pos + 2] !== ZERO || bytes[pos + 3] !== ZERO) return 0;
  // \u00XX in lower case, for a control character without a short escape.
  const high = bytes[pos + 4];
  const low = bytes[pos + 5]!;
  const lowValue = isDigit(low) ? low - ZERO : low >= 97 && low <= 102 ? low - 87 : -1;
  if (lowValue === -1 || (high !== ZERO && high !== 49)) return 0;
  const unit = (high === ZERO ? 0 : 16) + lowValue;
  return unit === 8 || unit === 9 || unit === 10 || unit === 12 || unit === 13 ? 0 : 6;
}

