// Aborting multipart uploads that earlier attempts left open (a process killed mid-upload, an
// abort that failed during an outage): their parts are stored, and billed, until someone aborts
// them. The ids an attempt recorded are aborted; with `listKey`, so is every other upload open
// under that exact key that ListMultipartUploads shows (an attempt killed between creating an
// upload and recording it). NoSuchUpload means already gone, which is what was wanted.
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { isNoSuchUpload } from './classify.js';
import { createS3Client } from './client.js';
import type { S3Target } from './s3-target.js';

/** What an attempt records about a multipart upload it opened: no secrets. */
export interface UploadRef {
  bucket: string;
  key: string;
  uploadId: string;
  /** The endpoint it was opened at (null: AWS), for an operator reading the record. */
  endpoint: string | null;
}

export function renderUploadRef(ref: UploadRef): string {
  return JSON.stringify({ kind: 's3.multipart', bucket: ref.bucket, key: ref.key, uploadId: ref.uploadId, endpoint: ref.endpoint });
}

/** null for a ref this code did not write. */
export function parseUploadRef(text: string): UploadRef | null {
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    const { bucket, key, uploadId, endpoint } = value;
    if (value.kind !== 's3.multipart' || typeof bucket !== 'string' || typeof key !== 'string' || typeof uploadId !== 'string') return null;
    return { bucket, key, uploadId, endpoint: typeof endpoint === 'string' ? endpoint : null };
  } catch {
    // Not JSON: not a ref of ours, which the caller reports as unreadable.
    return null;
  }
}

export interface AbortLeftoversInput {
  target: S3Target;
  refs: readonly UploadRef[];
  /** Also abort every upload open under this key (only while no other attempt may be writing it). */
  listKey: string | null;
  requestTimeoutMs: number;
  signal: AbortSignal;
  logger: Logger;
}

/** Returns the upload ids now closed (aborted, or already gone); failures are logged and left. */
export async function abortLeftoverUploads(input: AbortLeftoversInput): Promise<Set<string>> {
  const closed = new Set<string>();
  const client = await createS3Client(input.target, { requestTimeoutMs: input.requestTimeoutMs, signal: input.signal });
  try {
    const uploads = input.refs.map((ref) => ({ key: ref.key, uploadId: ref.uploadId, bucket: ref.bucket }));
    if (input.listKey !== null) {
      const listed = await listUploadIds(client, input.target.bucket, input.listKey, input.logger);
      for (const uploadId of listed) {
        if (!uploads.some((upload) => upload.uploadId === uploadId)) uploads.push({ key: input.listKey, uploadId, bucket: input.target.bucket });
      }
    }
    for (const upload of uploads) {
      if (input.signal.aborted) break;
      try {
        await client.send(new AbortMultipartUploadCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId }));
        closed.add(upload.uploadId);
      } catch (error) {
        if (isNoSuchUpload(error)) {
          closed.add(upload.uploadId);
          continue;
        }
        input.logger.warn({ event: 's3.upload.abort_failed', key: upload.key, uploadId: upload.uploadId, err: error }, 's3.upload.abort_failed');
      }
    }
  } finally {
    client.destroy();
  }
  if (closed.size > 0) input.logger.info({ event: 's3.leftover_uploads.aborted', uploads: closed.size }, 's3.leftover_uploads.aborted');
  return closed;
}

/**
 * The ids of the uploads open under exactly `key` (a prefix lists longer keys too, and some
 * stores ignore the prefix). A store without ListMultipartUploads (or that refuses it) gives
 * none, logged: the recorded ids are still aborted.
 */
async function listUploadIds(client: S3Client, bucket: string, key: string, logger: Logger): Promise<string[]> {
  const ids: string[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  try {
    do {
      const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      for (const upload of page.Uploads ?? []) {
        if (upload.Key === key && upload.UploadId !== undefined) ids.push(upload.UploadId);
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
  } catch (error) {
    logger.info({ event: 's3.uploads.list_failed', key, err: error }, 's3.uploads.list_failed');
  }
  return ids;
}
