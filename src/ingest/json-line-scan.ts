// A strict JSON validator over an NDJSON line's bytes that yields only what ingestion needs from
// a row: its top-level keys and its `scraping_time`. JSON.parse would build the whole object
// (every nested value and string) only for us to drop it: on bench:delivery's rows, decoding
// and parsing cost three times this scan. Whenever the scan is unsure it answers null, and the
// caller parses the line with JSON.parse, which then accepts it or throws the error we report;
// so the scan may refuse valid JSON (rarely: see scanLine) but never accepts invalid JSON.
import { isUtf8 } from 'node:buffer';

/** What a scanned row yields, valid until the next scan (the scanner reuses it). */
export interface ScannedRow {
  /** The row's keys in the order a for-in over JSON.parse's object would give them. */
  readonly keys: readonly string[];
  /** keys[i] !== previous row's keys[i] (or the previous row had fewer keys) from this index on. */
  readonly firstNewKey: number;
  /** The text of the last top-level `scraping_time` when it is a JSON string, else null. */
  readonly scrapingTime: string | null;
}

export interface LineScanner {
  /**
   * Scans `bytes[start, end)`; null: not decided here, parse the line with JSON.parse. Only a
   * line that starts with `{` and ends with `}` passes, so that it is its own trimmed text.
   */
  scan(bytes: Buffer, start: number, end: number): ScannedRow | null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
/** Past this nesting the scan gives up (JSON.parse takes such rows, or throws its own error). */
const MAX_DEPTH = 64;
const FAIL = -1;

const isWhitespace = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isHex = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));

function skipWhitespace(b: Uint8Array, i: number, end: number): number {
  while (i < end && isWhitespace(b[i])) i++;
  return i;
}

/** `b[i]` is the opening quote; returns the index after the closing one. */
function skipString(b: Uint8Array, i: number, end: number): number {
  for (i++; i < end; i++) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const e = b[++i];
      if (e === 0x75) {
        if (!(isHex(b[i + 1]) && isHex(b[i + 2]) && isHex(b[i + 3]) && isHex(b[i + 4]))) return FAIL;
        i += 4;
      } else if (!(e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) {
        return FAIL;
      }
    } else if (c < 0x20) {
      return FAIL;
    }
  }
  return FAIL;
}

/** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
function skipNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i])) while (i < end && isDigit(b[i])) i++;
  else return FAIL;
  if (b[i] === 0x2e) {
    i++;
    if (!isDigit(b[i])) return FAIL;
    while (i < end && isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!isDigit(b[i])) return FAIL;
    while (i < end && isDigit(b[i])) i++;
  }
  return i > end ? FAIL : i;
}

function skipLiteral(b: Uint8Array, i: number, end: number, literal: readonly number[]): number {
  if (i + literal.length > end) return FAIL;
  for (let k = 0; k < literal.length; k++) if (b[i + k] !== literal[k]) return FAIL;
  return i + literal.length;
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/** Skips one value starting at `b[i]` (no leading whitespace); returns the index after it. */
function skipValue(b: Uint8Array, i: number, end: number, depth: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i, end);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return depth >= MAX_DEPTH ? FAIL : skipContainer(b, i, end, depth + 1);
  if (c === 0x74) return skipLiteral(b, i, end, TRUE);
  if (c === 0x66) return skipLiteral(b, i, end, FALSE);
  if (c === 0x6e) return skipLiteral(b, i, end, NULL);
  return skipNumber(b, i, end);
}

/** `b[i]` is `{` or `[`; returns the index after the matching close. */
function skipContainer(b: Uint8Array, i: number, end: number, depth: number): number {
  const isObject = b[i] === OPEN_BRACE;
  const close = isObject ? CLOSE_BRACE : CLOSE_BRACKET;
  i = skipWhitespace(b, i + 1, end);
  if (b[i] === close) return i + 1;
  for (;;) {
    if (isObject) {
      if (b[i] !== QUOTE) return FAIL;
      i = skipString(b, i, end);
      if (i === FAIL) return FAIL;
      i = skipWhitespace(b, i, end);
      if (b[i] !== COLON) return FAIL;
      i = skipWhitespace(b, i + 1, end);
    }
    i = skipValue(b, i, end, depth);
    if (i === FAIL) return FAIL;
    i = skipWhitespace(b, i, end);
    if (b[i] === close) return i + 1;
    if (b[i] !== COMMA) return FAIL;
    i = skipWhitespace(b, i + 1, end);
  }
}

function bytesEqual(b: Uint8Array, start: number, end: number, known: Uint8Array): boolean {
  if (end - start !== known.length) return false;
  for (let k = 0; k < known.length; k++) if (b[start + k] !== known[k]) return false;
  return true;
}

/** A JSON string token's value: bytes[start, end) include the quotes. */
function decodeString(b: Buffer, start: number, end: number): string {
  for (let k = start + 1; k < end - 1; k++) {
    if (b[k] === BACKSLASH) return JSON.parse(b.toString('utf8', start, end)) as string;
  }
  return b.toString('utf8', start + 1, end - 1);
}

const SCRAPING_TIME = 'scraping_time';

/**
 * One scanner per request: it remembers the previous row's keys (as bytes), so that a row with
 * the same keys as the one before decodes none of them.
 */
export function createLineScanner(): LineScanner {
  const keys: string[] = [];
  const keyBytes: Uint8Array[] = [];
  let keyCount = 0;
  const result = { keys, firstNewKey: 0, scrapingTime: null as string | null };

  function scanObject(b: Buffer, start: number, end: number): boolean {
    let i = skipWhitespace(b, start + 1, end);
    let count = 0;
    let firstNew = -1;
    let scrapingTime: string | null = null;
    if (b[i] !== CLOSE_BRACE) {
      for (;;) {
        if (b[i] !== QUOTE) return false;
        const keyStart = i;
        i = skipString(b, i, end);
        if (i === FAIL) return false;
        // An integer-like key comes first in a for-in, whatever its place: leave those to JSON.parse.
        if (isDigit(b[keyStart + 1])) return false;
        if (firstNew === -1 && (count >= keyCount || !bytesEqual(b, keyStart, i, keyBytes[count]!))) firstNew = count;
        if (firstNew !== -1) {
          keys[count] = decodeString(b, keyStart, i);
          keyBytes[count] = b.slice(keyStart, i);
        }
        i = skipWhitespace(b, i, end);
        if (b[i] !== COLON) return false;
        i = skipWhitespace(b, i + 1, end);
        const valueStart = i;
        i = skipValue(b, i, end, 1);
        if (i === FAIL) return false;
        if (keys[count] === SCRAPING_TIME) scrapingTime = b[valueStart] === QUOTE ? decodeString(b, valueStart, i) : null;
        count++;
        i = skipWhitespace(b, i, end);
        if (b[i] === CLOSE_BRACE) break;
        if (b[i] !== COMMA) return false;
        i = skipWhitespace(b, i + 1, end);
      }
    }
    // Any read past `end` leaves i there or beyond (positions only grow): such a line fails here.
    if (i + 1 !== end) return false;
    if (firstNew === -1) firstNew = count;
    if (count < keyCount) {
      keys.length = count;
      keyBytes.length = count;
    }
    keyCount = count;
    result.firstNewKey = firstNew;
    result.scrapingTime = scrapingTime;
    return true;
  }

  return {
    scan(bytes, start, end) {
      if (bytes[start] !== OPEN_BRACE || bytes[end - 1] !== CLOSE_BRACE || !isUtf8(bytes.subarray(start, end))) return null;
      if (scanObject(bytes, start, end)) return result;
      // The keys were overwritten part way: nothing is known of the previous row's any more.
      keyCount = 0;
      keys.length = 0;
      keyBytes.length = 0;
      return null;
    },
  };
}
