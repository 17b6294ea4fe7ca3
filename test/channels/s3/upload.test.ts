// Uploads against a real S3-compatible server (s3rver), read back byte for byte.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3OperationError } from '../../../src/channels/s3/classify.js';
import { listObjectKeys, listOpenMultipartUploads, readObject } from '../../../src/channels/s3/list-objects.js';
import type { S3Target } from '../../../src/channels/s3/s3-target.js';
import { uploadObject, type LentChunk } from '../../../src/channels/s3/upload.js';
import { AppError } from '../../../src/domain/app-error.js';
import { startS3FaultProxy, type FaultProxy } from '../../helpers/s3-fault-proxy.js';
import { s3TargetFor, startS3rver, type TestS3rver } from '../../helpers/s3rver.js';
import { endlessBody, failingBody, lentBody, MIB, PART_SIZE_BYTES, randomBody, rejectionOf, reusedBufferBody, uploadInput } from './upload-fixtures.js';
import { pollUntil } from '../../helpers/poll-until.js';

let s3: TestS3rver;
let proxy: FaultProxy;
let target: S3Target;

beforeAll(async () => {
  s3 = await startS3rver();
  // Forwarding only: it counts which requests were made.
  proxy = await startS3FaultProxy(s3.endpoint);
  target = s3TargetFor(proxy.endpoint);
});

afterAll(async () => {
  await proxy?.close();
  await s3?.stop();
});

describe('uploadObject', () => {
  it('uploads an empty body as an empty object with one PutObject', async () => {
    proxy.reset();
    const result = await uploadObject(uploadInput(target, 'zero/empty.csv', Readable.from([])));
    expect(result.bytes).toBe(0);
    const stored = await readObject(target, 'zero/empty.csv');
    expect(stored.body.length).toBe(0);
    expect(proxy.counts).toMatchObject({ PutObject: 1, CreateMultipartUpload: 0 });
  });

  it('uploads a small body with one PutObject, with its content type and metadata', async () => {
    proxy.reset();
    const text = 'name,city\n"Zoë, ""the"" one",Köln\n';
    const result = await uploadObject(
      uploadInput(target, 'small/one.csv', Readable.from([Buffer.from(text)]), { metadata: { 'run-id': 'abc123', 'squid-id': 'def456' } }),
    );
    expect(result).toEqual({ etag: expect.stringMatching(/^"[0-9a-f]{32}"$/), bytes: Buffer.byteLength(text) });
    const stored = await readObject(target, 'small/one.csv');
    expect(stored.body.toString('utf8')).toBe(text);
    expect(stored.contentType).toBe('text/csv; charset=utf-8');
    expect(stored.metadata).toEqual({ 'run-id': 'abc123', 'squid-id': 'def456' });
    expect(proxy.counts).toMatchObject({ PutObject: 1, CreateMultipartUpload: 0, UploadPart: 0 });
  });

  it('uploads a 12 MiB body as three 5 MiB-or-less parts, byte for byte', async () => {
    proxy.reset();
    const body = randomBody(12 * MIB + 12_345);
    const result = await uploadObject(uploadInput(target, 'big/three-parts.csv', body.stream()));
    expect(result.bytes).toBe(body.data.length);
    const stored = await readObject(target, 'big/three-parts.csv');
    expect(stored.body.equals(body.data)).toBe(true);
    expect(proxy.counts).toMatchObject({ PutObject: 0, CreateMultipartUpload: 1, UploadPart: 3, CompleteMultipartUpload: 1, AbortMultipartUpload: 0 });
    expect(await listOpenMultipartUploads(target)).toBe(0);
  });

  it('uploads a body of exactly one part size as one PutObject, and one byte more as two parts', async () => {
    proxy.reset();
    const exact = randomBody(5 * MIB);
    expect((await uploadObject(uploadInput(target, 'edge/exact.csv', exact.stream()))).bytes).toBe(5 * MIB);
    expect((await readObject(target, 'edge/exact.csv')).body.equals(exact.data)).toBe(true);
    expect(proxy.counts).toMatchObject({ PutObject: 1, CreateMultipartUpload: 0 });
    proxy.reset();
    const over = randomBody(5 * MIB + 1);
    expect((await uploadObject(uploadInput(target, 'edge/over.csv', over.stream()))).bytes).toBe(5 * MIB + 1);
    expect((await readObject(target, 'edge/over.csv')).body.equals(over.data)).toBe(true);
    expect(proxy.counts).toMatchObject({ PutObject: 0, CreateMultipartUpload: 1, UploadPart: 2, CompleteMultipartUpload: 1 });
  });

  it('keeps parts in order when more parts than the queue reuse the same buffers', async () => {
    proxy.reset();
    // Eleven parts with two in flight: every part buffer is reused several times.
    const body = randomBody(10 * 5 * MIB + 777);
    const result = await uploadObject(uploadInput(target, 'big/eleven-parts.csv', body.stream(), { queueSize: 2 }));
    expect(result.bytes).toBe(body.data.length);
    expect((await readObject(target, 'big/eleven-parts.csv')).body.equals(body.data)).toBe(true);
    expect(proxy.counts).toMatchObject({ CreateMultipartUpload: 1, UploadPart: 11, CompleteMultipartUpload: 1 });
    expect(await listOpenMultipartUploads(target)).toBe(0);
  });

  it('overwrites the same key on a second upload (a retry writes the same object)', async () => {
    await uploadObject(uploadInput(target, 'retry/same.csv', Readable.from(['first version, longer than the second\n'])));
    await uploadObject(uploadInput(target, 'retry/same.csv', Readable.from(['second\n'])));
    expect((await readObject(target, 'retry/same.csv')).body.toString()).toBe('second\n');
    expect(await listObjectKeys(target, 'retry/')).toEqual(['retry/same.csv']);
  });

  it('uploads chunks that share one buffer byte for byte: each is copied before the next is asked for', async () => {
    const body = randomBody(12 * MIB + 4321);
    const { chunks, state } = reusedBufferBody(body.data, 700_001);
    const result = await uploadObject(uploadInput(target, 'reused/chunks.csv', chunks));
    expect(result.bytes).toBe(body.data.length);
    expect((await readObject(target, 'reused/chunks.csv')).body.equals(body.data)).toBe(true);
    expect(state.ended).toBe(true);
  });

  it('sends lent chunks of exactly the part size as their parts, releasing each once S3 has stored it', async () => {
    proxy.reset();
    const body = randomBody(4 * PART_SIZE_BYTES + 4321);
    const { body: lent, state } = lentBody(body.data, PART_SIZE_BYTES);
    const result = await uploadObject(uploadInput(target, 'lent/parts.csv', lent, { queueSize: 2 }));
    expect(result.bytes).toBe(body.data.length);
    // Each release scribbles over its chunk: a part sent after it would not read back.
    expect((await readObject(target, 'lent/parts.csv')).body.equals(body.data)).toBe(true);
    expect(proxy.counts).toMatchObject({ CreateMultipartUpload: 1, UploadPart: 5, CompleteMultipartUpload: 1 });
    expect(state).toMatchObject({ lent: 5, released: 5, doubleReleases: 0, ended: true });
    // The parts in flight and the next one, never the whole body.
    expect(state.maxHeld).toBeLessThanOrEqual(3);
  });

  it('sends a lent body shorter than a part as one PutObject and releases it after', async () => {
    proxy.reset();
    const body = randomBody(PART_SIZE_BYTES - 1);
    const { body: lent, state } = lentBody(body.data, PART_SIZE_BYTES);
    await uploadObject(uploadInput(target, 'lent/one.csv', lent));
    expect((await readObject(target, 'lent/one.csv')).body.equals(body.data)).toBe(true);
    expect(proxy.counts).toMatchObject({ PutObject: 1, CreateMultipartUpload: 0 });
    expect(state).toMatchObject({ lent: 1, released: 1, doubleReleases: 0 });
  });

  it('copies lent chunks that are not whole parts into parts, releasing each once', async () => {
    const body = randomBody(3 * PART_SIZE_BYTES + 999);
    const { body: lent, state } = lentBody(body.data, 3 * MIB + 17);
    await uploadObject(uploadInput(target, 'lent/copied.csv', lent));
    expect((await readObject(target, 'lent/copied.csv')).body.equals(body.data)).toBe(true);
    expect(state).toMatchObject({ lent: 6, released: 6, doubleReleases: 0, ended: true });
  });

  it('reports lent chunks that fail in the middle as the body failing, and leaves nothing behind', async () => {
    proxy.reset();
    const { body: lent, state } = lentBody(randomBody(6 * PART_SIZE_BYTES).data, PART_SIZE_BYTES, 3 * PART_SIZE_BYTES);
    const error = await rejectionOf(uploadObject(uploadInput(target, 'lent-broken/parts.csv', lent)));
    expect((error as S3OperationError).detail).toMatchObject({ code: 'BodyStreamFailed' });
    expect(state).toMatchObject({ ended: true, doubleReleases: 0 });
    expect(proxy.counts).toMatchObject({ CreateMultipartUpload: 1, AbortMultipartUpload: 1, CompleteMultipartUpload: 0 });
    expect(await listObjectKeys(target, 'lent-broken/')).toEqual([]);
    expect(await listOpenMultipartUploads(target)).toBe(0);
  });

  it('sends no PutObject, and completes no multipart upload, for a body that fails after its last chunk (the export\'s row count)', async () => {
    for (const size of [PART_SIZE_BYTES - 1, 2 * PART_SIZE_BYTES + 1]) {
      proxy.reset();
      const data = randomBody(size).data;
      async function* countedThenShort(): AsyncGenerator<LentChunk> {
        for (let offset = 0; offset < data.length; offset += PART_SIZE_BYTES) yield { data: data.subarray(offset, offset + PART_SIZE_BYTES), release: () => undefined };
        throw new AppError('RunResultsChanged', 'fewer rows than the run had', { retryable: false, status: 409 });
      }
      const error = await rejectionOf(uploadObject(uploadInput(target, `short/${size}.csv`, { lent: countedThenShort() })));
      expect((error as S3OperationError).detail).toMatchObject({ code: 'RunResultsChanged', retryable: false });
      expect(proxy.counts.PutObject).toBe(0);
      expect(proxy.counts.CompleteMultipartUpload).toBe(0);
      expect(proxy.counts.AbortMultipartUpload).toBe(size > PART_SIZE_BYTES ? 1 : 0);
      expect(await listObjectKeys(target, 'short/')).toEqual([]);
      expect(await listOpenMultipartUploads(target)).toBe(0);
    }
  });

  it('reports chunks that fail in the middle as the body failing, and leaves nothing behind', async () => {
    proxy.reset();
    const { chunks, state } = reusedBufferBody(randomBody(12 * MIB).data, MIB, 7 * MIB);
    const error = await rejectionOf(uploadObject(uploadInput(target, 'broken/chunks.csv', chunks)));
    expect((error as S3OperationError).detail).toMatchObject({ code: 'BodyStreamFailed', message: expect.stringContaining('the export thread stopped') });
    expect(state.ended).toBe(true);
    expect(proxy.counts).toMatchObject({ CreateMultipartUpload: 1, AbortMultipartUpload: 1, CompleteMultipartUpload: 0 });
    expect(await listObjectKeys(target, 'broken/')).toEqual([]);
  });

  it('ends chunks it lets go of when the upload stops early, so that their clean-up runs', async () => {
    proxy.reset();
    const controller = new AbortController();
    const { chunks, state } = reusedBufferBody(randomBody(64 * MIB).data, MIB);
    const uploading = uploadObject(uploadInput(target, 'aborted/chunks.csv', chunks, { signal: controller.signal }));
    await pollUntil(() => proxy.counts.UploadPart >= 1, { timeoutMs: 10_000, what: 'the first part to reach the proxy' });
    controller.abort();
    expect((await rejectionOf(uploading) as S3OperationError).detail).toMatchObject({ code: 'Aborted' });
    await pollUntil(() => state.ended, { timeoutMs: 10_000, what: 'the body to end' });
    expect(await listObjectKeys(target, 'aborted/')).toEqual([]);
    expect(await listOpenMultipartUploads(target)).toBe(0);
  });

  it('leaves nothing behind when the body fails in the middle of a multipart upload', async () => {
    proxy.reset();
    const error = await rejectionOf(uploadObject(uploadInput(target, 'broken/body.csv', failingBody(11 * MIB))));
    expect(error).toBeInstanceOf(S3OperationError);
    expect((error as S3OperationError).detail).toEqual({
      code: 'BodyStreamFailed',
      message: 'Producing the file to upload failed: the database went away',
      hint: expect.stringContaining('Nothing was written'),
      statusCode: null,
      retryable: true,
    });
    expect(proxy.counts).toMatchObject({ CreateMultipartUpload: 1, AbortMultipartUpload: 1, CompleteMultipartUpload: 0 });
    expect(await listObjectKeys(target, 'broken/')).toEqual([]);
    expect(await listOpenMultipartUploads(target)).toBe(0);
  });

  it('leaves nothing behind when its signal aborts it in the middle', async () => {
    proxy.reset();
    const controller = new AbortController();
    const uploading = uploadObject(uploadInput(target, 'aborted/run.csv', endlessBody(6 * MIB), { signal: controller.signal }));
    await pollUntil(() => proxy.counts.UploadPart >= 1, { timeoutMs: 10_000, what: 'the first part to reach the proxy' });
    controller.abort();
    const error = await rejectionOf(uploading);
    expect((error as S3OperationError).detail).toMatchObject({ code: 'Aborted', retryable: true, statusCode: null });
    expect(proxy.counts.AbortMultipartUpload).toBe(1);
    expect(await listObjectKeys(target, 'aborted/')).toEqual([]);
    expect(await listOpenMultipartUploads(target)).toBe(0);
  });

  it('sends unsigned requests when the target has no keys', async () => {
    proxy.reset();
    await uploadObject(uploadInput({ ...target, credentials: null }, 'anonymous/public.csv', Readable.from(['a\n'])));
    expect(proxy.counts.PutObject).toBe(1);
    expect(proxy.unsignedRequests).toBe(1);
    expect((await readObject(target, 'anonymous/public.csv')).body.toString()).toBe('a\n');
  });

  it('signs requests when the target has keys', async () => {
    proxy.reset();
    await uploadObject(uploadInput(target, 'signed/private.csv', Readable.from(['a\n'])));
    expect(proxy.unsignedRequests).toBe(0);
  });

  it('signs every part with the SHA-256 of its own bytes, copied or lent, hashed a slice at a time', async () => {
    proxy.reset();
    const body = randomBody(2 * PART_SIZE_BYTES + 3 * MIB + 5);
    await uploadObject(uploadInput(target, 'signed/parts.csv', body.stream()));
    const { body: lent } = lentBody(body.data, PART_SIZE_BYTES);
    await uploadObject(uploadInput(target, 'signed/lent.csv', lent));
    expect((await readObject(target, 'signed/lent.csv')).body.equals(body.data)).toBe(true);
    // Three parts each, every one with its payload hash (an endpoint that checks would refuse a wrong one).
    expect(proxy.counts.UploadPart).toBe(6);
    expect(proxy.payloadHashes).toEqual({ matched: 6, mismatched: 0 });
  });
});
