// The streamed JSON array parser: each element stored as sent (numbers keep their literals),
// read in chunks cut anywhere, with the same checks and errors as NDJSON lines, named "item N".
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/app-error.js';
import { parseJsonArrayRows } from '../../src/ingest/json-rows.js';
import type { ParsedBatch, RowParseOptions } from '../../src/ingest/parsed-batch.js';

const NOW_MS = 1_700_000_000_000;
const options: RowParseOptions = { maxRowBytes: 64, batchRows: 2, now: () => NOW_MS };

/** The body in chunks of `chunkBytes` (default: whole). */
async function* chunksOf(body: string | Buffer, chunkBytes = Infinity): AsyncGenerator<Buffer> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  for (let at = 0; at < bytes.length; at += chunkBytes) yield bytes.subarray(at, Math.min(bytes.length, at + chunkBytes));
}

async function collectBody(body: string | Buffer, overrides: Partial<RowParseOptions> = {}, chunkBytes = Infinity): Promise<ParsedBatch[]> {
  const batches: ParsedBatch[] = [];
  for await (const batch of parseJsonArrayRows(chunksOf(body, chunkBytes), { ...options, ...overrides })) batches.push(batch);
  return batches;
}

const collect = (value: unknown, overrides: Partial<RowParseOptions> = {}) => collectBody(JSON.stringify(value), overrides);

async function rowsOf(body: string | Buffer, overrides: Partial<RowParseOptions> = {}, chunkBytes = Infinity): Promise<string[]> {
  const batches = await collectBody(body, overrides, chunkBytes);
  return batches.flatMap((batch) => batch.rows.map((row) => row.data));
}

async function errorOfBody(body: string | Buffer, overrides: Partial<RowParseOptions> = {}, chunkBytes = Infinity): Promise<AppError> {
  const thrown = await collectBody(body, overrides, chunkBytes).then(
    () => null,
    (error: unknown) => error,
  );
  if (thrown instanceof AppError) return thrown;
  throw new Error(`expected an AppError, got ${String(thrown)}`);
}

const errorOf = (value: unknown) => errorOfBody(JSON.stringify(value));

const nested = (levels: number): string => `{"v":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

describe('parseJsonArrayRows', () => {
  it('stores each element as its JSON text, in batches, with new columns per batch', async () => {
    const batches = await collect([{ b: 1, a: 'x' }, { a: 'é🦑', c: null }, { scraping_time: '2024-01-01T00:00:00Z' }]);
    expect(batches.map((batch) => batch.rows.map((row) => row.data))).toEqual([
      ['{"b":1,"a":"x"}', '{"a":"é🦑","c":null}'],
      ['{"scraping_time":"2024-01-01T00:00:00Z"}'],
    ]);
    expect(batches.map((batch) => batch.columns)).toEqual([['b', 'a', 'c'], ['scraping_time']]);
    expect(batches[0]?.rows[0]?.scrapingTimeMs).toBe(NOW_MS);
    expect(batches[1]?.rows[0]?.scrapingTimeMs).toBe(Date.UTC(2024, 0, 1));
    expect(batches[0]?.rows[0]?.rowHash).toMatch(/^[0-9a-f]{40}$/);
  });

  it('keeps each element as sent, numbers and inner spacing included, trimmed, in chunks cut anywhere', async () => {
    const body = '\uFEFF [ {"n": 12345678901234567890, "m":9007199254740993} ,\r\n{"p":1.0,"q":19.990},{"r":1E-7,"s":-0, "t":[ 1.50 ]}\n]\n';
    const expected = ['{"n": 12345678901234567890, "m":9007199254740993}', '{"p":1.0,"q":19.990}', '{"r":1E-7,"s":-0, "t":[ 1.50 ]}'];
    for (const chunkBytes of [1, 2, 3, 7, Infinity]) {
      expect(await rowsOf(body, {}, chunkBytes), `chunks of ${chunkBytes}`).toEqual(expected);
    }
  });

  it('accepts an empty array', async () => {
    expect(await collect([])).toEqual([]);
    expect(await collectBody(' [ ] ')).toEqual([]);
  });

  it('rejects a body that is not an array', async () => {
    const error = await errorOf({ a: 1 });
    expect(error.status).toBe(400);
    expect(error.message).toContain('JSON array of objects');
    expect((await errorOfBody('')).message).toContain('JSON array of objects');
    expect((await errorOfBody('[{"a":1}] x')).message).toContain('goes on after the closing ]');
    expect((await errorOfBody('[{"a":1},')).message).toContain('ends before the closing ]');
  });

  it('names the item of a structural error', async () => {
    expect((await errorOfBody('[{"a":1},]')).message).toBe('item 2: invalid JSON (no value)');
    expect((await errorOfBody('[{"a":1},,{"a":2}]')).message).toBe('item 2: invalid JSON (no value)');
    expect((await errorOfBody('[{"a":1} {"a":2}]')).message).toBe('item 1: invalid JSON (expected , or ] after the item)');
    expect((await errorOfBody('[{"a":1},{"a":')).message).toBe('item 2: invalid JSON (the body ends inside it)');
    expect((await errorOfBody('[{"a":1},{"a" 2}]')).message).toMatch(/^item 2: invalid JSON/);
    expect((await errorOfBody('[{"a":"x}]')).message).toMatch(/^item 1: /);
  });

  it('names the 1-based item that is not an object', async () => {
    const error = await errorOf([{ a: 1 }, { a: 2 }, [3]]);
    expect(error.message).toBe('item 3: expected a JSON object, got an array');
    expect(error.param).toBe('item 3');
    expect((await errorOf([null])).message).toBe('item 1: expected a JSON object, got null');
    expect((await errorOf([{ a: 1 }, 'text'])).message).toBe('item 2: expected a JSON object, got a string');
    expect((await errorOfBody('[{"a":1}, 12 ]')).message).toBe('item 2: expected a JSON object, got a number');
  });

  it('rejects reserved keys and oversize items', async () => {
    expect((await errorOf([{ a: 1 }, { run: 'x' }])).message).toContain('item 2: the key "run" is reserved');
    const fits = { v: 'é'.repeat(27) }; // 8 + 54 bytes = 62
    expect(await collect([fits])).toHaveLength(1);
    const error = await errorOf([fits, { v: 'é'.repeat(29) }]);
    expect(error.message).toBe('item 2: the row is longer than the limit of 64 bytes per row');
    // Cut into small chunks, the item fails as it passes the limit, before its end is read.
    const endless = Buffer.from(`[{"v":"${'x'.repeat(1000)}`);
    expect((await errorOfBody(endless, {}, 16)).message).toBe('item 1: the row is longer than the limit of 64 bytes per row');
  });

  it('also closes a batch once its rows reach batchBytes', async () => {
    const items = [{ a: 'ü' }, { a: 'x' }, { a: 'y' }]; // 10, 9 and 9 bytes
    const batches = await collect(items, { batchRows: 1000, batchBytes: 19 });
    expect(batches.map((batch) => batch.rows.map((row) => row.data))).toEqual([['{"a":"ü"}', '{"a":"x"}'], ['{"a":"y"}']]);
  });

  it('refuses an item nested deeper than maxRowDepth (64 by default), before reading it whole', async () => {
    const big = { maxRowBytes: 1024 * 1024 };
    expect(await rowsOf(`[${nested(64)}]`, big)).toEqual([nested(64)]);
    const error = await errorOfBody(`[${nested(64)},${nested(65)}]`, big);
    expect(error.message).toBe('item 2: the row is nested deeper than the limit of 64 levels (SQUIDSHIP_MAX_ROW_DEPTH)');
    expect(error.status).toBe(400);
    expect((await errorOfBody(`[${nested(5000)}]`, big)).message).toMatch(/^item 1: the row is nested deeper/);
    expect((await errorOfBody(`[${nested(4)}]`, { maxRowDepth: 3 })).message).toMatch(/^item 1: .*limit of 3 levels/);
    // Brackets inside strings are not nesting.
    expect(await rowsOf(`[{"s":"${'['.repeat(60)}"}]`, { ...big, maxRowDepth: 2 })).toHaveLength(1);
  });

  it('refuses an item that is not UTF-8, naming it', async () => {
    const body = Buffer.concat([Buffer.from('[{"a":"ok"},{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]')]);
    const error = await errorOfBody(body);
    expect(error.message).toBe('item 2: invalid UTF-8: send rows as UTF-8 text');
  });

  it('keeps __proto__ and constructor keys as data, without touching any prototype', async () => {
    const body = '[{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"a":1}]';
    const batches = await collectBody(body, { maxRowBytes: 1024 });
    expect(batches[0]?.rows.map((row) => row.data)).toEqual([body.slice(1, -1)]);
    expect(batches[0]?.columns).toEqual(['__proto__', 'constructor', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
