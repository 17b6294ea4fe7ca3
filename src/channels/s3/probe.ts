// The "test S3 configuration" probe: puts a small object under the target path through the same
// uploadObject the deliveries use, then deletes it. Answers in seconds, never throws.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { DeliveryError } from '../../domain/types.js';
import { classifyS3Error, S3OperationError, type S3ErrorContext } from './classify.js';
import { createS3Client, resolveTargetRegion } from './client.js';
import type { S3Target } from './s3-target.js';
import { uploadObject } from './upload.js';

export type ProbeResult =
  | { success: true; status_code: 200; bucket: string; key: string; region: string; warnings: string[] }
  | {
      success: false;
      /** S3's HTTP status, or 0 when nothing answered. */
      status_code: number;
      error: { code: string; message: string; hint: string | null };
    };

export interface ProbeInput {
  target: S3Target;
  /** Normalised target path ("" = bucket root). */
  targetPath: string;
  /** Per-request timeout: an endpoint that does not answer fails after about this long. */
  timeoutMs: number;
  now: number;
}

/** The smallest legal part size; the probe body is a single PutObject far below it. */
const PROBE_PART_SIZE_BYTES = 5 * 1024 * 1024;

export async function probeS3(input: ProbeInput): Promise<ProbeResult> {
  const context: S3ErrorContext = {
    bucket: input.target.bucket,
    targetPath: input.targetPath,
    endpoint: input.target.endpoint,
    region: input.target.region,
  };
  const name = `.squidship-probe-${input.now}-${randomBytes(4).toString('hex')}.txt`;
  const key = input.targetPath === '' ? name : `${input.targetPath}/${name}`;
  const options = { requestTimeoutMs: input.timeoutMs };
  try {
    const target = { ...input.target, region: await resolveTargetRegion(input.target, options) };
    await uploadObject({
      target,
      key,
      body: Readable.from([`Squidship delivery test written at ${new Date(input.now).toISOString()}. Safe to delete.\n`]),
      contentType: 'text/plain; charset=utf-8',
      metadata: {},
      partSizeBytes: PROBE_PART_SIZE_BYTES,
      queueSize: 1,
      requestTimeoutMs: input.timeoutMs,
    });
    const warnings = await deleteProbeObject(target, key, input.timeoutMs, context);
    return { success: true, status_code: 200, bucket: target.bucket, key, region: target.region as string, warnings };
  } catch (error) {
    return failure(error instanceof S3OperationError ? error.detail : classifyS3Error(error, context));
  }
}

/** A failed delete is a warning: delivery itself needs only s3:PutObject. */
async function deleteProbeObject(target: S3Target, key: string, timeoutMs: number, context: S3ErrorContext): Promise<string[]> {
  const client = await createS3Client(target, { requestTimeoutMs: timeoutMs });
  try {
    await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }));
    return [];
  } catch (error) {
    const detail = classifyS3Error(error, context);
    return [
      `The test object ${key} was written but could not be deleted (${detail.code}: ${detail.message}). ` +
        'Delivery does not need s3:DeleteObject; remove the object by hand if you wish.',
    ];
  } finally {
    client.destroy();
  }
}

function failure(detail: DeliveryError): ProbeResult {
  return {
    success: false,
    status_code: detail.statusCode ?? 0,
    error: { code: detail.code, message: detail.message, hint: detail.hint },
  };
}
