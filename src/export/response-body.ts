// A run's export as an HTTP response body (the download), started before anything is sent.
// Once a status line has gone out, a failure can only cut the body; so the first bytes are read
// first, and a failure there (a stored row that cannot be read, rows gone with their squid)
// is still an error answer. A file smaller than those first bytes, most runs, is read whole, so
// every failure of it comes before the status line.
import { Readable } from 'node:stream';
import type { ExportStream, LentChunk } from './pipeline.js';

export type ResponseBody =
  /** The whole file, read before anything was sent. */
  | { complete: true; bytes: Buffer }
  /** The file's first bytes then the rest, as copies; a failure after the start errors the stream. */
  | { complete: false; stream: Readable };

/** Reads `headBytes` of the export (or all of it, if less) and throws what that reading throws. */
export async function startResponseBody(exported: ExportStream, headBytes: number): Promise<ResponseBody> {
  const chunks = exported.chunks[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  while (headLength < headBytes) {
    const next = await chunks.next();
    if (next.done === true) return { complete: true, bytes: Buffer.concat(head) };
    headLength += next.value.data.length;
    head.push(copyOf(next.value));
  }
  return { complete: false, stream: createRestStream(head, chunks) };
}

/** The export's bytes as a Readable of copies, read as it is read (nothing ahead). */
export function toByteStream(exported: ExportStream): Readable {
  return createRestStream([], exported.chunks[Symbol.asyncIterator]());
}

/** The head, then the export's remaining chunks; destroying it (a client gone) ends the export. */
function createRestStream(head: Buffer[], chunks: AsyncIterator<LentChunk>): Readable {
  return new Readable({
    read() {
      if (head.length > 0) {
        for (const bytes of head.splice(0)) this.push(bytes);
        return;
      }
      chunks.next().then(
        (next) => {
          if (next.done === true) this.push(null);
          else if (this.destroyed) next.value.release();
          else this.push(copyOf(next.value));
        },
        (error: unknown) => this.destroy(error as Error),
      );
    },
    destroy(error, callback) {
      // Runs the export's clean-up (its thread and store reads end); a no-op once it has ended.
      Promise.resolve(chunks.return?.()).then(
        () => callback(error),
        (cleanupError: unknown) => callback(error ?? (cleanupError as Error)),
      );
    },
  });
}

function copyOf(chunk: LentChunk): Buffer {
  const copy = Buffer.from(chunk.data);
  chunk.release();
  return copy;
}
