import { describe, expect, it } from 'vitest';
import { createCsvEncoder } from '../../src/export/csv-encoder.js';
import { createJsonRowTranscoder } from '../../src/export/json-row-transcoder.js';

const columns = ['a', 'b', 'c', '__proto__', 'constructor', 'k l', 'é', 'q"k'];

/** The reference: parse the whole row, then encode the object. */
function slowPath(text: string, noLineBreaks = false): string {
  return createCsvEncoder(columns, { noLineBreaks }).row(JSON.parse(text) as Record<string, unknown>);
}

function expectBothPaths(cases: Array<[string, string]>, noLineBreaks = false): void {
  const transcode = createJsonRowTranscoder(columns, { noLineBreaks });
  for (const [text, csv] of cases) {
    expect(transcode(text), text).toBe(csv);
    expect(slowPath(text, noLineBreaks), text).toBe(csv);
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
    ]);
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
    ]);
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
    ]);
  });

  it('leaves repeated keys and text that is not an object to the slow path', () => {
    const transcode = createJsonRowTranscoder(columns, { noLineBreaks: false });
    for (const text of ['{"a":1,"a":2}', '{"\\u0061":1,"a":2}', '[1]', ' {"a":1}', '{"a":1', '{"a":1}x', '{"a" 1}', '{"a":nul}']) {
      expect(transcode(text), text).toBeNull();
    }
  });

  it('gives the same bytes as the slow path for many random rows, with and without line breaks', () => {
    const random = createRandom(42);
    for (const noLineBreaks of [false, true]) {
      const transcode = createJsonRowTranscoder(columns, { noLineBreaks });
      let fast = 0;
      for (let i = 0; i < 20_000; i++) {
        const text = randomRowText(random);
        const quick = transcode(text);
        if (quick === null) continue;
        fast++;
        expect(quick, text).toBe(slowPath(text, noLineBreaks));
      }
      // Only repeated keys may decline here: most rows must take the fast path.
      expect(fast).toBeGreaterThan(15_000);
    }
  });
});

type Random = () => number;

function createRandom(seed: number): Random {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

const stringPieces = ['x', 'hello', ' ', ',', 'é', '🦑', 'שלום', '東京', '"', '\n', '\r\n', '\r', 'a b', '\t', '\\', '\u2028'];
const numberTexts = ['0', '-1', '42', '19.99', '-0.5', '0.000001', '123456789012345', '1.0', '1e3', '-0', '0.1', '1234567890123456', '20.990000000000002', '1E-7', '-1.5e+300'];
const nestedTexts = [
  '{"n":1}', '[1,"a,b"]', '[]', '{}', '{ "2" : 1.0, "b": [ 1e2, "]}" ] }', '[{"a":"x\\"y\\n"}]', '["x","y z"]',
  '[1.0]', '[true,null,-0.5,"é"]', '[1, 2]', '["a\\"b"]', '[[1]]', '[{"a":1}]', '[-0]', '[1e3,2]', '{"a":1,"a":2}',
];
const spaces = ['', '', '', ' ', '\t', '\r\n '];

function randomValueText(random: Random): string {
  const kind = random();
  if (kind < 0.55) {
    const length = Math.floor(random() * 5);
    return JSON.stringify(Array.from({ length }, () => pick(random, stringPieces)).join(''));
  }
  if (kind < 0.8) return pick(random, numberTexts);
  if (kind < 0.9) return pick(random, ['true', 'false', 'null']);
  return pick(random, nestedTexts);
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
