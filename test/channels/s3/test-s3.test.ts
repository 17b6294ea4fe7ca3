// POST /v1/delivery/test-s3 against a real S3-compatible server, and S3's real error answers
// through a fault proxy: always 200, success false with S3's status and a hint naming the fix.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closedPortEndpoint, startS3FaultProxy, type FaultProxy, type S3FaultCode } from '../../helpers/s3-fault-proxy.js';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, s3TargetFor, startS3rver, TEST_BUCKET, type TestS3rver } from '../../helpers/s3rver.js';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { listObjectKeys } from '../../../src/channels/s3/list-objects.js';
import { createTestConfig } from '../../delivery/delivery-fixture.js';

describe('POST /v1/delivery/test-s3', () => {
  let s3: TestS3rver;
  let proxy: FaultProxy;
  let server: TestServer;

  beforeAll(async () => {
    s3 = await startS3rver();
    proxy = await startS3FaultProxy(s3.endpoint);
    // Lobstr's body has no endpoint: the server-wide default points at the proxy.
    server = await startTestServer({
      config: createTestConfig({ s3: { probeTimeoutMs: 2000 } }),
      s3Defaults: { endpoint: proxy.endpoint, region: 'us-east-1', forcePathStyle: true },
    });
  });

  afterEach(() => {
    proxy.reset();
  });

  afterAll(async () => {
    await server.close();
    await proxy.close();
    await s3.stop();
  });

  const lobstrBody = { bucket: TEST_BUCKET, aws_access_key: S3RVER_ACCESS_KEY, aws_secret_key: S3RVER_SECRET_KEY };
  const testS3 = (body: unknown) => server.request('POST', '/v1/delivery/test-s3', body);

  it('succeeds with Lobstr\'s body, writes the probe under target_path and deletes it', async () => {
    const response = await testS3({ ...lobstrBody, target_path: '/probe/dir/' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ success: true, status_code: 200 });
    expect(proxy.counts.PutObject).toBe(1);
    expect(proxy.counts.DeleteObject).toBe(1);
    expect(await listObjectKeys(s3TargetFor(s3.endpoint), '')).toEqual([]);
  });

  it('succeeds with the endpoint sent in the body (no server default needed)', async () => {
    const response = await testS3({ ...lobstrBody, endpoint: s3.endpoint, force_path_style: true, region: 'us-east-1' });
    expect(response.body).toMatchObject({ success: true, status_code: 200 });
    expect(proxy.counts.PutObject).toBe(0);
  });

  const faults: Array<[S3FaultCode, number, string]> = [
    ['AccessDenied', 403, 's3:PutObject on arn:aws:s3:::test-bucket/exports/*'],
    ['InvalidAccessKeyId', 403, 'aws_access_key'],
    ['SignatureDoesNotMatch', 403, 'aws_secret_key'],
    ['NoSuchBucket', 404, 'bucket name'],
  ];
  for (const [code, status, hintPart] of faults) {
    it(`answers success false for ${code} with status ${status} and a hint`, async () => {
      proxy.failWith(code);
      const response = await testS3({ ...lobstrBody, target_path: 'exports' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ success: false, status_code: status, error: { code } });
      expect(response.body.error.message).toEqual(expect.any(String));
      expect(response.body.error.hint).toContain(hintPart);
    });
  }

  it('answers within seconds when nothing listens at the endpoint', async () => {
    const startedMs = Date.now();
    const response = await testS3({ ...lobstrBody, endpoint: await closedPortEndpoint() });
    expect(Date.now() - startedMs).toBeLessThan(5000);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ success: false, error: { code: 'ConnectionRefused' } });
    expect(response.body.error.hint).toContain('127.0.0.1');
  });

  it('answers within seconds when the endpoint accepts and never answers', async () => {
    proxy.stall();
    const startedMs = Date.now();
    const response = await testS3(lobstrBody);
    expect(Date.now() - startedMs).toBeLessThan(8000);
    expect(response.body).toMatchObject({ success: false, error: { code: 'Timeout' } });
  });

  it('refuses an invalid body with 400 naming the field', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ aws_access_key: 'a', aws_secret_key: 'b' }, 'ParamsNeeded', 'bucket'],
      [{ bucket: 'Bad_Bucket' }, 'InvalidParameterValue', 'bucket'],
      [{ bucket: TEST_BUCKET, aws_access_key: 'only-one' }, 'ParamsNeeded', 'aws_secret_key'],
      [{ bucket: TEST_BUCKET, is_active: true }, 'InvalidParam', 'is_active'],
      [{ bucket: TEST_BUCKET, target_path: '../up' }, 'InvalidParameterValue', 'target_path'],
      [{ s3_fields: lobstrBody }, 'InvalidParam', 's3_fields'],
    ];
    for (const [body, type, field] of cases) {
      const response = await testS3(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.errors.type).toBe(type);
      expect(response.body.errors.message).toContain(field);
    }
    expect(proxy.counts.PutObject).toBe(0);
  });
});
