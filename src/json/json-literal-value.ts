// JSON parsed from UTF-8 bytes with every number kept as the literal that was sent: JSON.parse
// turns 12345678901234567890 into 12345678901234567000 and rewrites 1.0, 19.990, 1E-7 and -0, and
// a delivery server must deliver what it was given. Objects are built as JSON.parse builds them
// (a repeated key keeps its first place and its last value; integer-like keys come first in
// JSON.stringify's order), so writeCompactJson gives JSON.stringify's text but for the numbers.
import {
  BYTES_FALSE,
  BYTES_NULL,
  BYTES_TRUE,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  FAIL,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
  decodeString,
  skipLiteral,
  skipNumber,
  skipString,
  skipWhitespace,
} from './json-bytes.js';

/** A JSON number as its literal text. */
export class JsonNumber {
  constructor(readonly literal: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | { [key: string]: JsonValue };

/**
 * Deeper values are refused rather than read: parsing and writing recurse, and a row nested
 * thousands of levels deep would overflow the stack (a worker thread's is 4 MB).
 */
export const MAX_READ_DEPTH = 1000;

/** Why bytes could not be read: not JSON, or nested deeper than MAX_READ_DEPTH. */
export class JsonReadError extends Error {
  constructor(readonly reason: 'invalid' | 'too-deep', message: string) {
    super(message);
    this.name = 'JsonReadError';
  }
}

/** The JSON value that is all of bytes[start, end) but for surrounding whitespace. */
export function parseJsonBytes(bytes: Buffer, start: number, end: number): JsonValue {
  let i = skipWhitespace(bytes, start, end);

  const invalid = (): JsonReadError => new JsonReadError('invalid', `not valid JSON at byte ${i - start}`);

  function readValue(depth: number): JsonValue {
    const c = bytes[i];
    if (c === QUOTE) return readString();
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth >= MAX_READ_DEPTH) throw new JsonReadError('too-deep', `nested deeper than ${MAX_READ_DEPTH} levels`);
      return c === OPEN_BRACE ? readObject(depth + 1) : readArray(depth + 1);
    }
    if (c === 0x74) return readLiteral(BYTES_TRUE, true);
    if (c === 0x66) return readLiteral(BYTES_FALSE, false);
    if (c === 0x6e) return readLiteral(BYTES_NULL, null);
    const numberEnd = skipNumber(bytes, i, end);
    if (numberEnd === FAIL) throw invalid();
    const literal = bytes.toString('latin1', i, numberEnd);
    i = numberEnd;
    return new JsonNumber(literal);
  }

  function readString(): string {
    const stringEnd = skipString(bytes, i, end);
    if (stringEnd === FAIL) throw invalid();
    const value = decodeString(bytes, i, stringEnd);
    i = stringEnd;
    return value;
  }

  function readLiteral(literal: readonly number[], value: boolean | null): boolean | null {
    const literalEnd = skipLiteral(bytes, i, end, literal);
    if (literalEnd === FAIL) throw invalid();
    i = literalEnd;
    return value;
  }

  function readArray(depth: number): JsonValue[] {
    const items: JsonValue[] = [];
    i = skipWhitespace(bytes, i + 1, end);
    if (bytes[i] === CLOSE_BRACKET) {
      i++;
      return items;
    }
    for (;;) {
      items.push(readValue(depth));
      if (closesOrContinues(CLOSE_BRACKET)) return items;
    }
  }

  function readObject(depth: number): { [key: string]: JsonValue } {
    // No prototype: a "__proto__" key is then an own key, as JSON.parse makes it.
    const object = Object.create(null) as { [key: string]: JsonValue };
    i = skipWhitespace(bytes, i + 1, end);
    if (bytes[i] === CLOSE_BRACE) {
      i++;
      return object;
    }
    for (;;) {
      if (bytes[i] !== QUOTE) throw invalid();
      const key = readString();
      i = skipWhitespace(bytes, i, end);
      if (bytes[i] !== COLON) throw invalid();
      i = skipWhitespace(bytes, i + 1, end);
      object[key] = readValue(depth);
      if (closesOrContinues(CLOSE_BRACE)) return object;
    }
  }

  /** After a member: true past the closing byte, false past a comma (and whitespace). */
  function closesOrContinues(close: number): boolean {
    i = skipWhitespace(bytes, i, end);
    if (bytes[i] === close) {
      i++;
      return true;
    }
    if (bytes[i] !== COMMA) throw invalid();
    i = skipWhitespace(bytes, i + 1, end);
    return false;
  }

  const value = readValue(0);
  if (skipWhitespace(bytes, i, end) !== end) throw invalid();
  return value;
}

/**
 * A value's compact JSON text (JSON.stringify's, no whitespace), numbers as their literals.
 * Plain JS numbers (values not read by parseJsonBytes) are written as JSON.stringify writes them.
 */
export function writeCompactJson(value: unknown): string {
  if (value instanceof JsonNumber) return value.literal;
  if (Array.isArray(value)) return `[${value.map((item) => writeCompactJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null && isPlainObject(value)) {
    const members: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined && typeof item !== 'function') members.push(`${JSON.stringify(key)}:${writeCompactJson(item)}`);
    }
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === null || prototype === Object.prototype;
}
