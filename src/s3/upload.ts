// Streams one object into a bucket: a body that fits in one part is one PutObject, a larger one
// a multipart upload of `partSizeBytes` parts with `queueSize` in flight. The body's chunks are
// copied once, into part buffers that are reused as soon as their part is stored, so memory is
// partSize x (queueSize + 1) whatever the body's size, and no garbage part buffers pile up
// waiting for a GC (lib-storage's Upload concatenated a fresh buffer per part). On any failure
// the multipart upload is aborted, so nothing partial is visible and no upload stays open.
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
 * The object's bytes: a stream, or chunks that the uploader has copied before it asks for the
 * next one (such a body may reuse a chunk's memory from then on).
 */
export type UploadBody = Readable | AsyncIterable<Buffer>;

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
    return (await client.send(put)).ETag ?? '';
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
  /** Gives the part's buffer back to the pool once S3 has it. */
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

/**
 * The body cut into parts of exactly `partSize` bytes, the last one shorter (or empty for an
 * empty body). A full part is handed out only once more bytes follow it, so `last` is known.
 */
function readParts(chunks: AsyncIterator<Buffer | string>, partSize: number, pool: BufferPool): PartReader {
  let total = 0;
  let pending: Buffer | null = null;
  let pendingOffset = 0;
  let ended = false;
  const toPart = (buffer: Buffer, length: number, last: boolean): Part => ({
    data: length === buffer.length ? buffer : buffer.subarray(0, length),
    last,
    release: () => pool.give(buffer),
  });
  return {
    bytes: () => total,
    async next() {
      const buffer = pool.take();
      let filled = 0;
      for (;;) {
        if (pending !== null) {
          if (filled === partSize) return toPart(buffer, filled, false);
          const copied = pending.copy(buffer, filled, pendingOffset, Math.min(pending.length, pendingOffset + partSize - filled));
          filled += copied;
          pendingOffset += copied;
          if (pendingOffset === pending.length) pending = null;
          continue;
        }
        const next = ended ? null : await chunks.next();
        if (next === null || next.done === true) {
          ended = true;
          return toPart(buffer, filled, true);
        }
        const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
        total += chunk.length;
        pending = chunk.length === 0 ? null : chunk;
        pendingOffset = 0;
      }
    },
  };
}

interface WatchedBody {
  /** The body's chunks; each is copied before the next is asked for. */
  chunks: AsyncIterator<Buffer | string>;
  /** Stops reading the body; answers the body's own error if it failed before this call. */
  release(): unknown;
  stopWatching(): void;
}

/**
 * Remembers the body's own failure apart from S3's, and stops the body when the signal aborts
 * (a stream is destroyed; other chunks are ended when the upload lets go of them).
 */
function watchBody(body: UploadBody, signal: AbortSignal | undefined): WatchedBody {
  return body instanceof Readable ? watchStream(body, signal) : watchChunks(body);
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
  return {
    chunks: (body as AsyncIterable<Buffer | string>)[Symbol.asyncIterator](),
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

function watchChunks(body: AsyncIterable<Buffer>): WatchedBody {
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
          if (result.done === true) finished = true;
          return result;
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
