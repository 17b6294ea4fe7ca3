// Bodies and polling shared by the s3/ tests.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { S3Target } from '../../../src/channels/s3/s3-target.js';
import type { LentChunk, UploadBody, UploadObjectInput } from '../../../src/channels/s3/upload.js';

export const MIB = 1024 * 1024;
/** S3's minimum part size, so a 12 MiB body needs three parts. */
export const PART_SIZE_BYTES = 5 * MIB;

export function uploadInput(target: S3Target, key: string, body: UploadBody, extra: Partial<UploadObjectInput> = {}): UploadObjectInput {
  return {
    target,
    key,
    body,
    contentType: 'text/csv; charset=utf-8',
    metadata: { 'squidship-run-id': 'run1' },
    partSizeBytes: PART_SIZE_BYTES,
    queueSize: 4,
    requestTimeoutMs: 10_000,
    ...extra,
  };
}

/** Random bytes, handed out in uneven chunks like a CSV writer would. */
export function randomBody(bytes: number): { data: Buffer; stream: () => Readable } {
  const data = randomBytes(bytes);
  return {
    data,
    stream: () => Readable.from(chunksOf(data, 700_001)),
  };
}

function* chunksOf(data: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

/**
 * `data` as chunks that all share one buffer, rewritten for each chunk: the body the export
 * hands an upload. `ended` tells whether the generator's clean-up ran.
 */
export function reusedBufferBody(data: Buffer, chunkBytes: number, failAfterBytes = Number.POSITIVE_INFINITY) {
  const state = { ended: false };
  async function* generate(): AsyncGenerator<Buffer> {
    const shared = Buffer.alloc(chunkBytes);
    try {
      for (let offset = 0; offset < data.length; offset += chunkBytes) {
        if (offset >= failAfterBytes) throw new Error('the export thread stopped');
        const length = data.copy(shared, 0, offset, offset + chunkBytes);
        yield shared.subarray(0, length);
        // Asked for the next chunk: the uploader is done with this one. Scribbled over, as
        // the export's next batch would, so a chunk read after this point shows.
        shared.fill(0x21);
      }
    } finally {
      state.ended = true;
    }
  }
  return { chunks: generate(), state };
}

/** `bytes` of data, then the stream fails, as an export that loses its database would. */
export function failingBody(bytes: number, message = 'the database went away'): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    yield* chunksOf(randomBytes(bytes), MIB);
    throw new Error(message);
  }
  return Readable.from(generate());
}

/** `bytes` of data, then nothing more, ever: for aborting an upload in the middle. */
export function endlessBody(bytes: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(randomBytes(bytes));
      }
    },
  });
}

/** The rejection of `promise`, or a failure when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a result');
}

/**
 * `data` as lent chunks of `chunkBytes` (the last one less), each in memory of its own that its
 * release() scribbles over, as the export thread would refill a slot: a part sent after its
 * chunk's release shows. Counts releases, and the most chunks held unreleased at once.
 */
export function lentBody(data: Buffer, chunkBytes: number, failAfterBytes = Number.POSITIVE_INFINITY) {
  const state = { lent: 0, released: 0, doubleReleases: 0, maxHeld: 0, ended: false };
  async function* generate(): AsyncGenerator<LentChunk> {
    try {
      for (let offset = 0; offset < data.length; offset += chunkBytes) {
        if (offset >= failAfterBytes) throw new Error('the export thread stopped');
        const chunk = Buffer.from(data.subarray(offset, offset + chunkBytes));
        let released = false;
        state.lent += 1;
        state.maxHeld = Math.max(state.maxHeld, state.lent - state.released);
        yield {
          data: chunk,
          release() {
            if (released) state.doubleReleases += 1;
            released = true;
            state.released += 1;
            chunk.fill(0x21);
          },
        };
      }
    } finally {
      state.ended = true;
    }
  }
  return { body: { lent: generate() }, state };
}
