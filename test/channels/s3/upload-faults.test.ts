// Failures at the S3 boundary: S3's own XML errors (through a fault proxy in front of s3rver),
// throttling then success, a connection cut in a part, a closed port, a stalled endpoint.
// Each ends classified, with the object complete or absent and no multipart upload left open.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryError } from '../../../src/domain/types.js';
import { S3OperationError } from '../../../src/channels/s3/classify.js';
import { listObjectKeys, listOpenMultipartUploads, readObject } from '../../../src/channels/s3/list-objects.js';
import type { S3Target } from '../../../src/channels/s3/s3-target.js';
import { uploadObject } from '../../../src/channels/s3/upload.js';
import {
  closedPortEndpoint,
  FAULT_PROXY_BUCKET_REGION,
  startS3FaultProxy,
  type FaultProxy,
  type S3FaultCode,
} from '../../helpers/s3-fault-proxy.js';
import { s3TargetFor, startS3rver, type TestS3rver } from '../../helpers/s3rver.js';
import { MIB, randomBody, rejectionOf, uploadInput } from './upload-fixtures.js';

let s3: TestS3rver;
let proxy: FaultProxy;
let target: S3Target;

beforeAll(async () => {
  s3 = await startS3rver();
  proxy = await startS3FaultProxy(s3.endpoint);
  target = s3TargetFor(proxy.endpoint);
});

beforeEach(() => proxy.reset());

afterAll(async () => {
  await proxy?.close();
  await s3?.stop();
});

async function failedUpload(key: string, body: Readable, into: S3Target = target): Promise<DeliveryError> {
  const error = await rejectionOf(uploadObject(uploadInput(into, key, body)));
  expect(error).toBeInstanceOf(S3OperationError);
  return (error as S3OperationError).detail;
}

async function expectNothingUnder(prefix: string): Promise<void> {
  const direct = s3TargetFor(s3.endpoint);
  expect(await listObjectKeys(direct, prefix)).toEqual([]);
  expect(await listOpenMultipartUploads(direct)).toBe(0);
}

describe('S3 error answers', () => {
  const cases: Array<[S3FaultCode, number, boolean, string]> = [
    ['AccessDenied', 403, false, 's3:PutObject on arn:aws:s3:::test-bucket/denied/*'],
    ['InvalidAccessKeyId', 403, false, 'Check aws_access_key'],
    ['SignatureDoesNotMatch', 403, false, 'Check aws_secret_key'],
    ['NoSuchBucket', 404, false, 'Check the bucket name and the region'],
    ['SlowDown', 503, true, 'retried with backoff'],
    ['InternalError', 500, true, 'retried with backoff'],
  ];

  it.each(cases)('classifies %s (HTTP %i) as retryable=%s with a hint', async (code, status, retryable, hint) => {
    proxy.failWith(code);
    const detail = await failedUpload('denied/file.csv', Readable.from(['a,b\n']));
    expect(detail).toMatchObject({ code, statusCode: status, retryable });
    expect(detail.hint).toContain(hint);
    await expectNothingUnder('denied/');
  });

  it('never puts the secret key in what it reports', async () => {
    proxy.failWith('SignatureDoesNotMatch');
    const secretAccessKey = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
    const withSecret = { ...target, credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey } };
    const error = await rejectionOf(uploadObject(uploadInput(withSecret, 'denied/file.csv', Readable.from(['a,b\n']))));
    expect((error as S3OperationError).detail.code).toBe('SignatureDoesNotMatch');
    expect(JSON.stringify((error as S3OperationError).detail)).not.toContain(secretAccessKey);
    expect((error as Error).message).not.toContain(secretAccessKey);
  });

  it.each(['PermanentRedirect', 'AuthorizationHeaderMalformed'] as const)('names the right region on %s', async (code) => {
    proxy.failWith(code);
    const detail = await failedUpload('region/file.csv', Readable.from(['a\n']));
    expect(detail).toMatchObject({ code, retryable: false });
    expect(detail.message).toContain(FAULT_PROXY_BUCKET_REGION);
    expect(detail.hint).toContain(`"${FAULT_PROXY_BUCKET_REGION}"`);
  });

  it('aborts the multipart upload when a part is refused', async () => {
    proxy.failWith('AccessDenied', Infinity, { only: ['UploadPart'] });
    const detail = await failedUpload('denied-part/big.csv', randomBody(11 * MIB).stream());
    expect(detail).toMatchObject({ code: 'AccessDenied', retryable: false, statusCode: 403 });
    expect(proxy.counts).toMatchObject({ CreateMultipartUpload: 1, AbortMultipartUpload: 1, CompleteMultipartUpload: 0 });
    await expectNothingUnder('denied-part/');
  });
});

describe('transient failures', () => {
  it('fails twice on SlowDown, then succeeds when called again (the caller owns retries)', async () => {
    proxy.failWith('SlowDown', 2);
    const text = 'id,value\n1,slow\n';
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const detail = await failedUpload('slow/file.csv', Readable.from([text]));
      expect(detail).toMatchObject({ code: 'SlowDown', statusCode: 503, retryable: true });
    }
    // maxAttempts 1: one request per call, no retry inside the SDK.
    expect(proxy.counts.PutObject).toBe(2);
    const result = await uploadObject(uploadInput(target, 'slow/file.csv', Readable.from([text])));
    expect(result.bytes).toBe(text.length);
    expect((await readObject(target, 'slow/file.csv')).body.toString()).toBe(text);
  });

  it('reports a connection cut in the middle of part 2 as retryable and leaves nothing', async () => {
    proxy.cutConnectionDuringPart(2);
    const body = randomBody(12 * MIB);
    const detail = await failedUpload('cut/big.csv', body.stream());
    expect(detail).toMatchObject({ code: 'ConnectionReset', statusCode: null, retryable: true });
    expect(proxy.counts.AbortMultipartUpload).toBe(1);
    await expectNothingUnder('cut/');
    // The next attempt writes the whole object.
    await uploadObject(uploadInput(target, 'cut/big.csv', body.stream()));
    expect((await readObject(target, 'cut/big.csv')).body.equals(body.data)).toBe(true);
    expect(await listOpenMultipartUploads(target)).toBe(0);
  });

  it('reports a closed port as retryable, naming the endpoint', async () => {
    const endpoint = await closedPortEndpoint();
    const detail = await failedUpload('closed/file.csv', Readable.from(['a\n']), s3TargetFor(endpoint));
    expect(detail).toMatchObject({ code: 'ConnectionRefused', statusCode: null, retryable: true });
    expect(detail.hint).toContain(endpoint);
  });

  it('times out on an endpoint that accepts and never answers', async () => {
    proxy.stall();
    const startedAt = Date.now();
    const error = await rejectionOf(
      uploadObject(uploadInput(target, 'stalled/file.csv', Readable.from(['a\n']), { requestTimeoutMs: 1000 })),
    );
    expect((error as S3OperationError).detail).toMatchObject({ code: 'Timeout', statusCode: null, retryable: true });
    expect(Date.now() - startedAt).toBeLessThan(5000);
  });
});
