import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { createCsvEncoder, encodeValue } from '../../../../src/export/formats/csv/csv-encoder.js';

const plain = { noLineBreaks: false };
const oneLine = { noLineBreaks: true };

function field(value: unknown, options = plain): string {
  return encodeValue(value, options.noLineBreaks);
}

describe('encodeValue', () => {
  it('writes plain strings as they are', () => {
    expect(field('hello')).toBe('hello');
    expect(field('a b')).toBe('a b');
    expect(field("it's")).toBe("it's");
    expect(field('')).toBe('');
  });

  it('quotes commas and doubles inner quotes', () => {
    expect(field('a,b')).toBe('"a,b"');
    expect(field('say "hi"')).toBe('"say ""hi"""');
    expect(field('"')).toBe('""""');
  });

  it('quotes CR, LF and CRLF and keeps them by default', () => {
    expect(field('a\nb')).toBe('"a\nb"');
    expect(field('a\rb')).toBe('"a\rb"');
    expect(field('a\r\nb')).toBe('"a\r\nb"');
  });

  it('turns each line break into one space with noLineBreaks, quoting only when still needed', () => {
    expect(field('a\r\nb\nc\rd', oneLine)).toBe('a b c d');
    expect(field('a\n\nb', oneLine)).toBe('a  b');
    expect(field('x,\ny', oneLine)).toBe('"x, y"');
    expect(field('"q"\r\n', oneLine)).toBe('"""q"" "');
    expect(field('end\n', oneLine)).toBe('"end "');
  });

  it('quotes leading and trailing spaces', () => {
    expect(field(' lead')).toBe('" lead"');
    expect(field('trail ')).toBe('"trail "');
    expect(field(' ')).toBe('" "');
    expect(field('\ttab')).toBe('\ttab');
  });

  it('keeps unicode as is: accents, CJK, emoji, right-to-left', () => {
    expect(field('Café')).toBe('Café');
    expect(field('東京')).toBe('東京');
    expect(field('🦑👩‍👩‍👧')).toBe('🦑👩‍👩‍👧');
    expect(field('שלום, עולם')).toBe('"שלום, עולם"');
    expect(field('مرحبا')).toBe('مرحبا');
  });

  it('writes numbers and booleans as their JSON text', () => {
    expect(field(0)).toBe('0');
    expect(field(-12.5)).toBe('-12.5');
    expect(field(1e21)).toBe('1e+21');
    expect(field(123456789012)).toBe('123456789012');
    expect(field(true)).toBe('true');
    expect(field(false)).toBe('false');
    expect(field(Number.NaN)).toBe('');
  });

  it('writes nested values as JSON text, quoted as needed', () => {
    expect(field({ a: 1 })).toBe('"{""a"":1}"');
    expect(field(['x'])).toBe('"[""x""]"');
    expect(field([1])).toBe('[1]');
    expect(field({})).toBe('{}');
    expect(field({ t: 'a\nb' }, oneLine)).toBe('"{""t"":""a\\nb""}"');
  });

  it('writes null and undefined as empty', () => {
    expect(field(null)).toBe('');
    expect(field(undefined)).toBe('');
  });
});

describe('createCsvEncoder', () => {
  it('writes the header and rows in column order with CRLF, empty for missing keys', () => {
    const encoder = createCsvEncoder(['name', 'price', 'tags', 'note'], plain);
    const text =
      encoder.header() +
      encoder.row({ name: 'Café, "Le Nid"', price: 12.5, tags: ['a', 'b'] }) +
      encoder.row({ note: null, name: ' x', extra: 'ignored' });
    expect(text).toBe('name,price,tags,note\r\n"Café, ""Le Nid""",12.5,"[""a"",""b""]",\r\n" x",,,\r\n');
  });

  it('quotes header names by the same rule', () => {
    const encoder = createCsvEncoder(['a,b', 'say "x"', ' pad', 'line\nbreak'], plain);
    expect(encoder.header()).toBe('"a,b","say ""x"""," pad","line\nbreak"\r\n');
    expect(createCsvEncoder(['line\nbreak'], oneLine).header()).toBe('line break\r\n');
  });

  it('does not read inherited properties for keys like constructor or __proto__', () => {
    const encoder = createCsvEncoder(['constructor', '__proto__', 'toString', 'a'], plain);
    expect(encoder.row({ a: 1 })).toBe(',,,1\r\n');
    const own = JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}') as Record<string, unknown>;
    expect(encoder.row(own)).toBe('c,p,t,\r\n');
  });

  it('writes nothing when there are no columns', () => {
    const encoder = createCsvEncoder([], plain);
    expect(encoder.header()).toBe('');
    expect(encoder.row({ a: 1 })).toBe('');
  });

  it('round-trips through a standard CSV parser', () => {
    const columns = ['text', 'n', 'flag', 'nested', 'empty'];
    const rows = [
      { text: 'a,b "c"\r\nd\ne', n: 1.5, flag: true, nested: { k: [1, 'x,y'] }, empty: null },
      { text: ' spaced ', n: -3, flag: false, nested: [] },
      { text: '🦑 שלום' },
    ];
    const encoder = createCsvEncoder(columns, plain);
    const csv = encoder.header() + rows.map((row) => encoder.row(row)).join('');
    const parsed = parse(csv, { relax_quotes: false }) as string[][];
    expect(parsed).toEqual([
      columns,
      ['a,b "c"\r\nd\ne', '1.5', 'true', '{"k":[1,"x,y"]}', ''],
      [' spaced ', '-3', 'false', '[]', ''],
      ['🦑 שלום', '', '', '', ''],
    ]);
  });
});
