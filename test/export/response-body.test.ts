// The download's body over an export given as plain chunks: what it reads before answering,
// how a later failure reaches the stream, and that a body dropped midway ends the export.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ExportStream, LentChunk } from '../../src/export/pipeline.js';
import { startResponseBody } from '../../src/export/response-body.js';

interface ExportState {
  lent: number;
  released: number;
  /** The export's clean-up ran (its thread and store reads would end there). */
  ended: boolean;
}

/** An export of `chunks` chunks of `chunkBytes` bytes (byte i of chunk n is n), failing after `failAfter` chunks. */
function exportOf(chunks: number, chunkBytes: number, failAfter = Number.POSITIVE_INFINITY): { exported: ExportStream; state: ExportState } {
  const state: ExportState = { lent: 0, released: 0, ended: false };
  async function* generate(): AsyncGenerator<LentChunk> {
    try {
      for (let n = 0; n < chunks; n++) {
        if (n >= failAfter) throw new Error(`chunk ${n} failed`);
        state.lent += 1;
        yield { data: Buffer.alloc(chunkBytes, n), release: () => void (state.released += 1) };
      }
    } finally {
      state.ended = true;
    }
  }
  return { exported: { chunks: generate(), stats: { rows: 0, bytes: 0 }, contentType: 'text/csv', extension: 'csv' }, state };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('startResponseBody', () => {
  it('reads a file smaller than the head whole, before answering', async () => {
    const { exported, state } = exportOf(3, 10);
    const body = await startResponseBody(exported, 31);
    expect(body).toEqual({ complete: true, bytes: Buffer.concat([Buffer.alloc(10, 0), Buffer.alloc(10, 1), Buffer.alloc(10, 2)]) });
    expect(state).toEqual({ lent: 3, released: 3, ended: true });
  });

  it('throws a failure within the head, before anything could be sent', async () => {
    const { exported, state } = exportOf(10, 10, 2);
    await expect(startResponseBody(exported, 30)).rejects.toThrow('chunk 2 failed');
    expect(state.ended).toBe(true);
  });

  it('streams the head and then the rest of a larger file, the same bytes in order', async () => {
    const { exported, state } = exportOf(10, 10);
    const body = await startResponseBody(exported, 25);
    expect(body.complete).toBe(false);
    expect(state.lent).toBe(3); // the head, read ahead: nothing more until the stream is read
    const bytes = await readAll((body as { stream: NodeJS.ReadableStream }).stream);
    expect(bytes).toEqual(Buffer.concat(Array.from({ length: 10 }, (_, n) => Buffer.alloc(10, n))));
    expect(state).toEqual({ lent: 10, released: 10, ended: true });
  });

  it('errors the stream on a failure past the head', async () => {
    const { exported } = exportOf(10, 10, 5);
    const body = await startResponseBody(exported, 25);
    if (body.complete) throw new Error('expected a stream');
    await expect(readAll(body.stream)).rejects.toThrow('chunk 5 failed');
  });

  it('ends the export when the stream is destroyed midway (a client gone), releasing every chunk', async () => {
    const { exported, state } = exportOf(1000, 10);
    const body = await startResponseBody(exported, 25);
    if (body.complete) throw new Error('expected a stream');
    body.stream.once('data', () => body.stream.destroy());
    await once(body.stream, 'close');
    expect(state.ended).toBe(true);
    expect(state.lent).toBeLessThan(1000);
    expect(state.released).toBe(state.lent);
  });
});
