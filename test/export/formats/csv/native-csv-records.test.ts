import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createRowGenerator } from '../../../../bench/lib/row-generator.js';
import { createCsvBatchEncoder } from '../../../../src/export/formats/csv/csv-batch-encoder.js';
import { copyBytes, createNativeCsvRecords, getCsvAddonLoadError, loadCsvAddon } from '../../../../src/export/formats/csv/native-csv-records.js';
import { createRandom, pick, type Random } from '../../../helpers/seeded-random.js';

// The native path must give the JS paths' bytes for every row. These tests run when the addon
// is built (node-gyp rebuild); without it the export runs on the JS paths alone.
const addon = loadCsvAddon();
const whenBuilt = it.skipIf(addon === null);

/** Both encoders' records of `texts` (one store batch); on a difference, the first row that differs. */
function expectSameRecords(columns: readonly string[], texts: readonly string[], noLineBreaks: boolean): void {
  const batch = (): Buffer => Buffer.from(texts.map((text) => `${text}\n`).join(''), 'utf8');
  const native = createCsvBatchEncoder(columns, { noLineBreaks, runId: 'run', native: true }).encodeBatch(batch());
  const js = createCsvBatchEncoder(columns, { noLineBreaks, runId: 'run', native: false }).encodeBatch(batch());
  if (native.equals(js)) return;
  for (const text of texts) {
    const one = Buffer.from(`${text}\n`, 'utf8');
    const nativeRecord = createCsvBatchEncoder(columns, { noLineBreaks, runId: 'run' }).encodeBatch(Buffer.from(one));
    const jsRecord = createCsvBatchEncoder(columns, { noLineBreaks, runId: 'run', native: false }).encodeBatch(Buffer.from(one));
    expect(nativeRecord.toString('hex'), `${text} (noLineBreaks ${noLineBreaks})`).toBe(jsRecord.toString('hex'));
  }
  expect.unreachable('the batches differ, but no row on its own');
}

/** How many of `texts` the native path declines, encoded as one batch. */
function countDeclined(columns: readonly string[], texts: readonly string[], noLineBreaks: boolean): number {
  const records = createNativeCsvRecords(columns, { noLineBreaks });
  if (records === null) throw new Error('the addon is not built');
  const batch = Buffer.from(texts.map((text) => `${text}\n`).join(''), 'utf8');
  let declined = 0;
  for (let start = 0; start < batch.length; ) {
    const stop = records.appendRows(batch, start);
    if (stop.declinedStart === -1) break;
    declined++;
    start = stop.declinedEnd + 1;
  }
  return declined;
}

describe('the native CSV path', () => {
  it('loads the built addon, or finds none: never a build that fails to load', () => {
    expect(getCsvAddonLoadError()).toBeNull();
  });

  whenBuilt('encodes the benchmark\'s scraped rows with the JS bytes, declining none', () => {
    for (const seed of [42, 7]) {
      const generator = createRowGenerator(seed);
      const texts = Array.from({ length: 5000 }, () => JSON.stringify(generator.next()));
      const columns = [...new Set(texts.flatMap((text) => Object.keys(JSON.parse(text) as object)))];
      for (const noLineBreaks of [false, true]) {
        expectSameRecords(columns, texts, noLineBreaks);
        expect(countDeclined(columns, texts, noLineBreaks)).toBe(0);
      }
    }
  });

  whenBuilt('takes escapes, surrogates, canonical numbers and nested values, keys in order with gaps', () => {
    const texts = [
      '{"a":"\\u00e9\\u6771\\ud83e\\udd91 \\uD83E\\uDD91","b":"\\ud800 lone","c":"x\\udc00"}',
      '{"a":"\\u000d\\u000a\\r\\r\\n\\n","b":"\\u0022\\u002c","c":"\\u0020lead\\/"}',
      '{"a":"\\b\\f\\t\\u001f\\u0000","b":"end\\r","c":"\\nstart", "k l" : "a,b" }',
      '{"a":{"t":"a\\"b\\u001f\\n","u":[]},"b":["\\u000b"],"c":[0.000001,-12.5,123456789012345]}',
      '{"other":{"x":[1,"]}"]},"b":"gap","other2":"\\"","é":""}',
      '{"a":"","b":" ","c":"a b","k l":", ","é":"🦑 שלום"}',
      '{"a":{},"c":[[[]]],"__proto__":{"":null,"k":true},"constructor":false}',
      '{}',
      '{"b":0,"b2":{"unknown":[{"deep":"x"}]},"é":-0.5}',
      // Nested values as other JSON writers send them (Python's json.dumps: spaces, \u escapes).
      '{"a": {"b": [1, 2], "c": "caf\\u00e9 \\ud83e\\udd91"}, "b": [ ], "c": { }}',
      '{"a":["\\ud800","\\uDC00x","\\u001F\\u0008\\u000C\\u0041\\/"],"b":{"\\u0022k\\u005c":"\\u0022"}}',
      '{"a":{"k":"\\ud800\\ud800\\udc00"},"b":[\t1 ,\r2 ],"c":{"\\u006b":1},"k l":["\\u007f\\u0041\\u00e9"]}',
    ];
    for (const noLineBreaks of [false, true]) {
      expectSameRecords(columns, texts, noLineBreaks);
      expect(countDeclined(columns, texts, noLineBreaks)).toBe(0);
    }
  });

  whenBuilt('declines what the JS path converts or cannot read, and the JS path gives the bytes', () => {
    const texts = [
      '{"a":1.50}', '{"a":-0}', '{"a":1e5}', '{"a":0.0000001}', '{"a":123456789012345678901}', '{"a":{"b":1.0}}',
      '{"a":{"2":1}}', '{"a":{"\\u0032":1}}', '{"a":{"k":1,"k":2}}', '{"a":{"k":1,"\\u006b":2}}', '{"a":[1 ,1.0]}', '{"a":3.14159265358979323846}', '{"b":1,"a":2}',
      '{"a":1,"a":2}', '{"\\u0061":1}', '{"q\\"k":1}', `{"a":${'['.repeat(40)}${']'.repeat(40)}}`,
      `{"a":{${Array.from({ length: 70 }, (_, i) => `"k${i}":${i}`).join(',')}}}`, ' {"a":1}',
    ];
    expect(countDeclined(columns, texts, false)).toBe(texts.length);
    for (const noLineBreaks of [false, true]) expectSameRecords(columns, texts, noLineBreaks);
  });

  whenBuilt('gives the JS bytes for many random rows of awkward JSON, with and without line breaks', () => {
    const random = createRandom(20261127);
    for (let round = 0; round < 40; round++) {
      const length = 1 + Math.floor(random() * 1000);
      const ordinary = Array.from({ length }, () => randomRowText(random, false));
      const texts = Array.from({ length }, (_, i) => (random() < 0.5 ? ordinary[i]! : randomRowText(random, true)));
      const noLineBreaks = round % 2 === 1;
      expectSameRecords(columns, texts, noLineBreaks);
      // Rows as scrapers write them, escapes and odd characters included, all take the native path.
      expect(countDeclined(columns, ordinary, noLineBreaks)).toBe(0);
    }
  });

  whenBuilt('grows its output for rows larger than its buffer, and ends a batch without a final LF', () => {
    const big = JSON.stringify({ a: '"'.repeat(300_000), b: 'x'.repeat(700_000), c: [',', '"'] });
    const texts = ['{"a":1}', big, '{"b":"small"}', big, big];
    expectSameRecords(columns, texts, false);
    const unfinished = Buffer.from('{"a":1}\n{"b":2}', 'utf8');
    const native = createCsvBatchEncoder(columns, { noLineBreaks: false, runId: 'run' }).encodeBatch(Buffer.from(unfinished));
    expect(native.toString('utf8')).toBe('1,,,,,,,,,,,,\r\n,2,,,,,,,,,,,\r\n');
  });

  whenBuilt('reads a key in broken UTF-8 as the JS path does, which decodes it to U+FFFD', () => {
    const texts = Buffer.concat([Buffer.from('{"'), Buffer.from([0xff]), Buffer.from('":"v","b":1}\n')]);
    const expected = createCsvBatchEncoder(['\ufffd', 'b'], { noLineBreaks: false, runId: 'run', native: false }).encodeBatch(Buffer.from(texts));
    expect(expected.toString('utf8')).toBe('v,1\r\n');
    expect(createCsvBatchEncoder(['\ufffd', 'b'], { noLineBreaks: false, runId: 'run' }).encodeBatch(Buffer.from(texts))).toEqual(expected);
  });

  whenBuilt('declines a nested value JSON.parse would read from broken UTF-8, which the JS path decodes to U+FFFD', () => {
    const texts = Buffer.concat([Buffer.from('{"a":[ "'), Buffer.from([0xe9]), Buffer.from('" ],"b":["'), Buffer.from([0xe9]), Buffer.from('"]}\n')]);
    const expected = createCsvBatchEncoder(['a', 'b'], { noLineBreaks: false, runId: 'run', native: false }).encodeBatch(Buffer.from(texts));
    expect(expected.toString('latin1')).toBe('"[""\xef\xbf\xbd""]","[""\xe9""]"\r\n');
    expect(createCsvBatchEncoder(['a', 'b'], { noLineBreaks: false, runId: 'run' }).encodeBatch(Buffer.from(texts))).toEqual(expected);
  });

  whenBuilt('names the row that is not JSON, counting the rows it took before', () => {
    const encoder = createCsvBatchEncoder(['a'], { noLineBreaks: false, runId: 'r1' });
    encoder.encodeBatch(Buffer.from('{"a":1}\n{"a":2}\n'));
    expect(() => encoder.encodeBatch(Buffer.from('{"a":3}\n{"a":\n'))).toThrow('result 4 of run r1 is not valid JSON in the store');
  });

  whenBuilt('refuses arguments that are not an encoder and buffers, instead of reading them', () => {
    const cursor = new Float64Array(4);
    const encoder = addon!.createEncoder(['a'], false);
    expect(() => addon!.encodeRows({}, Buffer.from('{}\n'), 0, Buffer.alloc(64), 0, cursor)).toThrow(TypeError);
    expect(() => addon!.encodeRows(encoder, Buffer.from('{}\n'), 4, Buffer.alloc(64), 0, cursor)).toThrow(TypeError);
    expect(() => addon!.encodeRows(encoder, Buffer.from('{}\n'), 0, Buffer.alloc(64), 0, new Float64Array(2))).toThrow(TypeError);
    expect(() => addon!.createEncoder([1] as unknown as string[], false)).toThrow(TypeError);
  });

  whenBuilt('loads and encodes on worker threads, two at once', async () => {
    const moduleUrl = JSON.stringify(new URL('../../../../src/export/formats/csv/native-csv-records.ts', import.meta.url).href);
    const source = `
      const { parentPort } = require('node:worker_threads');
      import('tsx/esm/api').then((tsx) => tsx.tsImport(${moduleUrl}, ${moduleUrl})).then((native) => {
        const records = native.createNativeCsvRecords(['a', 'b'], { noLineBreaks: true });
        const stop = records.appendRows(Buffer.from('{"a":"x\\\\r\\\\ny","b":[1,2]}\\n'), 0);
        parentPort.postMessage({ stop, csv: records.takeChunk().toString('utf8') });
      });`;
    const answers = await Promise.all([0, 1].map(() => new Promise((resolve, reject) => {
      const worker = new Worker(source, { eval: true });
      worker.once('message', (answer) => void worker.terminate().then(() => resolve(answer)));
      worker.once('error', reject);
    })));
    for (const answer of answers) expect(answer).toEqual({ stop: { rows: 1, declinedStart: -1, declinedEnd: -1 }, csv: 'x y,"[1,2]"\r\n' });
  });

  whenBuilt('copies bytes into shared memory as Buffer#copy would, as many as fit, and checks its ranges', () => {
    const source = Buffer.from('0123456789abcdef');
    const cases: Array<[number, number, number]> = [[0, 0, 16], [3, 2, 9], [10, 4, 16], [16, 0, 4], [5, 7, 7]];
    for (const [targetStart, sourceStart, sourceEnd] of cases) {
      const shared = new Uint8Array(new SharedArrayBuffer(16)).fill(0x2e);
      const plain = Buffer.alloc(16, 0x2e);
      const copied = addon!.copyBytes!(shared, targetStart, source, sourceStart, sourceEnd);
      expect(copied).toBe(source.copy(plain, targetStart, sourceStart, sourceEnd));
      expect(Buffer.from(shared).toString()).toBe(plain.toString());
      expect(copyBytes(shared, targetStart, source, sourceStart, sourceEnd)).toBe(copied);
    }
    const target = new Uint8Array(new SharedArrayBuffer(4));
    expect(() => addon!.copyBytes!(target, 5, source, 0, 1)).toThrow('out of range');
    expect(() => addon!.copyBytes!(target, 0, source, 3, 2)).toThrow('out of range');
    expect(() => addon!.copyBytes!(target, 0, source, 0, 17)).toThrow('out of range');
    expect(() => addon!.copyBytes!(target, 1.5, source, 0, 1)).toThrow('out of range');
    expect(() => addon!.copyBytes!(new Uint16Array(2) as unknown as Uint8Array, 0, source, 0, 1)).toThrow('Uint8Arrays');
  });
});

const columns = ['a', 'b', 'c', '__proto__', 'constructor', 'k l', 'é', 'q"k', 'x,y', ' lead', '', '🦑', 'lone\ud800'];

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '/': '\\/' };
const stringPieces = ['x', 'plain text', ' ', ',', '"', '\\', '/', '\n', '\r', '\r\n', '\t', '\b', '\f', '\u0000', '\u001f', '\u007f', 'é', '東京', '🦑', '\u2028', '\ud800', '\udc00', 'a b'];
const numberTexts = ['0', '-0', '42', '-12.5', '19.99', '0.1', '0.000001', '0.0000001', '1.50', '1.0', '-0.0', '1e5', '1E-7', '-1.5e+300', '123456789012345', '1234567890123456', '123456789012345678901', '20.990000000000002', '1.00000000000000001', '5e-324'];
const spaces = ['', '', '', '', ' ', '\t', '\r', ' \t '];

/** A JSON string of random pieces, each character written raw or escaped, as some JSON writer might. */
function randomStringText(random: Random, value = Array.from({ length: Math.floor(random() * 5) }, () => pick(random, stringPieces)).join('')): string {
  let text = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    const escape = random() < 0.3 || code < 0x20 || char === '"' || char === '\\' || (code >= 0xd800 && code <= 0xdfff && random() < 0.8);
    if (!escape) text += char;
    else if (SHORT_ESCAPES[char] !== undefined && random() < 0.5) text += SHORT_ESCAPES[char];
    else for (let i = 0; i < char.length; i++) text += `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`.replace(/[a-f]/g, (hex) => (random() < 0.3 ? hex.toUpperCase() : hex));
  }
  return `${text}"`;
}

/** A nested value spaced, escaped, with repeated or digit keys, or deep: JSON.parse's work in the JS path. */
function randomNestedText(random: Random, depth: number): string {
  if (random() < 0.1) {
    // Around json-row-bytes.ts's depth limit (32), past which the JS path parses.
    const levels = 30 + Math.floor(random() * 5);
    return `${'['.repeat(levels)}1${']'.repeat(levels)}`;
  }
  const space = pick(random, spaces);
  const values = Array.from({ length: Math.floor(random() * 4) }, () => randomValueText(random, depth + 1, true));
  if (random() < 0.5) return `[${space}${values.join(`${space},${space}`)}${space}]`;
  const keys = ['"k"', '"k"', '"2"', '""', '"a b"', '"é"', '"x\\"y"', '"\\u006b"'];
  return `{${space}${values.map((value) => `${pick(random, keys)}${space}:${space}${value}`).join(`,${space}`)}${space}}`;
}

/** A nested value as a scraper would send it: no repeated or digit-first keys, numbers in JSON.stringify's form. */
function randomCanonicalValue(random: Random, depth: number): unknown {
  const kind = random();
  if (kind < 0.4) return Array.from({ length: Math.floor(random() * 4) }, () => pick(random, stringPieces)).join('');
  if (kind < 0.6) return pick(random, [0, 42, -12.5, 0.000001, 123456789012345, 0.1, -0.5]);
  if (kind < 0.7 || depth > 3) return pick(random, [true, false, null]);
  const values = Array.from({ length: Math.floor(random() * 4) }, () => randomCanonicalValue(random, depth + 1));
  if (kind < 0.85) return values;
  return Object.fromEntries(values.map((value, i) => [pick(random, ['k', 'a b', 'é', 'x"y', '', `k${i}`, '\n']), value]));
}

/** JSON with `, ` and `: ` between tokens, as Python's json.dumps writes it, strings written by `writeString`. */
function writeSpacedJson(value: unknown, writeString: (text: string) => string): string {
  if (Array.isArray(value)) return `[${value.map((item) => writeSpacedJson(item, writeString)).join(', ')}]`;
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? writeString(value) : JSON.stringify(value);
  return `{${Object.entries(value).map(([key, item]) => `${writeString(key)}: ${writeSpacedJson(item, writeString)}`).join(', ')}}`;
}

/** Python's ensure_ascii: every non-ASCII character as \\uxxxx. */
function writeAsciiString(text: string): string {
  return JSON.stringify(text).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function randomValueText(random: Random, depth: number, nasty: boolean): string {
  const kind = random();
  if (kind < 0.45) return randomStringText(random);
  if (kind < 0.7) return nasty ? pick(random, numberTexts) : pick(random, ['0', '42', '-12.5', '19.99', '0.000001', '123456789012345']);
  if (kind < 0.85 || depth > 3) return pick(random, ['true', 'false', 'null']);
  if (nasty && random() < 0.7) return randomNestedText(random, depth);
  const value = randomCanonicalValue(random, depth);
  const style = random();
  if (style < 0.4) return JSON.stringify(value);
  return writeSpacedJson(value, style < 0.7 ? writeAsciiString : (text) => randomStringText(random, text));
}

/**
 * A row: the columns' keys in order with gaps, spaced, unknown keys between; when `nasty`, also
 * repeated, out of order or escaped keys, numbers in other forms and nested values JSON.parse changes.
 */
function randomRowText(random: Random, nasty: boolean): string {
  const keys: string[] = [];
  // A name JSON writes with escapes (q"k, a lone surrogate) is left to the JS paths.
  for (const name of columns) if (random() < 0.5 && (nasty || JSON.stringify(name) === `"${name}"`)) keys.push(JSON.stringify(name));
  if (random() < 0.2) keys.splice(Math.floor(random() * keys.length), 0, pick(random, ['"unknown"', '"ünknown"', '"🦑🦑"']));
  if (nasty && random() < 0.2) keys.push(JSON.stringify(pick(random, columns)));
  if (nasty && random() < 0.2 && keys.length > 1) keys.reverse();
  if (nasty && random() < 0.2) keys.splice(Math.floor(random() * keys.length), 0, pick(random, ['"\\u0061"', '"other\\"key"']));
  const members = keys.map((key) => {
    const space = pick(random, spaces);
    return `${space}${key}${space}:${space}${randomValueText(random, 0, nasty)}${space}`;
  });
  return `{${members.join(',')}}${pick(random, spaces)}`;
}
