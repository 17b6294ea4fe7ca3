// The parse thread's own behaviour: how far ahead it reads a body, sessions side by side, a
// consumer that stops early, a thread that stops. (ndjson-rows.test.ts runs every parsing case
// on it too.)
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/app-error.js';
import type { ParsedBatch, RowParseOptions } from '../../src/ingest/ndjson-rows.js';
import { createNdjsonParseThread, MAX_UNPARSED_BYTES, type NdjsonParseThread } from '../../src/ingest/threaded-ndjson-rows.js';
import { pollUntil } from '../helpers/poll-until.js';

const NOW_MS = Date.UTC(2025, 0, 2, 3, 4, 5);
const options: RowParseOptions = { maxRowBytes: 4096, batchRows: 100, now: () => NOW_MS };

/** A body of `rowCount` rows (or endless), in chunks of 16 rows; counts the bytes pulled from it. */
function createBody(rowCount = Number.POSITIVE_INFINITY, tag = 'a'): { chunks: AsyncGenerator<Buffer>; pulledBytes(): number; returned(): boolean } {
  let pulled = 0;
  let returned = false;
  async function* generate(): AsyncGenerator<Buffer> {
    try {
      for (let n = 0; n < rowCount; n += 16) {
        let text = '';
        for (let k = n; k < Math.min(n + 16, rowCount); k++) text += `{"tag":"${tag}","n":${k},"pad":"${'x'.repeat(200)}"}\n`;
        const chunk = Buffer.from(text);
        pulled += chunk.length;
        yield chunk;
      }
    } finally {
      returned = true;
    }
  }
  return { chunks: generate(), pulledBytes: () => pulled, returned: () => returned };
}

async function collectRows(batches: AsyncIterable<ParsedBatch>): Promise<string[]> {
  const rows: string[] = [];
  for await (const batch of batches) for (const row of batch.rows) rows.push(row.data);
  return rows;
}

describe('the NDJSON parse thread', () => {
  let thread: NdjsonParseThread;
  afterEach(async () => {
    await thread.close();
  });

  it('reads the body no further ahead of the rows handed out than its limit', async () => {
    thread = createNdjsonParseThread();
    const body = createBody();
    let handedOutBytes = 0;
    for await (const batch of thread.parse(body.chunks, options)) {
      // Each row is its bytes and an LF in the body.
      for (const row of batch.rows) handedOutBytes += (row.dataBytes?.length ?? Buffer.byteLength(row.data)) + 1;
      // What the thread may hold: the limit, the last chunk sent, the rows of a batch in the making.
      expect(body.pulledBytes() - handedOutBytes).toBeLessThanOrEqual(MAX_UNPARSED_BYTES + 2 * options.batchRows * 240);
      if (handedOutBytes > 4 * MAX_UNPARSED_BYTES) break;
    }
    expect(body.returned()).toBe(true);
  });

  it('takes each released batch buffer back and packs later batches into it, whole', async () => {
    thread = createNdjsonParseThread();
    const numbers: number[] = [];
    for await (const batch of thread.parse(createBody(3000).chunks, options)) {
      for (const row of batch.rows) numbers.push((JSON.parse(row.data) as { n: number }).n);
      const first = batch.rows[0]!;
      batch.release?.();
      // Transferred back to the thread: this side's views of it are empty.
      expect(first.dataBytes?.length).toBe(0);
    }
    expect(numbers).toEqual(Array.from({ length: 3000 }, (_, n) => n));
  });

  it('parses bodies side by side, each into its own rows', async () => {
    thread = createNdjsonParseThread();
    const [a, b] = await Promise.all([collectRows(thread.parse(createBody(1000, 'a').chunks, options)), collectRows(thread.parse(createBody(700, 'b').chunks, options))]);
    expect(a).toHaveLength(1000);
    expect(b).toHaveLength(700);
    expect(a.every((row) => row.startsWith('{"tag":"a"'))).toBe(true);
    expect(b.every((row) => row.startsWith('{"tag":"b"'))).toBe(true);
    expect(JSON.parse(b[699]!)).toMatchObject({ n: 699 });
  });

  it('goes on serving other bodies after a consumer stopped early or a body was rejected', async () => {
    thread = createNdjsonParseThread();
    const endless = createBody();
    for await (const batch of thread.parse(endless.chunks, options)) {
      expect(batch.rows).toHaveLength(options.batchRows);
      break;
    }
    expect(endless.returned()).toBe(true);
    async function* bad(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"a":1}\n{"a":2,"run":3}\n');
    }
    const rejected = await collectRows(thread.parse(bad(), options)).catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(AppError);
    expect((rejected as AppError).message).toContain('line 2: the key "run" is reserved');
    expect(await collectRows(thread.parse(createBody(50).chunks, options))).toHaveLength(50);
  });

  it('fails a parse in progress when the thread is closed, and starts a new thread for the next', async () => {
    thread = createNdjsonParseThread();
    const parsing = thread.parse(createBody().chunks, options);
    await parsing.next();
    await thread.close();
    await expect(collectRows(parsing)).rejects.toThrow('the NDJSON parse thread was closed');
    expect(await collectRows(thread.parse(createBody(20).chunks, options))).toHaveLength(20);
  });

  it('stops when it has had nothing to parse for a while, and starts again when it has', async () => {
    thread = createNdjsonParseThread();
    expect(thread.running).toBe(false);
    expect(await collectRows(thread.parse(createBody(20).chunks, options))).toHaveLength(20);
    expect(thread.running).toBe(true);
    await pollUntil(() => !thread.running, { timeoutMs: 10_000, what: 'the idle thread to stop' });
    expect(await collectRows(thread.parse(createBody(30).chunks, options))).toHaveLength(30);
  });
});
