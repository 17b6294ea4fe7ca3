// A strict JSON validator over an NDJSON line's bytes that yields only what ingestion needs from
// a row: its top-level keys and its `scraping_time`. JSON.parse would build the whole object
// (every nested value and string) only for us to drop it: on bench:delivery's rows, decoding
// and parsing cost three times this scan. Whenever the scan is unsure it answers null, and the
// caller parses the line with JSON.parse, which then accepts it or throws the error we report;
// so the scan may refuse valid JSON (rarely: see scanLine) but never accepts invalid JSON.
import { isUtf8 } from 'node:buffer';
import {
  CLOSE_BRACE,
  COLON,
  COMMA,
  FAIL,
  MAX_SCAN_DEPTH,
  OPEN_BRACE,
  QUOTE,
  decodeString,
  isDigit,
  skipString,
  skipValue,
  skipWhitespace,
} from '../json/json-bytes.js';

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

function bytesEqual(b: Uint8Array, start: number, end: number, known: Uint8Array): boolean {
  if (end - start !== known.length) return false;
  for (let k = 0; k < known.length; k++) if (b[start + k] !== known[k]) return false;
  return true;
}

const SCRAPING_TIME = 'scraping_time';

/**
 * One scanner per request: it remembers the previous row's keys (as bytes), so that a row with
 * the same keys as the one before decodes none of them. A row nested deeper than `maxDepth`
 * levels (the row itself is level 1) is not decided here.
 */
export function createLineScanner(maxDepth = MAX_SCAN_DEPTH): LineScanner {
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
        i = skipValue(b, i, end, 1, maxDepth);
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
