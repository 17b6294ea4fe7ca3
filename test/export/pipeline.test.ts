import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { BUILT_IN_CRAWLER } from '../../src/domain/crawlers.js';
import type { Run, Squid } from '../../src/domain/types.js';
import type { PostProcessor } from '../../src/export/format.js';
import { openExport, type ExportRequest } from '../../src/export/pipeline.js';
import { toByteStream } from '../../src/export/response-body.js';
import { ingestResults } from '../../src/ingest/ingest-results.js';
import { parseNdjsonRows } from '../../src/ingest/ndjson-rows.js';
import type { SquidPatch, Store } from '../../src/storage/store.js';
import { createTempSqliteStore, describeEachDialect, type TempSqliteStore } from '../helpers/temp-store.js';
import { readTestEnv } from '../helpers/test-env.js';

const NOW_MS = Date.UTC(2025, 4, 6, 7, 8, 9);
/** SQUIDSHIP_NATIVE_CSV=false runs these tests on the JS encoder alone. */
const NATIVE_ENCODERS = loadConfig(readTestEnv(), tmpdir()).nativeCsv;

/** The run's CSV as a byte stream, as the download reads it. */
function createRunCsvStream(store: Store, run: Run, squid: Squid, request: Omit<ExportRequest, 'format'> = {}) {
  const exported = openExport(store, run, squid, { format: 'csv', nativeEncoders: NATIVE_ENCODERS, ...request });
  return { stream: toByteStream(exported), stats: exported.stats };
}

/** The run's CSV as lent chunks, as the S3 delivery reads it. */
function createRunCsvChunks(store: Store, run: Run, squid: Squid, request: Omit<ExportRequest, 'format'>) {
  const exported = openExport(store, run, squid, { format: 'csv', nativeEncoders: NATIVE_ENCODERS, ...request });
  return { lent: exported.chunks, stats: exported.stats };
}
const MIB = 1024 * 1024;

async function startRun(store: Store, patch: SquidPatch = {}): Promise<{ run: Run; squid: Squid }> {
  const account = await store.createAccount({ name: 'acme', email: 'ops@acme.test', nowMs: NOW_MS });
  const created = await store.createSquid({ accountId: account.id, crawlerId: BUILT_IN_CRAWLER.id, name: 'shops', nowMs: NOW_MS });
  const squid = (await store.updateSquid(account.id, created.id, patch)) ?? created;
  const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: NOW_MS });
  return { run, squid };
}

async function* linesOf(lines: Iterable<string>): AsyncGenerator<string> {
  for (const line of lines) yield `${line}\n`;
}

async function push(store: Store, runId: string, lines: Iterable<string>, batchRows = 1000): Promise<void> {
  const batches = parseNdjsonRows(linesOf(lines), { maxRowBytes: MIB, batchRows, now: () => NOW_MS });
  await ingestResults({ store, runId, batches });
}

/** `threadMinRows` 0 encodes on the worker thread, Infinity (the default here) on this one. */
async function exportCsv(store: Store, run: Run, squid: Squid, batchSize?: number, threadMinRows = Number.POSITIVE_INFINITY) {
  const { stream, stats } = createRunCsvStream(store, run, squid, { batchSize, threadMinRows });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { bytes: Buffer.concat(chunks), chunks, stats };
}

describeEachDialect('createRunCsvStream', (getStore) => {
  it('writes the exact bytes of a small export, with a column first seen in the last row', async () => {
    const store = getStore();
    const { run, squid } = await startRun(store);
    await push(store, run.id, [
      '{"name":"Café, \\"Le Nid\\"","price":12.5,"tags":["a","b"],"open":true}',
      '{"name":" spaced ","price":null,"note":"line1\\r\\nline2"}',
    ]);
    await push(store, run.id, ['{"name":"🦑 שלום","open":false,"late":{"k":1}}']);
    const { bytes, stats } = await exportCsv(store, run, squid);
    expect(bytes.toString('utf8')).toBe(
      'name,price,tags,open,note,late\r\n' +
        '"Café, ""Le Nid""",12.5,"[""a"",""b""]",true,,\r\n' +
        '" spaced ",,,,"line1\r\nline2",\r\n' +
        '🦑 שלום,,,false,,"{""k"":1}"\r\n',
    );
    expect(bytes.subarray(0, 3).toString('hex')).not.toBe('efbbbf');
    expect(stats).toEqual({ rows: 3, bytes: bytes.length });
  });

  it('honours the squid settings: unique rows and no line breaks, on either thread', async () => {
    const store = getStore();
    const { run, squid } = await startRun(store, { exportUniqueResults: true, noLineBreaks: true });
    await push(store, run.id, ['{"t":"a\\nb"}', '{"t":"c"}', '{"t":"a\\nb"}']);
    await push(store, run.id, ['{"t":"c"}', '{"t":"d\\r\\ne"}']);
    for (const threadMinRows of [Number.POSITIVE_INFINITY, 0]) {
      const unique = await exportCsv(store, run, squid, 2, threadMinRows);
      expect(unique.bytes.toString('utf8')).toBe('t\r\na b\r\nc\r\nd e\r\n');
      expect(unique.stats.rows).toBe(3);
      const all = await exportCsv(store, run, { ...squid, exportUniqueResults: false, noLineBreaks: false }, 2, threadMinRows);
      expect(all.bytes.toString('utf8')).toBe('t\r\n"a\nb"\r\nc\r\n"a\nb"\r\nc\r\n"d\r\ne"\r\n');
    }
  });

  it('writes an empty object for a run without rows, and for a run of empty objects', async () => {
    const store = getStore();
    const { run, squid } = await startRun(store);
    expect(await exportCsv(store, run, squid)).toEqual({ bytes: Buffer.alloc(0), chunks: [], stats: { rows: 0, bytes: 0 } });
    await push(store, run.id, ['{}', '{}']);
    expect((await exportCsv(store, run, squid)).bytes.length).toBe(0);
  });

  it('writes the header alone when the run has columns but no rows', async () => {
    const store = getStore();
    const { run, squid } = await startRun(store);
    const ingestId = await store.openIngest(run.id, NOW_MS);
    await store.commitIngest(ingestId, ['a', 'b c', 'd,e']);
    const { bytes, stats } = await exportCsv(store, run, squid);
    expect(bytes.toString('utf8')).toBe('a,b c,"d,e"\r\n');
    expect(stats).toEqual({ rows: 0, bytes: 13 });
  });

  it('streams many rows, a chunk per store batch, that a CSV parser reads back, on either thread', async () => {
    const store = getStore();
    const { run, squid } = await startRun(store);
    const count = 5000;
    await push(store, run.id, (function* () {
      for (let i = 0; i < count; i++) yield JSON.stringify({ i, text: `row ${i}, "quoted"\nnext`, extra: i === count - 1 ? 'last' : undefined });
    })());
    const { bytes, chunks, stats } = await exportCsv(store, run, squid, 700);
    expect(stats).toEqual({ rows: count, bytes: bytes.length });
    // The header, then one chunk per batch of 700 rows.
    expect(chunks.map((chunk) => parse(chunk).length)).toEqual([1, 700, 700, 700, 700, 700, 700, 700, 100]);
    // The export thread packs the header and records into 1 MiB chunks: here one.
    const threaded = await exportCsv(store, run, squid, 700, 0);
    expect(threaded.stats).toEqual(stats);
    expect(threaded.chunks.map((chunk) => chunk.length)).toEqual([bytes.length]);
    expect(threaded.bytes.equals(bytes)).toBe(true);
    const records = parse(bytes) as string[][];
    expect(records[0]).toEqual(['i', 'text', 'extra']);
    expect(records).toHaveLength(count + 1);
    expect(records[4000]).toEqual(['3999', 'row 3999, "quoted"\nnext', '']);
    expect(records[count]).toEqual([String(count - 1), `row ${count - 1}, "quoted"\nnext`, 'last']);
  });

  it('lends chunks of exactly chunkBytes (the last one less) from the export thread\'s slots, the same bytes', async () => {
    const store = getStore();
    const { run, squid } = await startRun(store);
    const long = 'x'.repeat(600_000);
    await push(store, run.id, Array.from({ length: 40 }, (_, i) => JSON.stringify({ i, text: i === 20 || i === 21 ? long : `row, "${i}"` })));
    const expected = (await exportCsv(store, run, squid, 3)).bytes;
    const chunkBytes = 100_000;
    const { lent, stats } = createRunCsvChunks(store, run, squid, { batchSize: 3, threadMinRows: 0, chunkBytes, chunksHeld: 2 });
    const copies: Buffer[] = [];
    const views: Buffer[] = [];
    for await (const chunk of lent) {
      copies.push(Buffer.from(chunk.data));
      views.push(chunk.data);
      chunk.release();
    }
    expect(Buffer.concat(copies).equals(expected)).toBe(true);
    expect(copies.slice(0, -1).every((copy) => copy.length === chunkBytes)).toBe(true);
    expect(copies.at(-1)!.length).toBe(expected.length % chunkBytes);
    expect(stats).toEqual({ rows: 40, bytes: expected.length });
    // Released chunks went back to the thread, which wrote later chunks into the same few slots.
    const slots = new Set(views.map((view) => view.buffer));
    expect(slots.size).toBeLessThanOrEqual(2 + 1); // chunksHeld, and one the thread fills ahead
    expect(views.length).toBeGreaterThan(2 * slots.size);
  });

  it('lends the same bytes from the calling thread, when the run is small', async () => {
    const store = getStore();
    const { run, squid } = await startRun(store);
    await push(store, run.id, Array.from({ length: 10 }, (_, i) => JSON.stringify({ i })));
    const expected = (await exportCsv(store, run, squid, 3)).bytes;
    const { lent, stats } = createRunCsvChunks(store, run, squid, { batchSize: 3, chunkBytes: 5 * MIB, chunksHeld: 2 });
    const chunks: Buffer[] = [];
    for await (const chunk of lent) {
      chunks.push(chunk.data);
      chunk.release();
    }
    expect(Buffer.concat(chunks).equals(expected)).toBe(true);
    // The header, then one chunk per batch of 3 rows.
    expect(chunks).toHaveLength(5);
    expect(stats).toEqual({ rows: 10, bytes: expected.length });
  });

  it('fails the stream, naming the run and the row, when a stored row is not valid JSON, on either thread', async () => {
    const store = getStore();
    const { run, squid } = await startRun(store);
    const ingestId = await store.openIngest(run.id, NOW_MS);
    const rows = ['{"a":1}', '{"a":2}', '{"a":', '{"a":4}'].map((data, index) => ({ data, rowHash: `hash ${index}`, scrapingTimeMs: NOW_MS }));
    await store.appendIngestRows(ingestId, rows);
    await store.commitIngest(ingestId, ['a']);
    for (const threadMinRows of [Number.POSITIVE_INFINITY, 0]) {
      await expect(exportCsv(store, run, squid, 2, threadMinRows)).rejects.toThrow(`result 3 of run ${run.id} is not valid JSON in the store`);
    }
  });
});

describe('createRunCsvStream memory [sqlite]', () => {
  let temp: TempSqliteStore;
  beforeEach(async () => {
    temp = await createTempSqliteStore();
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  it('does not grow the heap with the number of rows', async () => {
    const { store } = temp;
    const { run, squid } = await startRun(store);
    const count = 300_000;
    await push(store, run.id, (function* () {
      for (let i = 0; i < count; i++) yield JSON.stringify(realisticRow(i));
    })(), 5000);

    // Live heap after a full collection, sampled as the export flows: what the stream retains.
    const gc = exposeGc();
    gc();
    const baselineBytes = process.memoryUsage().heapUsed;
    const retainedBytes: number[] = [];
    let csvBytes = 0;
    let records = 0;
    let previousByte: number | undefined;
    // On the worker thread, as every large export is.
    const { stream, stats } = createRunCsvStream(store, run, squid, { threadMinRows: 0 });
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      csvBytes += buffer.length;
      // Records end in CRLF; values hold bare LFs only.
      for (let at = buffer.indexOf(10); at !== -1; at = buffer.indexOf(10, at + 1)) {
        if ((at === 0 ? previousByte : buffer[at - 1]) === 13) records++;
      }
      previousByte = buffer[buffer.length - 1];
      if (retainedBytes.length < Math.floor(csvBytes / (8 * MIB))) {
        gc();
        retainedBytes.push(process.memoryUsage().heapUsed - baselineBytes);
      }
    }
    expect(stats).toEqual({ rows: count, bytes: csvBytes });
    expect(records).toBe(count + 1);
    expect(csvBytes).toBeGreaterThan(80 * MIB);
    expect(retainedBytes.length).toBeGreaterThanOrEqual(10);
    const megabytes = retainedBytes.map((bytes) => (bytes / MIB).toFixed(1));
    console.log(`live heap above baseline every 8 MiB of ${(csvBytes / MIB).toFixed(0)} MiB of CSV: ${megabytes.join(', ')} MiB`);
    // Loose: an export held in memory (rows or bytes) would add over 80 MiB by the end.
    const growthBytes = (retainedBytes.at(-1) ?? 0) - (retainedBytes[0] ?? 0);
    expect(growthBytes).toBeLessThan(16 * MIB);
    expect(Math.max(...retainedBytes)).toBeLessThan(32 * MIB);
  });
});

/** V8's gc(), without starting the test process with --expose-gc. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function realisticRow(i: number): Record<string, unknown> {
  return {
    url: `https://shop.example.com/products/${i}?ref=listing&page=${i % 50}`,
    title: `Product ${i} - Stainless steel water bottle, 750 ml`,
    price: 19.99 + (i % 100),
    currency: 'EUR',
    in_stock: i % 3 !== 0,
    rating: (i % 50) / 10,
    reviews: i * 7,
    seller: `Seller "${i % 17}"`,
    category: 'Home & Kitchen',
    description: `A durable bottle.\nKeeps drinks cold for 24 hours. Item ${i}.`,
    sku: `SKU-${i.toString(16).padStart(8, '0')}`,
    tags: ['kitchen', 'outdoor'],
    address: null,
    scraping_time: '2025-05-06T07:08:09Z',
  };
}

/** A test-only post-processor: upper-cases ASCII and ends the file with a trailer, as a step like gzip would change the bytes. */
const upperCase: PostProcessor = {
  id: 'upper',
  extensionSuffix: 'up',
  create: () => ({
    push: (bytes) => Buffer.from(bytes.toString('latin1').toUpperCase(), 'latin1'),
    end: () => Buffer.from('#END\r\n', 'latin1'),
  }),
};

async function readChunks(chunks: AsyncIterable<{ data: Buffer; release(): void }>): Promise<Buffer[]> {
  const copies: Buffer[] = [];
  for await (const chunk of chunks) {
    copies.push(Buffer.from(chunk.data));
    chunk.release();
  }
  return copies;
}

describeEachDialect('openExport', (getStore) => {
  it('names the format\'s content type and extension, and keeps every number literal as sent, on either thread', async () => {
    const store = getStore();
    const { run, squid } = await startRun(store);
    const literals = ['12345678901234567890', '9007199254740993', '1.0', '19.990', '1E-7', '-0'];
    await push(store, run.id, [...literals.map((literal) => `{"a":${literal}}`), '{"a":{"n":[1.50,{"b":-0}]}}']);
    const expected = `a\r\n${literals.map((literal) => `${literal}\r\n`).join('')}"{""n"":[1.50,{""b"":-0}]}"\r\n`;
    for (const threadMinRows of [Number.POSITIVE_INFINITY, 0]) {
      for (const nativeEncoders of [true, false]) {
        const exported = openExport(store, run, squid, { format: 'csv', threadMinRows, nativeEncoders });
        expect(exported).toMatchObject({ contentType: 'text/csv; charset=utf-8', extension: 'csv' });
        expect(Buffer.concat(await readChunks(exported.chunks)).toString('utf8')).toBe(expected);
        expect(exported.stats).toEqual({ rows: 7, bytes: Buffer.byteLength(expected) });
      }
    }
  });

  it('applies post-processors in order, in chunks of chunkBytes, and adds their suffix to the extension', async () => {
    const store = getStore();
    const { run, squid } = await startRun(store);
    await push(store, run.id, Array.from({ length: 50 }, (_, i) => JSON.stringify({ name: `row ${i}` })));
    const plain = (await exportCsv(store, run, squid)).bytes.toString('latin1');
    const expected = `${plain.toUpperCase()}#END\r\n`;
    for (const threadMinRows of [Number.POSITIVE_INFINITY, 0]) {
      const exported = openExport(store, run, squid, { format: 'csv', postprocess: [upperCase], chunkBytes: 64, threadMinRows });
      expect(exported.extension).toBe('csv.up');
      const chunks = await readChunks(exported.chunks);
      expect(Buffer.concat(chunks).toString('latin1')).toBe(expected);
      expect(chunks.slice(0, -1).every((chunk) => chunk.length === 64)).toBe(true);
      expect(exported.stats).toEqual({ rows: 50, bytes: expected.length });
    }
  });

  it('refuses a format it does not know', () => {
    const store = getStore();
    expect(() => openExport(store, {} as Run, {} as Squid, { format: 'nope' })).toThrow('no output format "nope"');
  });
});
