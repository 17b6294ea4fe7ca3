import { describe, expect, it } from 'vitest';
import type { S3DestinationConfig } from '../../../src/channels/s3/s3-config.js';
import { resolveS3Target } from '../../../src/channels/s3/s3-target.js';

const config: S3DestinationConfig = {
  bucket: 'my-bucket',
  targetPath: 'exports',
  accessKeyId: 'AKIAEXAMPLE',
  secretAccessKey: 'secret',
  region: null,
  endpoint: null,
  forcePathStyle: null,
};

describe('resolveS3Target', () => {
  it('is AWS with virtual-hosted addressing when nothing is set anywhere', () => {
    expect(resolveS3Target(config, { endpoint: null, region: null, forcePathStyle: null })).toEqual({
      bucket: 'my-bucket',
      endpoint: null,
      region: null,
      forcePathStyle: false,
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
    });
  });

  it('takes the server defaults, with path style on for a custom endpoint', () => {
    const target = resolveS3Target(config, { endpoint: 'http://127.0.0.1:4569', region: 'eu-west-1', forcePathStyle: null });
    expect(target).toMatchObject({ endpoint: 'http://127.0.0.1:4569', region: 'eu-west-1', forcePathStyle: true });
  });

  it('lets the destination override every default', () => {
    const own = { ...config, endpoint: 'https://minio.example.com', region: 'us-west-2', forcePathStyle: false };
    const target = resolveS3Target(own, { endpoint: 'http://127.0.0.1:4569', region: 'eu-west-1', forcePathStyle: true });
    expect(target).toMatchObject({ endpoint: 'https://minio.example.com', region: 'us-west-2', forcePathStyle: false });
  });

  it('is anonymous without both keys', () => {
    const defaults = { endpoint: null, region: null, forcePathStyle: null };
    expect(resolveS3Target({ ...config, accessKeyId: null, secretAccessKey: null }, defaults).credentials).toBeNull();
    expect(resolveS3Target({ ...config, secretAccessKey: '' }, defaults).credentials).toBeNull();
  });
});
