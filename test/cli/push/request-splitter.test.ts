import { describe, expect, it } from 'vitest';
import { createRequestSplitter, type BodyCounts, type RequestLimits } from '../../../src/cli/push/request-splitter.js';

async function* chunksOf(...parts: string[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.from(part);
}

/** Every request body the splitter makes, as text, with its counted rows. */
async function split(parts: string[], limits: RequestLimits): Promise<Array<{ text: string; rows: number; bytes: number }>> {
  const splitter = createRequestSplitter(chunksOf(...parts), limits);
  const bodies = [];
  while (await splitter.hasMore()) {
    const counts: BodyCounts = { rows: 0, bytes: 0 };
    const pieces: Buffer[] = [];
    for await (const piece of splitter.nextBody(counts)) pieces.push(piece);
    bodies.push({ text: Buffer.concat(pieces).toString(), rows: counts.rows, bytes: counts.bytes });
  }
  return bodies;
}

const BIG = { maxRows: 1000, maxBytes: 1 << 20 };

describe('createRequestSplitter', () => {
  it('makes no request for an empty source', async () => {
    expect(await split([], BIG)).toEqual([]);
    expect(await split(['', ''], BIG)).toEqual([]);
  });

  it('keeps a small file in one request, whatever the chunking', async () => {
    expect(await split(['{"a":1}\n{"a"', ':2}\n'], BIG)).toEqual([{ text: '{"a":1}\n{"a":2}\n', rows: 2, bytes: 16 }]);
  });

  it('cuts after maxRows lines, at line boundaries inside and across chunks', async () => {
    const bodies = await split(['1\n2\n3', '\n4\n5\n'], { maxRows: 2, maxBytes: 1 << 20 });
    expect(bodies.map((body) => body.text)).toEqual(['1\n2\n', '3\n4\n', '5\n']);
    expect(bodies.map((body) => body.rows)).toEqual([2, 2, 1]);
  });

  it('ends a request at the first line end at or past maxBytes', async () => {
    const bodies = await split(['aaaa\nbbbb\ncc', 'cc\ndd\n'], { maxRows: 1000, maxBytes: 7 });
    expect(bodies.map((body) => body.text)).toEqual(['aaaa\nbbbb\n', 'cccc\ndd\n']);
  });

  it('counts a last line without a newline as a row', async () => {
    const bodies = await split(['1\n2\n', '3'], { maxRows: 2, maxBytes: 1 << 20 });
    expect(bodies).toEqual([
      { text: '1\n2\n', rows: 2, bytes: 4 },
      { text: '3', rows: 1, bytes: 1 },
    ]);
  });

  it('reports the counts after each chunk', async () => {
    const splitter = createRequestSplitter(chunksOf('1\n2\n', '3\n'), BIG);
    const seen: BodyCounts[] = [];
    const counts: BodyCounts = { rows: 0, bytes: 0 };
    for await (const piece of splitter.nextBody(counts, (now) => seen.push({ ...now }))) expect(piece.length).toBeGreaterThan(0);
    expect(seen).toEqual([{ rows: 2, bytes: 4 }, { rows: 3, bytes: 6 }]);
  });
});
