// The test-configuration probe, through the same upload code as deliveries, against s3rver.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listObjectKeys } from '../../../src/channels/s3/list-objects.js';
import { probeS3 } from '../../../src/channels/s3/probe.js';
import { closedPortEndpoint, startS3FaultProxy, type FaultProxy } from '../../helpers/s3-fault-proxy.js';
import { s3TargetFor, startS3rver, type TestS3rver } from '../../helpers/s3rver.js';

const NOW = Date.UTC(2025, 2, 5, 9, 27);

let s3: TestS3rver;
let proxy: FaultProxy;

beforeAll(async () => {
  s3 = await startS3rver();
  proxy = await startS3FaultProxy(s3.endpoint);
});

beforeEach(() => proxy.reset());

afterAll(async () => {
  await proxy?.close();
  await s3?.stop();
});

describe('probeS3', () => {
  it('writes a probe object under the target path, deletes it and answers success', async () => {
    const result = await probeS3({ target: s3TargetFor(proxy.endpoint), targetPath: 'exports/daily', timeoutMs: 3000, now: NOW });
    expect(result).toEqual({
      success: true,
      status_code: 200,
      bucket: 'test-bucket',
      key: expect.stringMatching(/^exports\/daily\/\.squidship-probe-\d+-[0-9a-f]{8}\.txt$/),
      region: 'us-east-1',
      warnings: [],
    });
    expect(proxy.counts).toMatchObject({ PutObject: 1, DeleteObject: 1 });
    expect(await listObjectKeys(s3TargetFor(s3.endpoint), 'exports/')).toEqual([]);
  });

  it('puts the probe at the bucket root for an empty target path', async () => {
    const result = await probeS3({ target: s3TargetFor(s3.endpoint), targetPath: '', timeoutMs: 3000, now: NOW });
    expect(result.success && result.key).toMatch(/^\.squidship-probe-/);
  });

  it('succeeds with a warning when only the delete is refused, leaving the probe object', async () => {
    proxy.failWith('AccessDenied', Infinity, { only: ['DeleteObject'] });
    const result = await probeS3({ target: s3TargetFor(proxy.endpoint), targetPath: 'nodelete', timeoutMs: 3000, now: NOW });
    expect(result.success).toBe(true);
    if (!result.success) return;
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('does not need s3:DeleteObject');
    expect(await listObjectKeys(s3TargetFor(s3.endpoint), 'nodelete/')).toEqual([result.key]);
  });

  it('answers AccessDenied with the status and the permission to grant', async () => {
    proxy.failWith('AccessDenied');
    const result = await probeS3({ target: s3TargetFor(proxy.endpoint), targetPath: 'exports', timeoutMs: 3000, now: NOW });
    expect(result).toEqual({
      success: false,
      status_code: 403,
      error: {
        code: 'AccessDenied',
        message: 'Access denied writing to bucket "test-bucket".',
        hint: expect.stringContaining('Grant s3:PutObject on arn:aws:s3:::test-bucket/exports/*'),
      },
    });
  });

  it('answers NoSuchBucket from the real server for a bucket that does not exist', async () => {
    const result = await probeS3({ target: s3TargetFor(s3.endpoint, 'no-such-bucket'), targetPath: 'x', timeoutMs: 3000, now: NOW });
    expect(result).toMatchObject({ success: false, status_code: 404, error: { code: 'NoSuchBucket' } });
    expect(!result.success && result.error.message).toContain('"no-such-bucket" does not exist');
  });

  it('answers status 0 and names the endpoint when nothing listens', async () => {
    const endpoint = await closedPortEndpoint();
    const result = await probeS3({ target: s3TargetFor(endpoint), targetPath: 'x', timeoutMs: 3000, now: NOW });
    expect(result).toMatchObject({ success: false, status_code: 0, error: { code: 'ConnectionRefused' } });
    expect(!result.success && result.error.hint).toContain(endpoint);
  });

  it('gives up on a stalled endpoint after about timeoutMs', async () => {
    proxy.stall();
    const startedAt = Date.now();
    const result = await probeS3({ target: s3TargetFor(proxy.endpoint), targetPath: 'x', timeoutMs: 1500, now: NOW });
    const elapsedMs = Date.now() - startedAt;
    expect(result).toMatchObject({ success: false, status_code: 0, error: { code: 'Timeout' } });
    expect(elapsedMs).toBeGreaterThanOrEqual(1400);
    expect(elapsedMs).toBeLessThan(4000);
  });
});
