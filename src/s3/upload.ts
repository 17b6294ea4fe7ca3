// Streams one object into a bucket with lib-storage's Upload: a small body is one PutObject, a
// larger one a multipart upload of `partSizeBytes` parts, `queueSize` in flight. Memory stays
// near partSize x (queueSize + 1) whatever the body's size. On any failure the multipart upload
// is aborted, so nothing partial is visible under the key and no upload stays open.
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { classifyBodyError, classifyS3Error, S3OperationError, type S3ErrorContext } from './classify.js';
import { createS3Client } from './client.js';
import type { S3Target } from './s3-target.js';

export interface UploadObjectInput {
  target: S3Target;
  key: string;
  body: Readable;
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
  const body = countBody(input.body, input.signal);
  let client: S3Client | null = null;
  try {
    client = await createS3Client(target, { requestTimeoutMs: input.requestTimeoutMs, signal: input.signal });
    const upload = new Upload({
      client,
      params: {
        Bucket: target.bucket,
        Key: input.key,
        Body: body.stream,
        ContentType: input.contentType,
        Metadata: input.metadata,
      },
      partSize: input.partSizeBytes,
      queueSize: input.queueSize,
      // lib-storage then sends AbortMultipartUpload when a part, the body or Complete fails.
      leavePartsOnError: false,
    });
    const output = await upload.done();
    await body.finished;
    return { etag: output.ETag ?? '', bytes: body.bytes() };
  } catch (error) {
    const bodyFailure = await body.release();
    throw toOperationError(error, bodyFailure, input.signal, context);
  } finally {
    client?.destroy();
  }
}

interface CountedBody {
  /** What the upload reads: the body's bytes, counted. */
  stream: Transform;
  bytes(): number;
  finished: Promise<void>;
  /** Stops reading the body; answers the body's own error if it failed before this call. */
  release(): Promise<unknown>;
}

function countBody(body: Readable, signal: AbortSignal | undefined): CountedBody {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  // The body's own failure is remembered apart from S3's, so it is reported as what it is.
  let bodyError: unknown = null;
  body.on('error', (error: unknown) => {
    bodyError ??= error;
  });
  // Its rejection is recorded by the listener above, or is the S3 failure that stopped reading.
  const finished = pipeline(body, stream, { signal }).catch(() => undefined);
  return {
    stream,
    bytes: () => bytes,
    finished,
    async release() {
      // Read first: releasing the body errors it with a premature close, which is not its fault.
      const failure = bodyError;
      stream.destroy();
      await finished;
      return failure;
    },
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
