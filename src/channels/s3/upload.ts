// Streams one object into a bucket: a body that fits in one part is one PutObject, a larger one
// a multipart upload of `partSizeBytes` parts with `queueSize` in flight. A body's chunks are
// copied once, into part buffers that are reused as soon as their part is stored, so memory is
// partSize x (queueSize + 1) whatever the body's size, and no garbage part buffers pile up
// waiting for a GC (lib-storage's Upload concatenated a fresh buffer per part). A body that lends
// its chunks (LentChunks) and cuts them to the part size is sent without any copy: each chunk is
// a part, released once S3 has stored it. On any failure the multipart upload is aborted, so
// nothing partial is visible and no upload stays open; the upload's id is recorded (when the
// caller asks) from its creation until it is closed, so that one a crash leaves open is found.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { classifyBodyError, classifyS3Error, isNoSuchUpload, S3OperationError, type S3ErrorContext } from './classify.js';
import { createS3Client } from './client.js';
import type { S3Target } from './s3-target.js';
import { watchBody, type UploadBody } from './upload-body.js';
import { createBufferPool, readParts, type Part, type PartReader } from './upload-parts.js';

export type { LentChunk, LentChunks, UploadBody } from './upload-body.js';

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
  /**
   * Called with a new multipart upload's id before any part is sent, to record it durably where
   * a later attempt finds it if this process dies (a failure here aborts the upload). The
   * record's forget() is called once the upload is completed or aborted; an upload whose abort
   * failed (an outage) stays recorded.
   */
  recordMultipartUpload?(uploadId: string): Promise<{ forget(): Promise<void> }>;
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
  let record: { forget(): Promise<void> } | undefined;
  try {
    record = await input.recordMultipartUpload?.(uploadId);
    const completed = await sendMultipartParts(client, { ...params, UploadId: uploadId }, first, parts, input.queueSize);
    const output = await client.send(new CompleteMultipartUploadCommand({ ...params, UploadId: uploadId, MultipartUpload: { Parts: completed } }));
    await record?.forget();
    return output.ETag ?? '';
  } catch (error) {
    // In-flight parts have settled (sendMultipartParts waits for them), so none lands after this.
    // Left recorded when the abort failed: the job's next attempt, or the sweep, aborts it.
    if (await abortUpload(client, { ...params, UploadId: uploadId }, error)) await record?.forget();
    throw error;
  }
}

/** true when the upload is gone; an abort's own failure becomes the upload error's cause. */
async function abortUpload(client: S3Client, params: PartParams, error: unknown): Promise<boolean> {
  try {
    await client.send(new AbortMultipartUploadCommand(params));
    return true;
  } catch (abortError) {
    if (error instanceof Error && error.cause === undefined) error.cause = abortError;
    return isNoSuchUpload(abortError);
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
