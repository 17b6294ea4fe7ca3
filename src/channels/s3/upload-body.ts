// What an upload reads: the body's chunks, each either copied by the uploader before it asks for
// the next one or lent to it until released, and the body's own failure kept apart from S3's.
import { Readable } from 'node:stream';

/**
 * The object's bytes: a stream; or chunks that the uploader has copied before it asks for the
 * next one (such a body may reuse a chunk's memory from then on); or lent chunks.
 */
export type UploadBody = Readable | AsyncIterable<Buffer> | LentChunks;

/** A chunk the uploader may keep, unchanged, until it calls release() (once). */
export interface LentChunk {
  data: Buffer;
  release(): void;
}

/**
 * Chunks lent to the uploader: one of exactly `partSizeBytes` that starts a part, or the body's
 * last one, is sent as its part as it is and released once stored; any other is copied into a
 * part buffer and released at once. A failed upload drops what it holds unreleased.
 */
export interface LentChunks {
  lent: AsyncIterable<LentChunk>;
}


/** A chunk of the body: lent ones carry their release, others must be copied before the next is read. */
export interface BodyChunk {
  data: Buffer;
  release: (() => void) | null;
}

export interface WatchedBody {
  /** The body's chunks; each is copied, or lent, before the next is asked for. */
  chunks: AsyncIterator<BodyChunk>;
  /** Stops reading the body; answers the body's own error if it failed before this call. */
  release(): unknown;
  stopWatching(): void;
}

/**
 * Remembers the body's own failure apart from S3's, and stops the body when the signal aborts
 * (a stream is destroyed; other chunks are ended when the upload lets go of them).
 */
export function watchBody(body: UploadBody, signal: AbortSignal | undefined): WatchedBody {
  if (body instanceof Readable) return watchStream(body, signal);
  // Released once each, by readParts or after the part is stored; a failed part's never.
  if ('lent' in body) return watchChunks(body.lent, (chunk) => ({ data: chunk.data, release: () => chunk.release() }));
  return watchChunks(body, (chunk) => ({ data: chunk, release: null }));
}

function toBodyChunk(chunk: Buffer | string): BodyChunk {
  return { data: typeof chunk === 'string' ? Buffer.from(chunk) : chunk, release: null };
}

function watchStream(body: Readable, signal: AbortSignal | undefined): WatchedBody {
  let bodyError: unknown = null;
  const onError = (error: unknown) => {
    bodyError ??= error;
  };
  const onAbort = () => body.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
  body.on('error', onError);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted === true) onAbort();
  const iterator = (body as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  return {
    chunks: {
      async next() {
        const result = await iterator.next();
        return result.done === true ? result : { value: toBodyChunk(result.value) };
      },
    },
    release() {
      // Read first: destroying the body now is not its fault.
      const failure = bodyError;
      body.destroy();
      return failure;
    },
    stopWatching() {
      signal?.removeEventListener('abort', onAbort);
      // Keeps a late error (after destroy) from being an uncaught 'error' event.
      body.removeListener('error', onError);
      body.on('error', () => undefined);
    },
  };
}

function watchChunks<T>(body: AsyncIterable<T>, toChunk: (chunk: T) => BodyChunk): WatchedBody {
  const iterator = body[Symbol.asyncIterator]();
  let bodyError: unknown = null;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    // Ends an iterator the upload let go of early, so that its clean-up runs. A failure of that
    // clean-up is kept as the body's; the upload has already failed for the reason it reports.
    iterator.return?.().catch((error: unknown) => {
      bodyError ??= error;
    });
  };
  return {
    chunks: {
      async next() {
        try {
          const result = await iterator.next();
          if (result.done === true) {
            finished = true;
            return { done: true, value: undefined };
          }
          return { value: toChunk(result.value) };
        } catch (error) {
          finished = true;
          bodyError ??= error;
          throw error;
        }
      },
    },
    release() {
      const failure = bodyError;
      finish();
      return failure;
    },
    stopWatching: finish,
  };
}
