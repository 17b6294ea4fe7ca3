// The export's fast paths. createCsvRecordBuffer (the byte path, json-row-bytes.ts) takes most
// rows; createJsonRowTranscoder (the string path, here) takes the rows it leaves.
// The string path: a stored row's JSON text straight to its CSV record, without
// JSON.parse of the whole row and without building the object. Plain strings, numbers,
// booleans and nulls are copied from the text; only a string with escapes, a number not in
// canonical form, or a nested value is converted on its own, through csv-encoder.ts. A row it
// cannot read (a repeated key, broken text) gives null, and the caller parses and encodes it
// the slow way. Both must give the same bytes: test/export/json-row-transcoder.test.ts
// compares them on random rows. The store only holds text that JSON.parse accepted.
import { encodeText, encodeValue } from './csv-encoder.js';

/** The CSV record (with CRLF) of a row's JSON text, or null when the slow path must do it. */
export type JsonRowTranscoder = (text: string) => string | null;

export const QUOTE = 34; // "
export const BACKSLASH = 92;
export const COMMA = 44;
export const COLON = 58;
export const OPEN_BRACE = 123;
export const CLOSE_BRACE = 125;
export const OPEN_BRACKET = 91;
export const CLOSE_BRACKET = 93;
export const SPACE = 32;
export const MINUS = 45;
export const DOT = 46;
export const ZERO = 48;
export const NINE = 57;
/** parseJsonPart's answer for text that is not valid JSON on its own. */
export const DECLINED = Symbol('declined');
/** A decimal of up to 15 significant digits comes back from a double unchanged. */
export const MAX_PLAIN_DIGITS = 15;

export function createJsonRowTranscoder(columns: readonly string[], options: { noLineBreaks: boolean }): JsonRowTranscoder {
  const indexOfColumn = new Map<string, number>(columns.map((name, index) => [name, index]));
  const count = columns.length;
  const noLineBreaks = options.noLineBreaks;
  const fields: string[] = new Array<string>(count).fill('');
  // A column is filled in the current row when its stamp equals the row's number.
  const stamps = new Float64Array(count);
  let rowNumber = 0;
  // Rows mostly list their keys in column order: the next key is probably this column,
  // checked in place before paying for a slice and a Map lookup.
  let expected = 0;
  // Compared with the raw key text, so only names that need no escaping can match in place.
  const plainNames = columns.map((name) => (JSON.stringify(name) === `"${name}"` ? name : null));

  function guessColumn(text: string, start: number, end: number, index: number): number | undefined {
    const name = plainNames[index];
    if (name === undefined || name === null || end - start - 2 !== name.length) return undefined;
    return text.startsWith(name, start + 1) ? index : undefined;
  }

  /** The column of the key text[start, end): undefined for keys that are not columns. */
  function lookUpColumn(text: string, start: number, end: number): number | undefined | null {
    const key = readString(text, start, end);
    return key === null ? null : indexOfColumn.get(key);
  }

  return function transcodeRow(text) {
    if (count === 0 || text.charCodeAt(0) !== OPEN_BRACE) return null;
    rowNumber++;
    expected = 0;
    let pos = skipSpace(text, 1);
    if (text.charCodeAt(pos) !== CLOSE_BRACE) {
      for (;;) {
        if (text.charCodeAt(pos) !== QUOTE) return null;
        const keyEnd = findStringEnd(text, pos);
        if (keyEnd === -1) return null;
        const index = guessColumn(text, pos, keyEnd, expected) ?? lookUpColumn(text, pos, keyEnd);
        if (index === null) return null;
        if (index !== undefined) expected = index + 1;
        pos = skipSpace(text, keyEnd);
        if (text.charCodeAt(pos) !== COLON) return null;
        pos = skipSpace(text, pos + 1);
        const valueEnd = findValueEnd(text, pos);
        if (valueEnd === -1) return null;
        if (index !== undefined) {
          // A repeated key: JSON.parse keeps the last one; leave that to the slow path.
          if (stamps[index] === rowNumber) return null;
          const field = encodeToken(text, pos, valueEnd, noLineBreaks);
          if (field === null) return null;
          stamps[index] = rowNumber;
          fields[index] = field;
        }
        pos = skipSpace(text, valueEnd);
        const next = text.charCodeAt(pos);
        if (next === CLOSE_BRACE) break;
        if (next !== COMMA) return null;
        pos = skipSpace(text, pos + 1);
      }
    }
    if (skipSpace(text, pos + 1) !== text.length) return null;
    return joinFields(fields, stamps, rowNumber);
  };
}

/** The record: each column's field when it was filled in this row (stamp), else empty. */
function joinFields(fields: readonly string[], stamps: Float64Array, rowNumber: number): string {
  let line = stamps[0] === rowNumber ? (fields[0] as string) : '';
  for (let i = 1; i < fields.length; i++) {
    line += stamps[i] === rowNumber ? `,${fields[i] as string}` : ',';
  }
  return `${line}\r\n`;
}

function skipSpace(text: string, from: number): number {
  let pos = from;
  for (;;) {
    const code = text.charCodeAt(pos);
    if (code !== SPACE && code !== 10 && code !== 13 && code !== 9) return pos;
    pos++;
  }
}

/** The index after the closing quote of the string opening at `start`, or -1. */
function findStringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The value of the string token text[start, end), unescaped only when it has escapes. */
function readString(text: string, start: number, end: number): string | null {
  const raw = text.slice(start + 1, end - 1);
  if (!raw.includes('\\')) return raw;
  const value = parseJsonPart(text.slice(start, end));
  return typeof value === 'string' ? value : null;
}

/** The end of the value at `pos`, or -1 when it does not look like one. */
function findValueEnd(text: string, pos: number): number {
  const first = text.charCodeAt(pos);
  if (first === QUOTE) return findStringEnd(text, pos);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) return findNestedEnd(text, pos);
  let end = pos;
  for (;;) {
    const code = text.charCodeAt(end);
    if (code === COMMA || code === CLOSE_BRACE || code === SPACE || code === 10 || code === 13 || code === 9 || Number.isNaN(code)) break;
    end++;
  }
  return end === pos ? -1 : end;
}

function findNestedEnd(text: string, start: number): number {
  let depth = 0;
  let pos = start;
  for (;;) {
    const code = text.charCodeAt(pos);
    if (code === QUOTE) {
      pos = findStringEnd(text, pos);
      if (pos === -1) return -1;
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return pos + 1;
    } else if (Number.isNaN(code)) return -1;
    pos++;
  }
}

/** The CSV field of the value text[start, end), or null when the text is not a JSON value. */
function encodeToken(text: string, start: number, end: number, noLineBreaks: boolean): string | null {
  const first = text.charCodeAt(start);
  if (first === QUOTE) {
    const raw = text.slice(start + 1, end - 1);
    // Without escapes the raw text is the value, and JSON allows no raw `"`, CR or LF in it.
    if (!raw.includes('\\')) return encodeRawString(raw);
    const value = parseJsonPart(text.slice(start, end));
    return typeof value === 'string' ? encodeText(value, noLineBreaks) : null;
  }
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    const json = text.slice(start, end);
    // The common nested value, compact JSON without escapes, is already JSON.stringify's text.
    if (isCanonicalJson(json)) return encodeText(json, noLineBreaks);
    const value = parseJsonPart(json);
    return value === DECLINED ? null : encodeValue(value, noLineBreaks);
  }
  const token = text.slice(start, end);
  if (token === 'null') return '';
  if (token === 'true' || token === 'false') return token;
  if (isCanonicalNumber(token)) return token;
  // Number() and JSON.parse read a JSON number to the same double; NaN means it was none.
  const value = Number(token);
  return Number.isNaN(value) ? null : encodeValue(value, noLineBreaks);
}

/** Quoting for a string that holds no `"`, CR or LF: the rule of csv-encoder.ts's encodeText. */
function encodeRawString(value: string): string {
  if (value.length === 0) return value;
  if (value.includes(',') || value.charCodeAt(0) === SPACE || value.charCodeAt(value.length - 1) === SPACE) {
    return `"${value}"`;
  }
  return value;
}

/** One value's JSON text parsed on its own, or DECLINED when it is not valid alone. */
export function parseJsonPart(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    // Decline: the slow path parses the whole row and reports it as broken.
    return DECLINED;
  }
}

/** Deeper values are left to JSON.parse, so a pathological row cannot exhaust the stack. */
export const MAX_CANONICAL_DEPTH = 32;
/** Objects up to this many keys look for a repeated key in a list; larger ones in a Set. */
const SMALL_OBJECT_KEYS = 16;

/**
 * True when JSON.stringify(JSON.parse(json)) is `json` itself, so the nested value needs no
 * parse: compact (no whitespace), no escapes, well-formed UTF-16, canonical numbers, no
 * repeated keys and no keys starting with a digit (JSON.parse moves array-index keys first).
 */
export function isCanonicalJson(json: string): boolean {
  if (json.includes('\\') || !isWellFormed(json)) return false;
  return scanCanonical(json, 0, 0) === json.length;
}

export const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (text) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

/** The end of the canonical value at `pos` (see isCanonicalJson), or -1. Needs text without `\\`. */
function scanCanonical(json: string, pos: number, depth: number): number {
  const code = json.charCodeAt(pos);
  if (code === QUOTE) return json.indexOf('"', pos + 1) + 1 || -1;
  if (code === OPEN_BRACKET || code === OPEN_BRACE) {
    return depth >= MAX_CANONICAL_DEPTH ? -1 : code === OPEN_BRACKET ? scanCanonicalArray(json, pos, depth) : scanCanonicalObject(json, pos, depth);
  }
  let end = pos;
  for (;;) {
    const next = json.charCodeAt(end);
    if (next === COMMA || next === CLOSE_BRACKET || next === CLOSE_BRACE || Number.isNaN(next)) break;
    end++;
  }
  const token = json.slice(pos, end);
  return token === 'true' || token === 'false' || token === 'null' || isCanonicalNumber(token) ? end : -1;
}

function scanCanonicalArray(json: string, start: number, depth: number): number {
  let pos = start + 1;
  if (json.charCodeAt(pos) === CLOSE_BRACKET) return pos + 1;
  for (;;) {
    pos = scanCanonical(json, pos, depth + 1);
    if (pos === -1) return -1;
    const next = json.charCodeAt(pos);
    if (next === CLOSE_BRACKET) return pos + 1;
    if (next !== COMMA) return -1;
    pos++;
  }
}

function scanCanonicalObject(json: string, start: number, depth: number): number {
  let pos = start + 1;
  if (json.charCodeAt(pos) === CLOSE_BRACE) return pos + 1;
  const keys: string[] = [];
  let keySet: Set<string> | null = null;
  for (;;) {
    if (json.charCodeAt(pos) !== QUOTE) return -1;
    const keyEnd = json.indexOf('"', pos + 1);
    const first = json.charCodeAt(pos + 1);
    if (keyEnd === -1 || (first >= ZERO && first <= NINE)) return -1;
    const key = json.slice(pos + 1, keyEnd);
    if (keySet === null && keys.length === SMALL_OBJECT_KEYS) keySet = new Set(keys);
    if (keySet === null ? keys.includes(key) : keySet.has(key)) return -1;
    if (keySet === null) keys.push(key);
    else keySet.add(key);
    if (json.charCodeAt(keyEnd + 1) !== COLON) return -1;
    pos = scanCanonical(json, keyEnd + 2, depth + 1);
    if (pos === -1) return -1;
    const next = json.charCodeAt(pos);
    if (next === CLOSE_BRACE) return pos + 1;
    if (next !== COMMA) return -1;
    pos++;
  }
}

/**
 * True when `token` is exactly what JSON.stringify writes for its value: no exponent, no
 * leading zeros, no trailing fractional zeros, no "-0", at most 15 digits, not below 1e-6.
 */
function isCanonicalNumber(token: string): boolean {
  let pos = token.charCodeAt(0) === MINUS ? 1 : 0;
  const intStart = pos;
  while (pos < token.length && isDigit(token.charCodeAt(pos))) pos++;
  const intDigits = pos - intStart;
  if (intDigits === 0 || (intDigits > 1 && token.charCodeAt(intStart) === ZERO)) return false;
  if (pos === token.length) return intDigits <= MAX_PLAIN_DIGITS && token !== '-0';
  if (token.charCodeAt(pos) !== DOT) return false;
  const fracStart = ++pos;
  while (pos < token.length && isDigit(token.charCodeAt(pos))) pos++;
  const fracDigits = pos - fracStart;
  if (pos !== token.length || fracDigits === 0 || token.charCodeAt(pos - 1) === ZERO) return false;
  if (intDigits + fracDigits > MAX_PLAIN_DIGITS) return false;
  // 0.000000x and smaller print in exponent form (ECMA-262 Number::toString).
  return !(token.charCodeAt(intStart) === ZERO && token.startsWith('000000', fracStart));
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE;
}
