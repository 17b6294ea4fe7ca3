// The binary COPY data of one text column, cut anywhere, into the store's batches.
import { describe, expect, it } from 'vitest';
import { createBinaryCopyBatches, type BinaryCopyBatches } from '../../src/storage/postgres/binary-copy-batches.js';
import type { ResultTextBatch } from '../../src/storage/store.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

function int16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeInt16BE(value);
  return bytes;
}

function int32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
}

/** What PostgreSQL sends for `COPY (select text) TO STDOUT (FORMAT binary)`, as its docs lay it out. */
function binaryCopy(texts: readonly string[], options: { extension?: Buffer; flags?: number } = {}): Buffer {
  const extension = options.extension ?? Buffer.alloc(0);
  const rows = texts.map((text) => {
    const bytes = Buffer.from(text, 'utf8');
    return Buffer.concat([int16(1), int32(bytes.length), bytes]);
  });
  return Buffer.concat([SIGNATURE, int32(options.flags ?? 0), int32(extension.length), extension, ...rows, int16(-1)]);
}

/** Writes `bytes[start, end)` whole: write() stops after each batch it completes. */
function writeAll(decoder: BinaryCopyBatches, bytes: Buffer, start: number, end: number): void {
  for (let at = start; at < end; ) at = decoder.write(bytes, at, end);
}

/** Decodes `bytes` written in pieces of the given sizes (cycled); every batch copied out at once. */
function decode(bytes: Buffer, batchSize: number, sizes: readonly number[] = [bytes.length]) {
  const batches: Array<{ rowCount: number; text: string }> = [];
  const decoder = createBinaryCopyBatches(batchSize, (batch) => {
    batches.push({ rowCount: batch.rowCount, text: batch.texts.toString('utf8') });
    batch.release?.();
  });
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    // Written from inside a larger buffer, as a socket chunk holds the data among other bytes.
    const chunk = Buffer.concat([Buffer.from('xx'), bytes.subarray(at, at + size), Buffer.from('yy')]);
    writeAll(decoder, chunk, 2, chunk.length - 2);
    at += size;
  }
  decoder.end();
  return batches;
}

describe('createBinaryCopyBatches', () => {
  const texts = Array.from({ length: 23 }, (_, i) => `{"i":${i},"s":"${'é'.repeat(i)}","q":"a\\"b\\\\n"}`);
  const expected = (from: number, to: number) => texts.slice(from, to).map((text) => `${text}\n`).join('');

  it('gives whole rows, each followed by LF, batchSize at a time, however the bytes are cut', () => {
    const bytes = binaryCopy(texts);
    for (const sizes of [[bytes.length], [1], [2, 3], [7, 1, 50], [19, 2, 4], [64, 1, 1, 200]]) {
      const batches = decode(bytes, 5, sizes);
      expect(batches.map((batch) => batch.rowCount)).toEqual([5, 5, 5, 5, 3]);
      for (const [index, batch] of batches.entries()) expect(batch.text).toBe(expected(index * 5, index * 5 + 5));
    }
  });

  it('cut at every single position gives the same batches', () => {
    const bytes = binaryCopy(texts.slice(0, 4), { extension: Buffer.from('ext') });
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(decode(bytes, 3, [cut, bytes.length])).toEqual([
        { rowCount: 3, text: expected(0, 3) },
        { rowCount: 1, text: expected(3, 4) },
      ]);
    }
  });

  it('gives nothing for no rows, and an empty text as an empty line', () => {
    expect(decode(binaryCopy([]), 5)).toEqual([]);
    expect(decode(binaryCopy(['', '{}', '']), 2)).toEqual([
      { rowCount: 2, text: '\n{}\n' },
      { rowCount: 1, text: '\n' },
    ]);
  });

  it('grows a batch for rows larger than its buffer', () => {
    const large = ['{"a":"' + 'x'.repeat(3 * 1024 * 1024) + '"}', '{"b":1}', '{"c":"' + 'y'.repeat(5 * 1024 * 1024) + '"}'];
    const batches = decode(binaryCopy(large), 2, [100_000]);
    expect(batches.map((batch) => batch.text)).toEqual([`${large[0]}\n${large[1]}\n`, `${large[2]}\n`]);
  });

  it('reuses a released batch\'s memory for a later batch, and never the memory of one still held', () => {
    const held: ResultTextBatch[] = [];
    const seen: string[] = [];
    const decoder = createBinaryCopyBatches(2, (batch) => {
      held.push(batch);
      seen.push(batch.texts.toString('utf8'));
    });
    const bytes = binaryCopy(texts.slice(0, 12));
    writeAll(decoder, bytes, 0, bytes.length);
    decoder.end();
    // Nothing released: six batches in six distinct buffers, each still holding its rows.
    expect(new Set(held.map((batch) => batch.texts.buffer)).size).toBe(6);
    expect(held.map((batch) => batch.texts.toString('utf8'))).toEqual(seen);

    const reused: ResultTextBatch[] = [];
    const again = createBinaryCopyBatches(2, (batch) => {
      reused.push(batch);
      expect(batch.texts.toString('utf8')).toBe(expected((reused.length - 1) * 2, reused.length * 2));
      batch.release?.();
      batch.release?.();
    });
    writeAll(again, bytes, 0, bytes.length);
    again.end();
    expect(new Set(reused.map((batch) => batch.texts.buffer)).size).toBe(2);
  });

  it('stops a write after the batch it completes, so the caller hands out one batch at a time', () => {
    const given: string[] = [];
    const decoder = createBinaryCopyBatches(5, (batch) => given.push(batch.texts.toString('utf8')));
    const bytes = binaryCopy(texts);
    const stops: number[] = [];
    for (let at = 0; at < bytes.length; ) {
      at = decoder.write(bytes, at, bytes.length);
      stops.push(at);
      // Never more than one batch out of a single write.
      expect(given.length).toBeGreaterThanOrEqual(stops.length - 1);
      expect(given.length).toBeLessThanOrEqual(stops.length);
    }
    decoder.end();
    // Four whole batches, then the rest of the bytes (three rows and the trailer) in one write.
    expect(stops.length).toBe(5);
    expect(stops.at(-1)).toBe(bytes.length);
    expect(given).toEqual([expected(0, 5), expected(5, 10), expected(10, 15), expected(15, 20), expected(20, 23)]);
  });

  it('refuses what is not the binary COPY of one text column', () => {
    const refuse = (bytes: Buffer) => () => decode(bytes, 5);
    expect(refuse(Buffer.from('{"a":1}\n'.repeat(4)))).toThrow('does not start with the binary COPY signature');
    expect(refuse(binaryCopy(['{}'], { flags: 1 << 16 }))).toThrow('carries OIDs');
    expect(refuse(Buffer.concat([SIGNATURE, int32(0), int32(0), int16(2), int32(2), Buffer.from('{}'), int32(1), Buffer.from('1'), int16(-1)]))).toThrow(
      'has 2 fields where 1 was asked for',
    );
    expect(refuse(Buffer.concat([SIGNATURE, int32(0), int32(0), int16(1), int32(-1), int16(-1)]))).toThrow('NULL where a text was asked for');
    expect(refuse(Buffer.concat([binaryCopy(['{}']), Buffer.from([0])]))).toThrow('goes on after its trailer');
    const complete = binaryCopy(['{"a":1}']);
    for (const end of [0, 10, SIGNATURE.length + 8, complete.length - 4, complete.length - 2]) {
      expect(refuse(complete.subarray(0, end))).toThrow('ended before its trailer');
    }
  });
});
