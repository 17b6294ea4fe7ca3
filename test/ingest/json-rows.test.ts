import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/app-error.js';
import { parseJsonArrayRows } from '../../src/ingest/json-rows.js';
import type { ParsedBatch } from '../../src/ingest/parsed-batch.js';

const NOW_MS = 1_700_000_000_000;
const options = { maxRowBytes: 64, batchRows: 2, now: () => NOW_MS };

async function collect(value: unknown): Promise<ParsedBatch[]> {
  const batches: ParsedBatch[] = [];
  for await (const batch of parseJsonArrayRows(value, options)) batches.push(batch);
  return batches;
}

async function errorOf(value: unknown): Promise<AppError> {
  const thrown = await collect(value).then(
    () => null,
    (error: unknown) => error,
  );
  if (thrown instanceof AppError) return thrown;
  throw new Error(`expected an AppError, got ${String(thrown)}`);
}

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

  it('accepts an empty array', async () => {
    expect(await collect([])).toEqual([]);
  });

  it('rejects a body that is not an array', async () => {
    const error = await errorOf({ a: 1 });
    expect(error.status).toBe(400);
    expect(error.message).toContain('JSON array of objects');
  });

  it('names the 1-based item that is not an object', async () => {
    const error = await errorOf([{ a: 1 }, { a: 2 }, [3]]);
    expect(error.message).toBe('item 3: expected a JSON object, got an array');
    expect(error.param).toBe('item 3');
    expect((await errorOf([null])).message).toBe('item 1: expected a JSON object, got null');
  });

  it('rejects reserved keys and oversize items', async () => {
    expect((await errorOf([{ a: 1 }, { run: 'x' }])).message).toContain('item 2: the key "run" is reserved');
    const fits = { v: 'é'.repeat(27) }; // 8 + 54 bytes = 62
    expect(await collect([fits])).toHaveLength(1);
    const error = await errorOf([fits, { v: 'é'.repeat(29) }]);
    expect(error.message).toBe('item 2: the row is longer than the limit of 64 bytes per row');
  });
  it('also closes a batch once its rows reach batchBytes', async () => {
    const items = [{ a: 'ü' }, { a: 'x' }, { a: 'y' }]; // 10, 9 and 9 bytes
    const batches: ParsedBatch[] = [];
    for await (const batch of parseJsonArrayRows(items, { ...options, batchRows: 1000, batchBytes: 19 })) batches.push(batch);
    expect(batches.map((batch) => batch.rows.map((row) => row.data))).toEqual([['{"a":"ü"}', '{"a":"x"}'], ['{"a":"y"}']]);
  });
});
