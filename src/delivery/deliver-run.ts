// One delivery attempt: the run's CSV, streamed from the store through the CSV writer into a
// multipart upload at the delivery's fixed object key. Memory stays flat whatever the run's size:
// the store is read in keyset batches, and a large run's parts are the export thread's
// queueSize + 2 slots (in flight, the next one, the one being filled), sent without a copy.
import type { Config } from '../config/config.js';
import type { S3Defaults } from '../channels/s3/s3-defaults.js';
import type { Delivery, DeliveryError } from '../domain/types.js';
import { createRunCsvChunks } from '../export/run-csv-stream.js';
import { classifyS3Error } from '../channels/s3/classify.js';
import { resolveS3Target } from '../channels/s3/s3-target.js';
import { uploadObject } from '../channels/s3/upload.js';
import type { Store } from '../storage/store.js';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

export interface DeliverRunInput {
  store: Store;
  delivery: Delivery;
  s3Defaults: S3Defaults;
  s3: Pick<Config['s3'], 'partSizeBytes' | 'queueSize' | 'requestTimeoutMs'>;
  /** Aborting it aborts the multipart upload (lease lost, shutdown). */
  signal?: AbortSignal;
}

export interface DeliveredObject {
  rows: number;
  bytes: number;
  etag: string;
}

/** A failed attempt, already classified: the worker retries it or gives up from `error`. */
export class DeliveryFailure extends Error {
  constructor(
    readonly error: DeliveryError,
    options?: { cause?: unknown },
  ) {
    super(error.message, options);
    this.name = 'DeliveryFailure';
  }
}

export async function deliverRun(input: DeliverRunInput): Promise<DeliveredObject> {
  const { store, delivery } = input;
  const run = await store.getRunById(delivery.runId);
  const squid = run === null ? null : await store.getSquidById(run.squidId);
  if (run === null || squid === null) {
    // The squid (and with it the run) was deleted after the delivery was enqueued.
    throw new DeliveryFailure({
      code: 'RunDoesNotExist',
      message: `run ${delivery.runId} no longer exists`,
      hint: 'The squid or run was deleted; there is nothing left to deliver.',
      statusCode: null,
      retryable: false,
    });
  }
  const config = delivery.config;
  try {
    const target = resolveS3Target(config, input.s3Defaults);
    // Each chunk of a large run is one part, sent as it is; the upload holds at most the parts in
    // flight and the next one.
    const { lent, stats } = createRunCsvChunks(store, run, squid, { chunkBytes: input.s3.partSizeBytes, chunksHeld: input.s3.queueSize + 1 });
    const uploaded = await uploadObject({
      target,
      key: delivery.objectKey,
      body: { lent },
      contentType: CSV_CONTENT_TYPE,
      metadata: { 'squidship-run-id': run.id, 'squidship-squid-id': squid.id },
      partSizeBytes: input.s3.partSizeBytes,
      queueSize: input.s3.queueSize,
      requestTimeoutMs: input.s3.requestTimeoutMs,
      signal: input.signal,
    });
    return { rows: stats.rows, bytes: uploaded.bytes, etag: uploaded.etag };
  } catch (thrown) {
    if (thrown instanceof DeliveryFailure) throw thrown;
    const error = classifyS3Error(thrown, {
      bucket: config.bucket,
      targetPath: config.targetPath,
      endpoint: config.endpoint ?? input.s3Defaults.endpoint,
      region: config.region ?? input.s3Defaults.region,
    });
    throw new DeliveryFailure(error, { cause: thrown });
  }
}
