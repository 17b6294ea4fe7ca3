import { describe, expect, it } from 'vitest';
import { createCsvEncoder } from '../../src/export/csv-encoder.js';
import { createCsvRecordBuffer, type CsvRecordBuffer } from '../../src/export/json-row-bytes.js';
import { createJsonRowTranscoder } from '../../src/export/json-row-transcoder.js';
import { createRandom, pick, type Random } from '../helpers/seeded-random.js';

const columns = ['a', 'b', 'c', '__proto__', 'constructor', 'k l', 'é', 'q"k'];

/** The reference: parse the whole row, then encode the object. */
function slowPath(text: string, noLineBreaks = false): string {
  return createCsvEncoder(columns, { noLineBreaks }).row(JSON.parse(text) as Record<string, unknown>);
}

/**
 * The byte path's record for `text`, or null when it declines (appending nothing). The row is
 * handed over as the store does: its UTF-8 bytes inside a larger buffer, between other rows,
 * ended by the 0 byte that replaces its LF.
 */
function appendRecord(records: CsvRecordBuffer, text: string): Buffer | null {
  const before = Buffer.from('{"a":"row before"}\0');
  const row = Buffer.from(text, 'utf8');
  const bytes = Buffer.concat([before, row, Buffer.from('\0{"a":"row after"}\n')]);
  if (records.appendJsonRow(bytes, before.length, before.length + row.length)) return records.takeChunk();
  expect(records.byteLength(), text).toBe(0);
  return null;
}

function expectSameBytes(record: Buffer, csv: string, text: string): void {
  const expected = Buffer.from(csv, 'utf8');
  // The text first, for a readable difference; then the bytes, which the text may hide.
  expect(record.toString('utf8'), text).toBe(expected.toString('utf8'));
  expect(record.equals(expected), text).toBe(true);
}

/** All three paths give `csv`; the byte path may decline only the `declined` texts. */
function expectBothPaths(cases: Array<[string, string]>, noLineBreaks = false, declined: string[] = []): void {
  const transcode = createJsonRowTranscoder(columns, { noLineBreaks });
  const records = createCsvRecordBuffer(columns, { noLineBreaks });
  for (const [text, csv] of cases) {
    expect(transcode(text), text).toBe(csv);
    expect(slowPath(text, noLineBreaks), text).toBe(csv);
    const record = appendRecord(records, text);
    // The store holds UTF-8, where a lone surrogate is U+FFFD: the byte path reads that text.
    const stored = Buffer.from(text, 'utf8').toString('utf8');
    if (record === null) expect(declined, text).toContain(text);
    else expectSameBytes(record, stored === text ? csv : slowPath(stored, noLineBreaks), text);
  }
}

describe('createJsonRowTranscoder', () => {
  it('copies plain values from the text', () => {
    expectBothPaths([
      ['{"a":"x","b":1,"c":true}', 'x,1,true,,,,,\r\n'],
      ['{ "c" : null ,\t"a": " lead", "b": -12.5 }  ', '" lead",-12.5,,,,,,\r\n'],
      ['{"é":"🦑 שלום","k l":"a,b","a":""}', ',,,,,"a,b",🦑 שלום,\r\n'],
      ['{"__proto__":"p","constructor":false}', ',,,p,false,,,\r\n'],
      ['{"unknown":"skipped","b":0}', ',0,,,,,,\r\n'],
      ['{}', ',,,,,,,\r\n'],
      ['{"a":"end "}', '"end ",,,,,,,\r\n'],
      ['{"b":0.000001,"c":123456789012345}', ',0.000001,123456789012345,,,,,\r\n'],
    ], false, ['{ "c" : null ,\t"a": " lead", "b": -12.5 }  ', '{"é":"🦑 שלום","k l":"a,b","a":""}']);
  });

  it('converts escaped strings, escaped keys, other number forms and nested values one by one', () => {
    expectBothPaths([
      ['{"a":"say \\"hi\\", ok","b":"tab\\there"}', '"say ""hi"", ok",tab\there,,,,,,\r\n'],
      ['{"a":"line\\r\\nbreak\\\\","q\\"k":"\\u00e9"}', '"line\r\nbreak\\",,,,,,,é\r\n'],
      ['{"\\u0061":1,"b":1.0,"c":1e3}', '1,1,1000,,,,,\r\n'],
      ['{"a":-0,"b":0.0000001,"c":12345678901234567890}', '0,1e-7,12345678901234567000,,,,,\r\n'],
      ['{"a":20.990000000000002,"b":1e400}', '20.990000000000002,,,,,,,\r\n'],
      ['{"a":{"b":1},"b":[1,"x"]}', '"{""b"":1}","[1,""x""]",,,,,,\r\n'],
      ['{"a": { "b" : [ 1.0, 1e2, {"c,d": "}]\\""} ] , "2": null }}', '"{""2"":null,""b"":[1,100,{""c,d"":""}]\\""""}]}",,,,,,,\r\n'],
      ['{"a":[],"c":{}}', '[],,{},,,,,\r\n'],
      ['{"a":["x",1,true,null],"b":["y", 1.0],"c":[[]]}', '"[""x"",1,true,null]","[""y"",1]",[[]],,,,,\r\n'],
    ], false, ['{"a":"line\\r\\nbreak\\\\","q\\"k":"\\u00e9"}', '{"\\u0061":1,"b":1.0,"c":1e3}']);
    expectBothPaths([['{"a":"x\\ny\\r\\nz","b":{"t":"a\\nb"}}', 'x y z,"{""t"":""a\\nb""}",,,,,,\r\n']], true);
  });

  it('copies compact nested values as they are, and converts the ones JSON.parse would change', () => {
    const deep = `${'['.repeat(40)}1${']'.repeat(40)}`;
    expectBothPaths([
      ['{"a":{"n":"Nordisk, Store","r":20.4,"t":[true,null,{"x":[]}]}}', '"{""n"":""Nordisk, Store"",""r"":20.4,""t"":[true,null,{""x"":[]}]}",,,,,,,\r\n'],
      // JSON.parse moves array-index keys first and keeps the last of repeated keys.
      ['{"a":{"b":1,"2":2},"b":{"k":1,"k":2}}', '"{""2"":2,""b"":1}","{""k"":2}",,,,,,\r\n'],
      ['{"a":{"b":1.50,"c":[1 ,2]}}', '"{""b"":1.5,""c"":[1,2]}",,,,,,,\r\n'],
      // A lone surrogate: JSON.stringify writes it as an escape.
      ['{"a":{"b":"\ud800"}}', '"{""b"":""\\ud800""}",,,,,,,\r\n'],
      [`{"a":${deep}}`, `${deep},,,,,,,\r\n`],
    ], false, ['{"a":{"b":"\ud800"}}']);
  });

  it('leaves repeated keys and text that is not an object to the slow path', () => {
    const transcode = createJsonRowTranscoder(columns, { noLineBreaks: false });
    for (const text of ['{"a":1,"a":2}', '{"\\u0061":1,"a":2}', '[1]', ' {"a":1}', '{"a":1', '{"a":1}x', '{"a" 1}', '{"a":nul}']) {
      expect(transcode(text), text).toBeNull();
    }
  });

  it('writes escapes, number forms and nested values as bytes, the same as the slow path', () => {
    for (const noLineBreaks of [false, true]) {
      const records = createCsvRecordBuffer(columns, { noLineBreaks });
      for (const text of [
        '{"a":"\\u00e9\\u6771\\ud83e\\udd91","b":"\\ud800 lone","c":"x\\udc00"}',
        '{"a":"\\u000d\\u000a\\r\\r\\n\\n","b":"\\u0022\\u002c","c":"\\u0020lead\\/"}',
        '{"a":"\\b\\f\\t\\u001f","b":"end\\r","c":"\\nstart"}',
        '{"a":{"t":"a\\"b\\u001f\\n"},"b":["\\u00e9"],"c":[0.0000001,1E2]}',
        '{"a":[1],"b":{},"c":{"b":1,"2":2},"k l":[true,false,null,-0.5]}',
        '{"a":1E+2,"b":-0.0,"c":1e21,"k l":5e-324,"é":-0}',
        '{"other":{"x":[1,"]}"]},"b":"gap","other2":"\\"","é":""}',
        '{"a":"","b":" ","c":"a b","k l":", "}',
      ]) {
        const record = appendRecord(records, text);
        expect(record, text).not.toBeNull();
        expectSameBytes(record as Buffer, slowPath(text, noLineBreaks), text);
      }
    }
  });

  it('declines in the byte path what only the string or slow path reads, even after a longer row', () => {
    const records = createCsvRecordBuffer(columns, { noLineBreaks: false });
    const long = `{"a":"${'x'.repeat(500)}","b":[${'1,'.repeat(100)}1],"c":"y"}`;
    for (const text of ['{"a":1,"a":2}', '{"b":1,"a":2}', '{"\\u0061":1}', '{"q\\"k":1}', '[1]', ' {"a":1}', '{"a":1', '{"a":"x', '{"a":[1', '{"a":1}x', '{"a" 1}', '{"a":nul}', '{"a":tru}', '{"a":01}', '{"a":1.}', '{"a":"\\x"}', '{"a":"\\u12"}', '{"a":{"b":1]}', '{"a":1,}']) {
      expect(appendRecord(records, long)).not.toBeNull();
      expect(appendRecord(records, text), text).toBeNull();
    }
  });

  it('gives the same bytes as the slow path for many random rows, with and without line breaks', () => {
    const random = createRandom(42);
    for (const noLineBreaks of [false, true]) {
      const transcode = createJsonRowTranscoder(columns, { noLineBreaks });
      const records = createCsvRecordBuffer(columns, { noLineBreaks });
      let fast = 0;
      for (let i = 0; i < 20_000; i++) {
        const text = randomRowText(random);
        const record = appendRecord(records, text);
        if (record !== null) expectSameBytes(record, slowPath(text, noLineBreaks), text);
        const quick = transcode(text);
        if (quick === null) continue;
        fast++;
        expect(quick, text).toBe(slowPath(text, noLineBreaks));
      }
      // Only repeated keys may decline here: most rows must take the fast path.
      expect(fast).toBeGreaterThan(15_000);
    }
  });

  it('takes every random row whose plain keys come in column order, with the slow path\'s bytes', () => {
    const random = createRandom(7);
    for (const noLineBreaks of [false, true]) {
      const records = createCsvRecordBuffer(columns, { noLineBreaks });
      for (let i = 0; i < 20_000; i++) {
        const text = randomOrderedRowText(random);
        const record = appendRecord(records, text);
        expect(record, text).not.toBeNull();
        expectSameBytes(record as Buffer, slowPath(text, noLineBreaks), text);
      }
    }
  });
});

const stringPieces = ['x', 'hello', ' ', ',', 'é', '🦑', 'שלום', '東京', '"', '\n', '\r\n', '\r', 'a b', '\t', '\\', '\u2028'];
const numberTexts = ['0', '-1', '42', '19.99', '-0.5', '0.000001', '123456789012345', '1.0', '1e3', '-0', '0.1', '1234567890123456', '20.990000000000002', '1E-7', '-1.5e+300'];
const nestedTexts = [
  '{"n":1}', '[1,"a,b"]', '[]', '{}', '{ "2" : 1.0, "b": [ 1e2, "]}" ] }', '[{"a":"x\\"y\\n"}]', '["x","y z"]',
  '[1.0]', '[true,null,-0.5,"é"]', '[1, 2]', '["a\\"b"]', '[[1]]', '[{"a":1}]', '[-0]', '[1e3,2]', '{"a":1,"a":2}',
];
/** Strings and numbers as other JSON writers send them (escaped, exponents). */
const otherValueTexts = [
  '"\\u00e9"', '"\\ud83e\\udd91 x"', '"\\ud800"', '"a\\u000d\\u000ab"', '"\\/"', '"\\u0022,"', '" \\u0020"', '"\\u001F"',
  '1E+2', '-0.0', '0.0000001', '1e21', '5e-324', '{"t":"\\u001f\\"x"}', '["\\u00e9"]', '[0.0000001]', '{"b":1,"2":2}', '[1,[2,{"c":[]}]]',
];
const spaces = ['', '', '', ' ', '\t', '\r\n '];

function randomValueText(random: Random): string {
  const kind = random();
  if (kind < 0.55) {
    const length = Math.floor(random() * 5);
    return JSON.stringify(Array.from({ length }, () => pick(random, stringPieces)).join(''));
  }
  if (kind < 0.8) return pick(random, numberTexts);
  if (kind < 0.85) return pick(random, ['true', 'false', 'null']);
  if (kind < 0.93) return pick(random, nestedTexts);
  return pick(random, otherValueTexts);
}

function randomRowText(random: Random): string {
  const keys = [...columns.map((key) => JSON.stringify(key)), '"other"', '"\\u0061"'];
  const fieldCount = Math.floor(random() * 4);
  const fields = Array.from({ length: fieldCount }, () => {
    const space = pick(random, spaces);
    return `${space}${pick(random, keys)}${space}:${space}${randomValueText(random)}${space}`;
  });
  return `{${fields.join(',')}}${pick(random, spaces)}`;
}

/** A row with plain keys in column order (some left out), and keys that are not columns. */
function randomOrderedRowText(random: Random): string {
  const fields: string[] = [];
  for (const key of columns) {
    // A key JSON writes with escapes (q"k) is left to the string path.
    if (random() < 0.4 || JSON.stringify(key) !== `"${key}"`) continue;
    const space = pick(random, spaces);
    if (random() < 0.1) fields.push(`"other${fields.length}":${randomValueText(random)}`);
    fields.push(`${space}${JSON.stringify(key)}${space}:${space}${randomValueText(random)}${space}`);
  }
  return `{${fields.join(',')}}${pick(random, spaces)}`;
}
