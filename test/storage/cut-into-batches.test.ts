// The PostgreSQL export thread's COPY stream, cut anywhere by the network, into batches of rows.
import { describe, expect, it } from 'vitest';
import { cutIntoBatches } from '../../src/storage/postgres/result-texts-thread-reader.js';

async function* chunksOf(bytes: Buffer, sizes: readonly number[]): AsyncGenerator<Buffer> {
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

async function collect(chunks: AsyncIterable<Buffer>, batchSize: number) {
  const batches: Array<{ rowCount: number; text: string }> = [];
  for await (const batch of cutIntoBatches(chunks, batchSize)) batches.push({ rowCount: batch.rowCount, text: batch.texts.toString('utf8') });
  return batches;
}

describe('cutIntoBatches', () => {
  const rows = Array.from({ length: 23 }, (_, i) => `{"i":${i},"s":"${'é'.repeat(i)}"}`);
  const bytes = Buffer.from(rows.map((row) => `${row}\n`).join(''), 'utf8');

  for (const sizes of [[1], [7, 3, 50], [bytes.length], [64, 1, 1, 200]]) {
    it(`gives whole rows, batchSize at a time, whatever the chunks (${sizes.join(',')})`, async () => {
      const batches = await collect(chunksOf(bytes, sizes), 5);
      expect(batches.map((batch) => batch.rowCount)).toEqual([5, 5, 5, 5, 3]);
      expect(batches.map((batch) => batch.text).join('')).toBe(bytes.toString('utf8'));
      for (const [index, batch] of batches.entries()) expect(batch.text).toBe(rows.slice(index * 5, index * 5 + 5).map((row) => `${row}\n`).join(''));
    });
  }

  it('gives nothing for no rows, and fails on a stream that ends inside a row', async () => {
    expect(await collect(chunksOf(Buffer.alloc(0), [1]), 5)).toEqual([]);
    await expect(collect(chunksOf(Buffer.from('{"a":1}'), [3]), 5)).rejects.toThrow('ended inside a row');
  });
});
