// Streams one object into a bucket: a body that fits in one part is one PutObject, a larger one
// a multipart upload of `partSizeBytes` parts with `queueSize` in flight. A body's chunks are
// copied once, into part buffers that are reused as soon as their part is stored, so memory is
// partSize x (queueSize + 1) whatever the body's size, and no garbage part buffers pile up
// waiting for a GC (lib-storage's Upload concatenated a fresh buffer per part). A body that lends
// its chunks (LentChunks) and cuts them to the part size is sent without any copy: each chunk is
// a part, released once S3 has stored it. On any failure the multipart upload is aborted, so
// nothing partial is visible and no upload stays open.
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { classifyBodyError, classifyS3Error, S3OperationError, type S3ErrorContext } from './classify.js';
import { createS3Client } from './client.js';
import type { S3Target } from './s3-target.js';

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

export interface UploadObjectInput {
  target: S3Target;
  key: string;
  body: UploadBody;
  contentType: string;
  /** User metadata (`x-amz-meta-*`); keys lower-case ASCII. */
  metadata: Record<string, string>;
  /** S3 requires at least 5 MiB for every part but the last, and allows at most 10,000 parts. */
  partSizeBytes: number;
  queueSize: number;
  requestTimeoutMs: number;
  /** Stops the upload: in-flight requests are cancelled and the multipart upload aborted. */
  signal?: AbortSignal;
}

export interface UploadObjectResult {
  etag: string;
  /** Bytes of the body that were uploaded. */
  bytes: number;
}

const MAX_PARTS = 10_000;

/**
 * Throws S3OperationError with the classified error (see classify.ts): permanent S3 refusals,
 * retryable throttling and broken connections, a body stream that failed, an abort.
 */
export async function uploadObject(input: UploadObjectInput): Promise<UploadObjectResult> {
  const { target } = input;
  const context: S3ErrorContext = {
    bucket: target.bucket,
    targetPath: parentPath(input.key),
    endpoint: target.endpoint,
    region: target.region,
  };
  const body = watchBody(input.body, input.signal);
  let client: S3Client | null = null;
  try {
    client = await createS3Client(target, { requestTimeoutMs: input.requestTimeoutMs, signal: input.signal });
    const parts = readParts(body.chunks, input.partSizeBytes, createBufferPool(input.partSizeBytes));
    const etag = await sendParts(client, input, parts);
    return { etag, bytes: parts.bytes() };
  } catch (error) {
    throw toOperationError(error, body.release(), input.signal, context);
  } finally {
    body.stopWatching();
    client?.destroy();
  }
}

/** One PutObject when the first part is also the last; else a multipart upload. */
async function sendParts(client: S3Client, input: UploadObjectInput, parts: PartReader): Promise<string> {
  const params = { Bucket: input.target.bucket, Key: input.key };
  const first = await parts.next();
  if (first.last) {
    const put = new PutObjectCommand({
      ...params,
      Body: first.data,
      ContentLength: first.data.length,
      ContentType: input.contentType,
      Metadata: input.metadata,
    });
    const etag = (await client.send(put)).ETag ?? '';
    first.release();
    return etag;
  }
  const created = await client.send(new CreateMultipartUploadCommand({ ...params, ContentType: input.contentType, Metadata: input.metadata }));
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new Error('CreateMultipartUpload answered without an UploadId');
  try {
    const completed = await sendMultipartParts(client, { ...params, UploadId: uploadId }, first, parts, input.queueSize);
    const output = await client.send(new CompleteMultipartUploadCommand({ ...params, UploadId: uploadId, MultipartUpload: { Parts: completed } }));
    return output.ETag ?? '';
  } catch (error) {
    // In-flight parts have settled (sendMultipartParts waits for them), so none lands after this.
    await client.send(new AbortMultipartUploadCommand({ ...params, UploadId: uploadId })).catch((abortError: unknown) => {
      if (error instanceof Error && error.cause === undefined) error.cause = abortError;
    });
    throw error;
  }
}

interface PartParams { Bucket: string; Key: string; UploadId: string }

/** Every part, `queueSize` in flight; waits for all of them before answering or throwing. */
async function sendMultipartParts(
  client: S3Client,
  params: PartParams,
  first: Part,
  parts: PartReader,
  queueSize: number,
): Promise<CompletedPart[]> {
  const completed: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  let part: Part = first;
  for (let partNumber = 1; failure === null; partNumber++) {
    if (partNumber > MAX_PARTS) throw new Error(`the body needs more than ${MAX_PARTS} parts of ${part.data.length} bytes`);
    const sending = sendPart(client, params, part, partNumber).then(
      (etag) => void (completed[partNumber - 1] = { PartNumber: partNumber, ETag: etag }),
      (error: unknown) => void (failure ??= { error }),
    );
    inFlight.add(sending);
    void sending.then(() => inFlight.delete(sending));
    if (part.last) break;
    if (inFlight.size >= queueSize) await Promise.race(inFlight);
    if (failure !== null) break;
    try {
      part = await parts.next();
    } catch (error) {
      failure ??= { error };
    }
  }
  await Promise.all(inFlight);
  if (failure !== null) throw (failure as { error: unknown }).error;
  return completed;
}

async function sendPart(client: S3Client, params: PartParams, part: Part, partNumber: number): Promise<string> {
  const output = await client.send(new UploadPartCommand({ ...params, PartNumber: partNumber, Body: part.data, ContentLength: part.data.length }));
  if (output.ETag === undefined) throw new Error(`UploadPart ${partNumber} answered without an ETag`);
  // Stored: its buffer takes the next part. A failed part's buffer is dropped, never reused.
  part.release();
  return output.ETag;
}

interface Part {
  data: Buffer;
  last: boolean;
  /** Gives the part's memory back (to the pool, or to the body that lent it) once S3 has it. */
  release(): void;
}

interface PartReader {
  next(): Promise<Part>;
  /** Bytes read from the body so far. */
  bytes(): number;
}

interface BufferPool {
  take(): Buffer;
  give(buffer: Buffer): void;
}

/** Part buffers, reused: outside the V8 heap and never garbage while the upload runs. */
function createBufferPool(size: number): BufferPool {
  const free: Buffer[] = [];
  return {
    take: () => free.pop() ?? Buffer.allocUnsafeSlow(size),
    give: (buffer) => void free.push(buffer),
  };
}

/** A chunk of the body: lent ones carry their release, others must be copied before the next is read. */
interface BodyChunk {
  data: Buffer;
  release: (() => void) | null;
}

/**
 * The body cut into parts of exactly `partSize` bytes, the last one shorter (or empty for an
 * empty body). A full part is handed out only once more bytes follow it, so `last` is known.
 */
function readParts(chunks: AsyncIterator<BodyChunk>, partSize: number, pool: BufferPool): PartReader {
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

interface WatchedBody {
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
function watchBody(body: UploadBody, signal: AbortSignal | undefined): WatchedBody {
  if (body instanceof Readable) return watchStream(body, signal);
  if ('lent' in body) return watchChunks(body.lent, (chunk) => ({ data: chunk.data, release: onceOnly(chunk.release.bind(chunk)) }));
  return watchChunks(body, (chunk) => ({ data: chunk, release: null }));
}

function onceOnly(release: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
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

function toOperationError(
  error: unknown,
  bodyError: unknown,
  signal: AbortSignal | undefined,
  context: S3ErrorContext,
): S3OperationError {
  // An abort surfaces as whichever request or stream noticed it first; report it as the abort.
  if (signal?.aborted) {
    const abortError = Object.assign(new Error('aborted'), { name: 'AbortError', cause: error });
    return new S3OperationError(classifyS3Error(abortError, context), error);
  }
  if (bodyError !== null) return new S3OperationError(classifyBodyError(bodyError), bodyError);
  return new S3OperationError(classifyS3Error(error, context), error);
}

/** The key's folder, for hints that name the permission (`arn:aws:s3:::bucket/folder/*`). */
function parentPath(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash === -1 ? '' : key.slice(0, slash);
}
