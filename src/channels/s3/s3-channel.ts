// The S3 channel: `s3_fields` in, the run's export out as one object per job, at a key fixed
// when the job is planned (`<target_path>/<export file name>.<extension>`), so every retry and
// re-delivery overwrites the same object.
import type { Config } from '../../config/config.js';
import { AppError } from '../../domain/app-error.js';
import type { DeliveryError } from '../../domain/types.js';
import type { EgressPolicy } from '../../egress/egress-policy.js';
import { DEFAULT_FORMAT_ID, getOutputFormat } from '../../export/formats/index.js';
import { DeliveryFailure, FILE_EVENT, type DeliveryChannel } from '../channel.js';
import { maskSecret } from '../mask-secret.js';
import { abortLeftoverUploads, parseUploadRef, renderUploadRef } from './abort-uploads.js';
import { classifyS3Error, EGRESS_HINT } from './classify.js';
import { renderObjectKey } from './object-key.js';
import { parseS3Fields } from './parse-s3-fields.js';
import { probeS3 } from './probe.js';
import type { S3DestinationConfig } from './s3-config.js';
import type { S3Defaults } from './s3-defaults.js';
import { resolveS3Target, type S3Target } from './s3-target.js';
import { uploadObject } from './upload.js';

export interface S3ChannelOptions {
  defaults: S3Defaults;
  /** Checks every endpoint before and while connecting (the defaults' endpoint is allowed implicitly). */
  egress: EgressPolicy;
  settings: Pick<Config['s3'], 'partSizeBytes' | 'queueSize' | 'requestTimeoutMs' | 'probeTimeoutMs'>;
}

const EVENTS = [FILE_EVENT] as const;
const NULLABLE_STRING = { type: ['string', 'null'] };
const S3_FIELDS_SCHEMA = {
  description: 'S3 delivery settings; `aws_access_key` and `aws_secret_key` are masked but for their last 4 characters.',
  properties: {
    bucket: { type: 'string' },
    is_active: { type: 'boolean' },
    target_path: { type: 'string' },
    aws_access_key: NULLABLE_STRING,
    aws_secret_key: NULLABLE_STRING,
    region: NULLABLE_STRING,
    endpoint: NULLABLE_STRING,
    force_path_style: { type: ['boolean', 'null'] },
  },
};
const KEY_SCHEMA = { key: { type: 'string' } };

export function createS3Channel({ defaults, settings, egress }: S3ChannelOptions): DeliveryChannel<S3DestinationConfig> {
  /** The target, its connections checked; an endpoint refused outright throws AppError EgressRefused. */
  const resolveCheckedTarget = async (config: S3DestinationConfig): Promise<S3Target> => {
    const target = { ...resolveS3Target(config, defaults), lookupFor: egress.lookupFor };
    if (target.endpoint !== null) await egress.assertUrlAllowed(new URL(target.endpoint));
    return target;
  };
  return {
    kind: 's3',
    fieldsKey: 's3_fields',
    testRoute: 'test-s3',
    title: 'S3',
    description: 'Amazon S3 or any S3-compatible store',
    testDescription:
      'Test S3 settings: puts a small probe object under target_path, then deletes it. Always 200: `{"success": true, "status_code": 200}` or ' +
      '`{"success": false, "status_code": <S3 status>, "error": {"code", "message", "hint"}}` where the hint names the fix. ' +
      'Body: bucket (required), aws_access_key, aws_secret_key, and the extensions target_path, region, endpoint, force_path_style.',
    fieldsDescription:
      'bucket (required), is_active (required), target_path (required; "" is the bucket root), aws_access_key and aws_secret_key (both or neither), and the Squidship extensions region, endpoint, force_path_style.',
    fieldsSchema: S3_FIELDS_SCHEMA,
    testBodyProperties: { bucket: { type: 'string' } },
    parseFields: (fields, options) => parseS3Fields(fields, options),
    async prepareConfig(config, previous) {
      if (config.endpoint !== null) await egress.assertUrlAllowed(new URL(config.endpoint));
      return { config: keepMaskedKeys(config, previous), revealed: {} };
    },
    serializeFields: (config, isActive) => ({
      bucket: config.bucket,
      is_active: isActive,
      target_path: config.targetPath,
      aws_access_key: maskSecret(config.accessKeyId),
      aws_secret_key: maskSecret(config.secretAccessKey),
      region: config.region,
      endpoint: config.endpoint,
      force_path_style: config.forcePathStyle,
    }),
    events: () => EVENTS,
    planTarget(config, run) {
      if (run.exportFileName === null) throw new Error(`run ${run.id} has no export file name`);
      return renderObjectKey(config.targetPath, run.exportFileName, getOutputFormat(DEFAULT_FORMAT_ID).extension);
    },
    async test(config, ctx) {
      const target = await resolveCheckedTarget(config);
      return probeS3({ target, targetPath: config.targetPath, timeoutMs: settings.probeTimeoutMs, now: ctx.clock() });
    },
    async deliver({ delivery, run, squid }, ctx) {
      if (delivery.target === null) throw new DeliveryFailure(internal(`delivery ${delivery.id} has no object key`));
      const target = await resolveCheckedTarget(delivery.config).catch((error: unknown) => {
        if (!(error instanceof AppError)) throw error;
        throw new DeliveryFailure({ code: error.code, message: error.message, hint: EGRESS_HINT, statusCode: null, retryable: false }, { cause: error });
      });
      // Each chunk of a large run is one part, sent as it is; the upload holds at most the parts
      // in flight and the next one.
      const exported = ctx.openExport({ chunkBytes: settings.partSizeBytes, chunksHeld: settings.queueSize + 1 });
      const uploaded = await uploadObject({
        target,
        key: delivery.target,
        body: { lent: exported.chunks },
        contentType: exported.contentType,
        metadata: { 'squidship-run-id': run.id, 'squidship-squid-id': squid.id },
        partSizeBytes: settings.partSizeBytes,
        queueSize: settings.queueSize,
        requestTimeoutMs: settings.requestTimeoutMs,
        signal: ctx.signal,
        recordMultipartUpload: (uploadId) =>
          ctx.recordOpenWrite(renderUploadRef({ bucket: target.bucket, key: delivery.target!, uploadId, endpoint: target.endpoint })),
      });
      return { rows: exported.stats.rows, bytes: uploaded.bytes, etag: uploaded.etag };
    },
    async cleanUp(config, key, refs, ctx) {
      const parsed = refs.map((text) => ({ text, ref: parseUploadRef(text) }));
      for (const { text, ref } of parsed) if (ref === null) ctx.logger.warn({ event: 's3.open_write.unreadable', ref: text }, 's3.open_write.unreadable');
      const uploads = parsed.flatMap(({ ref }) => (ref === null ? [] : [ref]));
      const listKey = ctx.holdsJob ? key : null;
      if (uploads.length === 0 && listKey === null) return [];
      let target: S3Target;
      try {
        target = await resolveCheckedTarget(config);
      } catch (error) {
        // An endpoint the egress policy now refuses: nothing can be aborted there from here.
        ctx.logger.warn({ event: 's3.open_write.endpoint_refused', err: error }, 's3.open_write.endpoint_refused');
        return [];
      }
      const closed = await abortLeftoverUploads({ target, refs: uploads, listKey, requestTimeoutMs: settings.requestTimeoutMs, signal: ctx.signal, logger: ctx.logger });
      return parsed.filter(({ ref }) => ref !== null && closed.has(ref.uploadId)).map(({ text }) => text);
    },
    classify: (error, config) =>
      classifyS3Error(error, {
        bucket: config.bucket,
        targetPath: config.targetPath,
        endpoint: config.endpoint ?? defaults.endpoint,
        region: config.region ?? defaults.region,
      }),
    describeForLog: (config, target) => (target === null ? { bucket: config.bucket } : { bucket: config.bucket, key: target }),
    renderJobTarget: (config, target) => ({ bucket: config.bucket, key: target }),
    renderAttemptTarget: (target) => ({ key: target }),
    describeLocation: (config, target) => ({ bucket: config.bucket, key: target }),
    historySchema: { job: { bucket: { type: 'string' }, ...KEY_SCHEMA }, attempt: KEY_SCHEMA },
  };
}

function internal(message: string): DeliveryError {
  return { code: 'InternalError', message, hint: null, statusCode: null, retryable: false };
}

/**
 * A key sent back exactly as the squid view masks the stored one means "unchanged" (a form that
 * never saw the secret re-saves the other fields); any other value replaces it.
 */
function keepMaskedKeys(config: S3DestinationConfig, previous: S3DestinationConfig | null): S3DestinationConfig {
  if (previous === null) return config;
  const keep = (sent: string | null, stored: string | null) => (sent !== null && stored !== null && sent === maskSecret(stored) ? stored : sent);
  return { ...config, accessKeyId: keep(config.accessKeyId, previous.accessKeyId), secretAccessKey: keep(config.secretAccessKey, previous.secretAccessKey) };
}
