// A real S3-compatible server (s3rver, through the same embedded-server code `npm start` uses)
// on a free loopback port with its data in a fresh temp folder, for tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3DestinationConfig } from '../../src/channels/s3/s3-config.js';
import { startEmbeddedS3 } from '../../src/channels/s3/embedded-server.js';
import type { S3Target } from '../../src/channels/s3/s3-target.js';

export const TEST_BUCKET = 'test-bucket';
/** s3rver's own dummy key pair; the embedded server accepts any key, these are the canonical ones. */
export const S3RVER_ACCESS_KEY = 'S3RVER';
export const S3RVER_SECRET_KEY = 'S3RVER';

export interface TestS3rver {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** The folder holding s3rver's data (removed by stop). */
  directory: string;
  /** Stops the server and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

export async function startS3rver(options: { buckets?: string[] } = {}): Promise<TestS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'squidship-s3rver-'));
  const server = await startEmbeddedS3({
    host: '127.0.0.1',
    port: 0,
    directory,
    buckets: options.buckets ?? [TEST_BUCKET],
  });
  let stopping: Promise<void> | null = null;
  return {
    endpoint: server.endpoint,
    directory,
    stop() {
      stopping ??= server.stop().then(() => rm(directory, { recursive: true, force: true }));
      return stopping;
    },
  };
}

/** A signed, path-style target on a test endpoint (s3rver or a fault proxy in front of it). */
export function s3TargetFor(endpoint: string, bucket: string = TEST_BUCKET): S3Target {
  return {
    bucket,
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_ACCESS_KEY, secretAccessKey: S3RVER_SECRET_KEY },
  };
}

/** The same target as a destination's stored settings, for code that takes S3DestinationConfig. */
export function s3DestinationConfigFor(endpoint: string, bucket: string = TEST_BUCKET, targetPath = ''): S3DestinationConfig {
  return {
    bucket,
    targetPath,
    accessKeyId: S3RVER_ACCESS_KEY,
    secretAccessKey: S3RVER_SECRET_KEY,
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
  };
}
