// The body cut into parts: copied into part buffers reused from a pool, or a lent chunk sent as
// its part as it is.
import type { BodyChunk } from './upload-body.js';

export interface Part {
  data: Buffer;
  last: boolean;
  /** Gives the part's memory back (to the pool, or to the body that lent it) once S3 has it. */
  release(): void;
}

export interface PartReader {
  next(): Promise<Part>;
  /** Bytes read from the body so far. */
  bytes(): number;
}

export interface BufferPool {
  take(): Buffer;
  give(buffer: Buffer): void;
}

/** Part buffers, reused: outside the V8 heap and never garbage while the upload runs. */
export function createBufferPool(size: number): BufferPool {
  const free: Buffer[] = [];
  return {
    take: () => free.pop() ?? Buffer.allocUnsafeSlow(size),
    give: (buffer) => void free.push(buffer),
  };
}

/**
 * The body cut into parts of exactly `partSize` bytes, the last one shorter (or empty for an
 * empty body). A full part is handed out only once more bytes follow it, so `last` is known.
 */
export function readParts(chunks: AsyncIterator<BodyChunk>, partSize: number, pool: BufferPool): PartReader {
  let total = 0;
  /** The chunk being cut into parts, from `offset`; null before the first and after the last. */
  let pending: BodyChunk | null = null;
  let offset = 0;
  let ended = false;
  /** The next chunk that has bytes (empty ones are released at once), or null at the end. */
  const readChunk = async (): Promise<BodyChunk | null> => {
    while (!ended) {
      const next = await chunks.next();
      if (next.done === true) break;
      total += next.value.data.length;
      if (next.value.data.length > 0) return next.value;
      next.value.release?.();
    }
    ended = true;
    return null;
  };
  const advance = async (): Promise<void> => {
    pending?.release?.();
    pending = await readChunk();
    offset = 0;
  };
  const pooled = (buffer: Buffer, length: number, last: boolean): Part => ({
    data: length === buffer.length ? buffer : buffer.subarray(0, length),
    last,
    release: () => pool.give(buffer),
  });
  return {
    bytes: () => total,
    async next() {
      if (pending === null) await advance();
      let filled = 0;
      const lent = pending;
      let buffer: Buffer;
      if (lent?.release != null && offset === 0 && lent.data.length <= partSize) {
        // Sent as it is when it is a whole part, or the body's last chunk.
        pending = await readChunk();
        if (pending === null || lent.data.length === partSize) return { data: lent.data, last: pending === null, release: lent.release };
        buffer = pool.take();
        filled = lent.data.copy(buffer);
        lent.release();
      } else {
        buffer = pool.take();
      }
      for (;;) {
        if (pending === null) return pooled(buffer, filled, true);
        if (filled === partSize) return pooled(buffer, filled, false);
        const copied = pending.data.copy(buffer, filled, offset, Math.min(pending.data.length, offset + partSize - filled));
        filled += copied;
        offset += copied;
        if (offset === pending.data.length) await advance();
      }
    },
  };
}
