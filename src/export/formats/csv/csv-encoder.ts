// The CSV dialect of every export (see README.md in this folder): RFC 4180 with CRLF records,
// a field quoted only when it must be, values typed the way JSON writes them.
// This file is the only place in Squidship that knows CSV quoting.
import { JsonNumber, writeCompactJson } from '../../../json/json-literal-value.js';

export interface CsvEncoderOptions {
  /** Every CR, LF and CRLF inside a value becomes one space (the squid's `no_line_breaks`). */
  noLineBreaks: boolean;
}

export interface CsvEncoder {
  /** The header record (with its CRLF); "" when there are no columns. */
  header(): string;
  /** One record (with its CRLF) holding `data`'s values in column order; "" when there are no columns. */
  row(data: Record<string, unknown>): string;
}

/** Characters that force quoting (RFC 4180 section 2.6). */
const NEEDS_QUOTES = /[",\r\n]/;
const HAS_LINE_BREAK = /[\r\n]/;
/** CRLF first, so that a Windows line break becomes one space, not two. */
const LINE_BREAKS = /\r\n|\r|\n/g;
const SPACE = 32;

export function createCsvEncoder(columns: readonly string[], options: CsvEncoderOptions): CsvEncoder {
  const keys = [...columns];
  const noLineBreaks = options.noLineBreaks;
  // A key such as "constructor" or "__proto__" would read Object.prototype when a row lacks it;
  // only those columns pay for an own-property check.
  const inherited = keys.map((key) => key in Object.prototype);
  const headerLine = keys.length === 0 ? '' : `${keys.map((key) => encodeText(key, noLineBreaks)).join(',')}\r\n`;

  return {
    header: () => headerLine,
    row(data) {
      if (keys.length === 0) return '';
      let line = '';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const value = inherited[i] === true && !Object.hasOwn(data, key) ? undefined : data[key];
        line += i === 0 ? encodeValue(value, noLineBreaks) : `,${encodeValue(value, noLineBreaks)}`;
      }
      return `${line}\r\n`;
    },
  };
}

/** One field's text, quoted as needed. null, undefined and non-JSON values are empty. Numbers of parsed JS values are written as JSON writes them. */
export function encodeValue(value: unknown, noLineBreaks: boolean): string {
  switch (typeof value) {
    case 'string':
      return encodeText(value, noLineBreaks);
    case 'number':
      // String() and JSON agree on every finite number; JSON has no NaN or Infinity (it writes null).
      return Number.isFinite(value) ? String(value) : '';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return String(value);
    case 'object':
      if (value === null) return '';
      // A number as it was sent (JsonNumber: read by parseJsonBytes), never rewritten by a double.
      if (value instanceof JsonNumber) return value.literal;
      return encodeText(writeCompactJson(value), noLineBreaks);
    default:
      return '';
  }
}

/** Quotes `text` when it holds `,` `"` CR or LF, or starts or ends with a space. */
export function encodeText(text: string, noLineBreaks: boolean): string {
  if (text.length === 0) return text;
  let value = text;
  if (NEEDS_QUOTES.test(value)) {
    if (!noLineBreaks || !HAS_LINE_BREAK.test(value)) return quoteText(value);
    value = value.replace(LINE_BREAKS, ' ');
    if (NEEDS_QUOTES.test(value)) return quoteText(value);
  }
  // Quoted so that spreadsheet programs, which trim unquoted fields, keep the spaces.
  if (value.charCodeAt(0) === SPACE || value.charCodeAt(value.length - 1) === SPACE) return `"${value}"`;
  return value;
}

/** Encloses in quotes, doubling inner quotes (an indexOf loop: twice as fast as replaceAll). */
function quoteText(text: string): string {
  let quoted = '"';
  let from = 0;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return `${quoted}${text.slice(from)}"`;
    quoted += `${text.slice(from, quote)}""`;
    from = quote + 1;
  }
}
