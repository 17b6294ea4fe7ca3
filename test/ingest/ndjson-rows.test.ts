// Every case runs twice: on parseNdjsonRows, and on the parse thread (threaded-ndjson-rows.ts),
// which must give the same batches, rows and errors.
import { createHash } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/app-error.js';
import { parseNdjsonRows, type ParsedBatch, type RowParseOptions } from '../../src/ingest/ndjson-rows.js';
import { createNdjsonParseThread, MAX_UNPARSED_BYTES } from '../../src/ingest/threaded-ndjson-rows.js';

const NOW_MS = Date.UTC(2025, 0, 2, 3, 4, 5);
const options: RowParseOptions = { maxRowBytes: 1024, batchRows: 1000, now: () => NOW_MS };

async function* chunksOf(parts: Array<Buffer | string>): AsyncGenerator<Buffer | string> {
  for (const part of parts) yield part;
}

/** The body cut into Buffers at the given byte offsets. */
function cutAt(body: string, offsets: number[]): Buffer[] {
  const bytes = Buffer.from(body, 'utf8');
  const edges = [0, ...offsets, bytes.length];
  return edges.slice(1).map((end, i) => bytes.subarray(edges[i], end));
}

type Parse = (source: AsyncIterable<Buffer | string>, options: RowParseOptions) => AsyncIterable<ParsedBatch>;

const parseThread = createNdjsonParseThread();
afterAll(() => parseThread.close());

/** `readAheadBytes`: how far past a bad line the parser may have read the body. */
const parsers: Array<{ name: string; parse: Parse; readAheadBytes: number }> = [
  { name: 'parseNdjsonRows', parse: parseNdjsonRows, readAheadBytes: 0 },
  { name: 'the NDJSON parse thread', parse: (source, parseOptions) => parseThread.parse(source, parseOptions), readAheadBytes: MAX_UNPARSED_BYTES },
];

let parse: Parse = parseNdjsonRows;

async function collect(source: AsyncIterable<Buffer | string>, overrides: Partial<RowParseOptions> = {}): Promise<ParsedBatch[]> {
  const batches: ParsedBatch[] = [];
  for await (const batch of parse(source, { ...options, ...overrides })) batches.push(batch);
  return batches;
}

async function rowsOf(parts: Array<Buffer | string>): Promise<string[]> {
  const batches = await collect(chunksOf(parts));
  return batches.flatMap((batch) => batch.rows.map((row) => row.data));
}

async function errorOf(parts: Array<Buffer | string>, overrides: Partial<RowParseOptions> = {}): Promise<AppError> {
  try {
    await collect(chunksOf(parts), overrides);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the body to be rejected');
}

const body = '{"name":"Café 🦑","city":"תל אביב"}\n{"name":"東京","n":1}\n{"emoji":"👩‍👩‍👧","n":2}\n';
const expectedRows = ['{"name":"Café 🦑","city":"תל אביב"}', '{"name":"東京","n":1}', '{"emoji":"👩‍👩‍👧","n":2}'];

describe.each(parsers)('$name', (parser) => {
  beforeEach(() => {
    parse = parser.parse;
  });

  it('parses rows, hashes their text and reports new columns in first-seen order', async () => {
    const batches = await collect(chunksOf([body]));
    expect(batches).toHaveLength(1);
    const [batch] = batches as [ParsedBatch];
    expect(batch.rows.map((row) => row.data)).toEqual(expectedRows);
    expect(batch.columns).toEqual(['name', 'city', 'n', 'emoji']);
    expect(batch.rows[0]?.rowHash).toBe(createHash('sha1').update(expectedRows[0] as string).digest('hex'));
    expect(batch.rows[0]?.scrapingTimeMs).toBe(NOW_MS);
  });

  it('gives the same rows for every cut of the body, inside multi-byte characters too', async () => {
    const length = Buffer.byteLength(body);
    for (let offset = 1; offset < length; offset++) {
      expect(await rowsOf(cutAt(body, [offset]))).toEqual(expectedRows);
    }
    const everyByte = Array.from({ length: length - 1 }, (_, i) => i + 1);
    expect(await rowsOf(cutAt(body, everyByte))).toEqual(expectedRows);
  });

  it('accepts string chunks', async () => {
    expect(await rowsOf(['{"a":', '1}\n{"a"', ':2}'])).toEqual(['{"a":1}', '{"a":2}']);
  });

  it('skips blank lines, tolerates CRLF, spaces and a missing final newline', async () => {
    const rows = await rowsOf(['\n  \r\n{"a":1}\r\n\r\n', '   {"b": 2}  \r', '\n\t\n{"c":3}']);
    expect(rows).toEqual(['{"a":1}', '{"b": 2}', '{"c":3}']);
    expect(await rowsOf([])).toEqual([]);
    expect(await rowsOf(['\n\n'])).toEqual([]);
  });

  it('skips a byte order mark at the start', async () => {
    expect(await rowsOf(['\uFEFF{"a":1}\n'])).toEqual(['{"a":1}']);
  });

  it('cuts batches at batchRows and reports each column once, in the batch where it first appears', async () => {
    const lines = ['{"a":1}', '{"a":2,"b":1}', '{"a":3}', '{"c":1,"a":4}', '{"b":2}'];
    const batches = await collect(chunksOf([lines.join('\n')]), { batchRows: 2 });
    expect(batches.map((batch) => batch.rows.length)).toEqual([2, 2, 1]);
    expect(batches.map((batch) => batch.columns)).toEqual([['a', 'b'], ['c'], []]);
  });

  it('names the line (blank lines counted) of invalid JSON', async () => {
    const error = await errorOf(['{"a":1}\n\n{"a":2}\n', '{"a":\n{"a":4}\n']);
    expect(error.code).toBe('InvalidParameterValue');
    expect(error.status).toBe(400);
    expect(error.param).toBe('line 4');
    expect(error.message).toMatch(/^line 4: invalid JSON \(.+\)$/);
  });

  it('rejects lines that are not objects', async () => {
    for (const [line, kind] of [['[1,2]', 'an array'], ['null', 'null'], ['"text"', 'a string'], ['42', 'a number'], ['true', 'a boolean']]) {
      const error = await errorOf([`{"ok":1}\r\n${line}\r\n`]);
      expect(error.message).toBe(`line 2: expected a JSON object, got ${kind}`);
      expect(error.param).toBe('line 2');
    }
  });

  it('rejects reserved keys, naming the key and a new name', async () => {
    for (const key of ['id', 'object', 'squid', 'run']) {
      const error = await errorOf([`{"a":1}\n{"a":2}\n{"${key}":"x"}\n`]);
      expect(error.status).toBe(400);
      expect(error.message).toContain(`line 3: the key "${key}" is reserved`);
      expect(error.message).toContain(`item_${key}`);
    }
    expect(await rowsOf(['{"item_id":1,"ID":2,"squid_name":"s"}'])).toHaveLength(1);
  });

  it('takes scraping_time from the row when it is a date string', async () => {
    const batches = await collect(
      chunksOf([
        '{"scraping_time":"2024-03-05T12:34:56Z"}\n{"scraping_time":"2024-03-05T12:34:56.789+02:00"}\n',
        '{"scraping_time":"yesterday"}\n{"scraping_time":1700000000000}\n{"scraping_time":null}\n',
      ]),
    );
    const times = batches.flatMap((batch) => batch.rows.map((row) => row.scrapingTimeMs));
    expect(times).toEqual([Date.UTC(2024, 2, 5, 12, 34, 56), Date.UTC(2024, 2, 5, 10, 34, 56, 789), NOW_MS, NOW_MS, NOW_MS]);
  });

  it('accepts a row of exactly maxRowBytes, with or without CRLF, and rejects one byte more', async () => {
    const exact = `{"v":"${'é'.repeat(8)}${'x'.repeat(16 - 8 - 8)}"}`;
    const limit = Buffer.byteLength(exact);
    expect(await collect(chunksOf([`${exact}\r\n${exact}`]), { maxRowBytes: limit })).toHaveLength(1);
    const over = `{"v":"${'x'.repeat(limit - 7)}"}`;
    const error = await errorOf([`${exact}\n${over}\n`], { maxRowBytes: limit });
    expect(error.message).toBe(`line 2: the row is longer than the limit of ${limit} bytes per row`);
    expect(error.status).toBe(400);
  });

  it('fails an oversize line at once, without reading the rest of it', async () => {
    const chunkBytes = 64 * 1024;
    let pulledBytes = 0;
    async function* endlessLine(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"a":1}\n{"big":"');
      pulledBytes += 16;
      for (;;) {
        pulledBytes += chunkBytes;
        yield Buffer.alloc(chunkBytes, 'x');
      }
    }
    const maxRowBytes = 1024 * 1024;
    const error = await collect(endlessLine(), { maxRowBytes }).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).param).toBe('line 2');
    expect(pulledBytes).toBeLessThanOrEqual(maxRowBytes + parser.readAheadBytes + 2 * chunkBytes);
  });
  it('also closes a batch once its rows reach batchBytes', async () => {
    // 14 bytes (13 characters), then 13 bytes each; the CR of CRLF does not count.
    const lines = ['{"a":"ü2345"}', '{"a":"12345"}', '{"a":"12345"}', '{"a":"12345"}', '{"a":"12345"}'];
    const batches = await collect(chunksOf([`${lines.join('\r\n')}\r\n`]), { batchRows: 1000, batchBytes: 27 });
    expect(batches.map((batch) => batch.rows.length)).toEqual([2, 3]);
    const byRows = await collect(chunksOf([lines.join('\n')]), { batchRows: 2, batchBytes: 1000 });
    expect(byRows.map((batch) => batch.rows.length)).toEqual([2, 2, 1]);
  });

  it('hashes exactly the stored text, whatever surrounds the line and wherever a chunk ends', async () => {
    const parts = ['\uFEFF{"a":"ü"}\r\n  {"b":2} \n{"c":', '"3"}\r', '\n{"d":4}'];
    const rows = (await collect(chunksOf(parts))).flatMap((batch) => batch.rows);
    expect(rows.map((row) => row.data)).toEqual(['{"a":"ü"}', '{"b":2}', '{"c":"3"}', '{"d":4}']);
    for (const row of rows) expect(row.rowHash).toBe(createHash('sha1').update(row.data).digest('hex'));
  });

  it('gives the same rows, columns and errors whether a line is scanned or parsed', async () => {
    // Same keys row after row (the scan's fast path), a line only JSON.parse takes (an
    // integer-like key, which a for-in lists first), then a reserved key among known ones.
    const lines = ['{"a":1,"b":"x"}', '{"a":2,"b":"y"}', '{"b":3,"1":4}', '{"a":2,"b":"y","é\u0301":[{}]}'];
    const batches = await collect(chunksOf([`${lines.join('\n')}\n`]));
    const rows = batches.flatMap((batch) => batch.rows);
    expect(rows.map((row) => row.data)).toEqual(lines);
    expect(batches.flatMap((batch) => batch.columns)).toEqual(['a', 'b', '1', 'é\u0301']);
    for (const row of rows) expect(row.rowHash).toBe(createHash('sha1').update(row.data).digest('hex'));
    const scanned = rows[0]?.dataBytes;
    expect(scanned === undefined ? null : Buffer.from(scanned).toString('utf8')).toBe(lines[0]);
    const error = await errorOf(['{"a":1,"b":2}\n{"a":1,"b":2}\n{"a":1,"b":2,"run":3}\n']);
    expect(error.message).toContain('line 3: the key "run" is reserved');
    const invalid = await errorOf(['{"a":1,"b":2}\n{"a":1,"b":02}\n']);
    expect(invalid.message).toMatch(/^line 2: invalid JSON \(.+\)$/);
  });

  it('refuses a line nested deeper than maxRowDepth (64 by default), on the scanned and the parsed path', async () => {
    const nested = (levels: number): string => `{"v":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    const big = { maxRowBytes: 1024 * 1024 };
    expect(await collect(chunksOf([`${nested(64)}\n`]), big).then((batches) => batches[0]?.rows.length)).toBe(1);
    const error = await errorOf([`{"a":1}\n${nested(65)}\n`], big);
    expect(error.message).toBe('line 2: the row is nested deeper than the limit of 64 levels (SQUIDSHIP_MAX_ROW_DEPTH)');
    expect(error.status).toBe(400);
    expect((await errorOf([`${nested(5000)}\n`], big)).message).toMatch(/^line 1: the row is nested deeper/);
    // A lower limit holds for rows the scan decides too; a higher one for rows past the scan's 64.
    expect((await errorOf([`{"a":1}\n${nested(4)}\n`], { maxRowDepth: 3 })).message).toMatch(/^line 2: .*limit of 3 levels/);
    const deep = await collect(chunksOf([`${nested(100)}\n`]), { ...big, maxRowDepth: 100 });
    expect(deep[0]?.rows).toHaveLength(1);
  });

  it('refuses a line that is not UTF-8, naming it, instead of storing U+FFFD', async () => {
    const bad = Buffer.concat([Buffer.from('{"a":"ok"}\n{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    const error = await errorOf([bad]);
    expect(error.message).toBe('line 2: invalid UTF-8: send rows as UTF-8 text');
    expect(error.param).toBe('line 2');
  });

  it('keeps __proto__ and constructor keys as data, on the scanned and the parsed path', async () => {
    const scanned = '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}';
    const parsed = '{"1":0,"__proto__":{"polluted":3}}';
    const batches = await collect(chunksOf([`${scanned}\n${parsed}\n`]));
    expect(batches[0]?.rows.map((row) => row.data)).toEqual([scanned, parsed]);
    expect(batches[0]?.columns).toEqual(['__proto__', 'constructor', '1']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
