// Reading a bucket back: what tests assert on and what the demo prints. Errors are classified
// like every other S3 call (S3OperationError).
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { classifyS3Error, S3OperationError } from './classify.js';
import { createS3Client } from './client.js';
import type { S3Target } from './s3-target.js';

const READ_TIMEOUT_MS = 30_000;

export interface StoredObject {
  body: Buffer;
  contentType?: string;
  /** User metadata, keys lower-case as S3 returns them. */
  metadata: Record<string, string>;
}

/** Every key under `prefix` (all pages), in S3's order. */
export async function listObjectKeys(target: S3Target, prefix = ''): Promise<string[]> {
  return withClient(target, prefix, async (client) => {
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: target.bucket, Prefix: prefix, ContinuationToken: continuationToken }),
      );
      for (const entry of page.Contents ?? []) if (entry.Key !== undefined) keys.push(entry.Key);
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
    return keys;
  });
}

export async function readObject(target: S3Target, key: string): Promise<StoredObject> {
  return withClient(target, key, async (client) => {
    const output = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
    const bytes = output.Body === undefined ? new Uint8Array() : await output.Body.transformToByteArray();
    return { body: Buffer.from(bytes), contentType: output.ContentType, metadata: output.Metadata ?? {} };
  });
}

/** Multipart uploads begun and neither completed nor aborted (should be 0 after any upload). */
export async function listOpenMultipartUploads(target: S3Target): Promise<number> {
  return withClient(target, '', async (client) => {
    let count = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await client.send(
        new ListMultipartUploadsCommand({ Bucket: target.bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
      );
      count += page.Uploads?.length ?? 0;
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
    return count;
  });
}

async function withClient<T>(target: S3Target, path: string, use: (client: S3Client) => Promise<T>): Promise<T> {
  const client = await createS3Client(target, { requestTimeoutMs: READ_TIMEOUT_MS });
  try {
    return await use(client);
  } catch (error) {
    const context = { bucket: target.bucket, targetPath: path, endpoint: target.endpoint, region: target.region };
    throw new S3OperationError(classifyS3Error(error, context), error);
  } finally {
    client.destroy();
  }
}
