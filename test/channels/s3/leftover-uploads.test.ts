// Multipart uploads a failed attempt could not abort (issue 15, item 5): during an S3 outage the
// abort fails too, so the attempt leaves its upload recorded; the job's next attempt aborts it
// before delivering, and the worker's sweep aborts those of jobs that will not be retried.
// Through the API, a real worker and s3rver behind a fault proxy.
import { Readable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestChannels } from '../../helpers/test-server.js';
import { uploadObject } from '../../../src/channels/s3/upload.js';
import { sweepOpenWrites } from '../../../src/delivery/open-writes.js';
import { s3TargetFor } from '../../helpers/s3rver.js';
import { rejectionOf, uploadInput } from './upload-fixtures.js';
import { lobstrS3Fields, startDeliveryFixture, type DeliveryFixture } from '../../delivery/delivery-fixture.js';

/** About 6.6 MB of CSV: two parts of 5 MiB, so the delivery is a multipart upload. */
const payload = 'y'.repeat(100);
const rows = Array.from({ length: 60_000 }, (_, i) => ({ i, payload }));
const expectedCsv = 'i,payload\r\n' + rows.map((row) => `${row.i},${payload}\r\n`).join('');

describe('multipart uploads left open by failed attempts', () => {
  let fixture: DeliveryFixture;

  beforeEach(async () => {
    fixture = await startDeliveryFixture();
  });

  afterEach(async () => {
    await fixture.close();
  });

  async function completeLargeRun(): Promise<string> {
    const squidId = await fixture.createSquid();
    expect((await fixture.configureS3(squidId, { s3_fields: lobstrS3Fields('exports') })).status).toBe(201);
    const runId = await fixture.startRun(squidId);
    await fixture.pushRows(runId, rows);
    expect((await fixture.completeRun(runId)).status).toBe(200);
    return runId;
  }

  async function deliveryOf(runId: string) {
    const [delivery, ...others] = (await fixture.server.request('GET', `/v1/runs/${runId}/deliveries`)).body.data as Array<Record<string, unknown> & { id: string; key: string }>;
    expect(others).toEqual([]);
    return delivery!;
  }

  it('aborts, before the next attempt writes, the upload whose abort failed in an outage', async () => {
    // The outage: part 2's connection is cut, and the abort that follows gets a 500.
    fixture.proxy.cutConnectionDuringPart(2);
    fixture.proxy.failWith('InternalError', 1, { only: ['AbortMultipartUpload'] });
    await fixture.startWorker();
    const runId = await completeLargeRun();
    const run = await fixture.waitForRunFinished(runId);
    expect(run).toMatchObject({ status: 'done', done_reason: 'tasks_done', export_done: true, export_count: 1 });

    const delivery = await deliveryOf(runId);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(fixture.proxy.counts.CreateMultipartUpload).toBe(2);
    // The failed abort of attempt 1, then attempt 2's abort of that same upload.
    expect(fixture.proxy.counts.AbortMultipartUpload).toBe(2);
    expect((await fixture.readObject(delivery.key)).equals(Buffer.from(expectedCsv))).toBe(true);
    expect(await fixture.openUploads()).toBe(0);
    expect(await fixture.store.listOpenWrites(delivery.id)).toEqual([]);
  });

  it('aborts an upload open under the job\'s key that no attempt recorded, as ListMultipartUploads shows it', async () => {
    const runId = await completeLargeRun();
    const { key } = await deliveryOf(runId);
    // Opened under the key by no attempt of ours (say a process killed between creating it and
    // recording it), its body failing after a part and its abort refused: it stays open.
    const body = Readable.from((async function* () {
      yield Buffer.alloc(6 * 1024 * 1024, 0x61);
      throw new Error('the body stops here');
    })());
    fixture.proxy.failWith('InternalError', 1, { only: ['AbortMultipartUpload'] });
    await rejectionOf(uploadObject(uploadInput(s3TargetFor(fixture.proxy.endpoint), key, body)));
    expect(await fixture.openUploads()).toBe(1);
    fixture.proxy.reset();

    // The first attempt is throttled before it opens anything; the second, which had a
    // predecessor, looks under the key before writing (a first attempt has nothing to look for).
    fixture.proxy.failWith('SlowDown', 1, { only: ['CreateMultipartUpload'] });
    await fixture.startWorker();
    expect(await fixture.waitForRunFinished(runId)).toMatchObject({ done_reason: 'tasks_done', export_done: true });
    expect((await deliveryOf(runId)).attempts).toBe(2);
    expect(fixture.proxy.counts.AbortMultipartUpload).toBe(1);
    expect(await fixture.openUploads()).toBe(0);
    expect((await fixture.readObject(key)).equals(Buffer.from(expectedCsv))).toBe(true);
  });

  it('leaves a failed job\'s unaborted upload recorded until the sweep aborts it', async () => {
    // A permanent refusal of the parts fails the job at once, and the abort is refused too.
    fixture.proxy.failWith('AccessDenied', Infinity, { only: ['UploadPart', 'AbortMultipartUpload'] });
    await fixture.startWorker();
    const runId = await completeLargeRun();
    const run = await fixture.waitForRunFinished(runId);
    expect(run).toMatchObject({ status: 'done', done_reason: 'export_failed' });
    const delivery = await deliveryOf(runId);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(await fixture.openUploads()).toBe(1);
    const [recorded, ...more] = await fixture.store.listOpenWrites(delivery.id);
    expect(more).toEqual([]);
    expect(JSON.parse(recorded!.ref)).toMatchObject({ kind: 's3.multipart', bucket: 'test-bucket', key: delivery.key, uploadId: expect.any(String) });

    const sweep = {
      store: fixture.store,
      channels: createTestChannels(fixture.config, { endpoint: fixture.proxy.endpoint, region: 'us-east-1', forcePathStyle: true }),
      clock: Date.now,
      signal: new AbortController().signal,
      logger: pino({ level: 'silent' }),
      limit: 10,
    };
    // Still down: nothing closed, the record stays for the next sweep.
    expect(await sweepOpenWrites(sweep)).toBe(0);
    expect(await fixture.store.listOpenWrites(delivery.id)).toHaveLength(1);
    fixture.proxy.reset();
    expect(await sweepOpenWrites(sweep)).toBe(1);
    expect(await fixture.openUploads()).toBe(0);
    expect(await fixture.store.listOpenWrites(delivery.id)).toEqual([]);
    expect(await fixture.listKeys()).toEqual([]);
  });
});
