// Bucket region discovery (used for AWS when no region is configured), against a proxy that
// answers as S3 does for a bucket in another region.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverBucketRegion } from '../../../src/channels/s3/client.js';
import { FAULT_PROXY_BUCKET_REGION, startS3FaultProxy, type FaultProxy } from '../../helpers/s3-fault-proxy.js';
import { s3TargetFor, startS3rver, type TestS3rver } from '../../helpers/s3rver.js';

let s3: TestS3rver;
let proxy: FaultProxy;

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ['test-bucket', 'plain-bucket'] });
  proxy = await startS3FaultProxy(s3.endpoint);
});

afterAll(async () => {
  await proxy?.close();
  await s3?.stop();
});

describe('discoverBucketRegion', () => {
  it("reads the region from S3's 301 answer, and asks only once per bucket", async () => {
    proxy.reset();
    proxy.failWith('PermanentRedirect');
    const target = { ...s3TargetFor(proxy.endpoint), region: null };
    expect(await discoverBucketRegion(target, { requestTimeoutMs: 3000 })).toBe(FAULT_PROXY_BUCKET_REGION);
    expect(await discoverBucketRegion(target, { requestTimeoutMs: 3000 })).toBe(FAULT_PROXY_BUCKET_REGION);
    expect(proxy.counts.Other).toBe(1);
  });

  it('falls back to us-east-1 when the answer names no region', async () => {
    proxy.reset();
    const target = { ...s3TargetFor(proxy.endpoint, 'plain-bucket'), region: null };
    expect(await discoverBucketRegion(target, { requestTimeoutMs: 3000 })).toBe('us-east-1');
  });
});
