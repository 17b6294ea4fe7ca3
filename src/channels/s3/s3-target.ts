// Where an upload goes: a destination's S3 settings merged with the server-wide defaults.
import type { LookupFunction } from 'node:net';
import type { S3DestinationConfig } from './s3-config.js';
import type { S3Defaults } from './s3-defaults.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3Target {
  bucket: string;
  /** null: AWS S3 itself. */
  endpoint: string | null;
  /** null: discovered from the bucket on AWS, us-east-1 for other endpoints. */
  region: string | null;
  forcePathStyle: boolean;
  /** null: anonymous (unsigned) requests, for buckets whose policy allows public write. */
  credentials: S3Credentials | null;
  /** The egress policy's resolver for a port: every connection of the client goes through it. */
  lookupFor?: (port: number) => LookupFunction;
}

/**
 * The destination's own values win over the defaults. Path-style addressing defaults to on for
 * custom endpoints (MinIO, s3rver, Ceph and most self-hosted stores have no per-bucket DNS) and
 * off for AWS, which is deprecating it.
 */
export function resolveS3Target(config: S3DestinationConfig, defaults: S3Defaults): S3Target {
  const endpoint = config.endpoint ?? defaults.endpoint;
  const forcePathStyle = config.forcePathStyle ?? defaults.forcePathStyle ?? endpoint !== null;
  const hasKeys = Boolean(config.accessKeyId) && Boolean(config.secretAccessKey);
  return {
    bucket: config.bucket,
    endpoint,
    region: config.region ?? defaults.region,
    forcePathStyle,
    credentials: hasKeys
      ? { accessKeyId: config.accessKeyId as string, secretAccessKey: config.secretAccessKey as string }
      : null,
  };
}
