// The one JSON reader over UTF-8 bytes: strict scans of JSON's tokens (strings, numbers,
// literals, whole values) that never build a value. Ingest's line scanner checks NDJSON rows with
// it, the CSV writer reads stored rows with it, and json-literal-value.ts parses with it. JSON's
// structure is ASCII and UTF-8 never puts an ASCII byte inside a multi-byte character, so every
// scan works byte by byte. Each scan takes the position of its token and the end of the text, and
// answers the position after the token, or FAIL.

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const SPACE = 0x20;
export const TAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const MINUS = 0x2d;
export const DOT = 0x2e;
export const ZERO = 0x30;
export const NINE = 0x39;
export const FAIL = -1;
/** Past this nesting skipValue gives up: its callers then use a parser that reports the depth. */
export const MAX_SCAN_DEPTH = 64;

export const BYTES_TRUE: readonly number[] = [0x74, 0x72, 0x75, 0x65];
export const BYTES_FALSE: readonly number[] = [0x66, 0x61, 0x6c, 0x73, 0x65];
export const BYTES_NULL: readonly number[] = [0x6e, 0x75, 0x6c, 0x6c];

export const isWhitespace = (c: number | undefined): boolean => c === SPACE || c === LF || c === CR || c === TAB;
export const isDigit = (c: number | undefined): boolean => c !== undefined && c >= ZERO && c <= NINE;
const isHex = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));

export function skipWhitespace(b: Uint8Array, i: number, end: number): number {
  while (i < end && isWhitespace(b[i])) i++;
  return i;
}

/** `b[i]` is the opening quote; returns the index after the closing one. */
export function skipString(b: Uint8Array, i: number, end: number): number {
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
export function skipNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === MINUS) i++;
  if (b[i] === ZERO) i++;
  else if (isDigit(b[i])) while (i < end && isDigit(b[i])) i++;
  else return FAIL;
  if (b[i] === DOT) {
    i++;
    if (!isDigit(b[i])) return FAIL;
    while (i < end && isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === MINUS) i++;
    if (!isDigit(b[i])) return FAIL;
    while (i < end && isDigit(b[i])) i++;
  }
  return i > end ? FAIL : i;
}

export function skipLiteral(b: Uint8Array, i: number, end: number, literal: readonly number[]): number {
  if (i + literal.length > end) return FAIL;
  for (let k = 0; k < literal.length; k++) if (b[i + k] !== literal[k]) return FAIL;
  return i + literal.length;
}

/**
 * Skips one value starting at `b[i]` (no leading whitespace), `depth` levels in; the index after
 * it. A container that would open level `maxDepth + 1` fails.
 */
export function skipValue(b: Uint8Array, i: number, end: number, depth: number, maxDepth = MAX_SCAN_DEPTH): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i, end);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return depth >= maxDepth ? FAIL : skipContainer(b, i, end, depth + 1, maxDepth);
  if (c === 0x74) return skipLiteral(b, i, end, BYTES_TRUE);
  if (c === 0x66) return skipLiteral(b, i, end, BYTES_FALSE);
  if (c === 0x6e) return skipLiteral(b, i, end, BYTES_NULL);
  return skipNumber(b, i, end);
}

/** `b[i]` is `{` or `[`; returns the index after the matching close. */
function skipContainer(b: Uint8Array, i: number, end: number, depth: number, maxDepth: number): number {
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
    i = skipValue(b, i, end, depth, maxDepth);
    if (i === FAIL) return FAIL;
    i = skipWhitespace(b, i, end);
    if (b[i] === close) return i + 1;
    if (b[i] !== COMMA) return FAIL;
    i = skipWhitespace(b, i + 1, end);
  }
}

/**
 * True when the text in bytes[start, end) opens more than `maxDepth` levels of `{` and `[` (outside
 * strings) at once. A loop, not a recursion: it measures rows thousands of levels deep.
 */
export function exceedsDepth(b: Uint8Array, start: number, end: number, maxDepth: number): boolean {
  let depth = 0;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === QUOTE) {
      for (i++; i < end && b[i] !== QUOTE; i++) if (b[i] === BACKSLASH) i++;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** A JSON string token's value: bytes[start, end) include the quotes (a token skipString accepted). */
export function decodeString(b: Buffer, start: number, end: number): string {
  for (let k = start + 1; k < end - 1; k++) {
    // JSON.parse of one string token: numbers never go through it.
    if (b[k] === BACKSLASH) return JSON.parse(b.toString('utf8', start, end)) as string;
  }
  return b.toString('utf8', start + 1, end - 1);
}

/** The four hex digits at `pos` as a number, or -1. */
export function readHex4(bytes: Uint8Array, pos: number): number {
  let value = 0;
  for (let i = pos; i < pos + 4; i++) {
    const c = bytes[i]!;
    const digit = isDigit(c) ? c - ZERO : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (digit === -1) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** True when `text` holds no lone surrogate (String.prototype.isWellFormed where the runtime has it). */
export const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (text) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
