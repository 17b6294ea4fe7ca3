// Delivery failures at the S3 boundary, through the API and a real worker: a permanent refusal
// stops at once, throttling and broken connections are retried to a complete object, and a
// re-delivery after fixing the configuration ends with export_fix. History shows every attempt.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lobstrS3Fields, startDeliveryFixture, type DeliveryFixture } from '../../delivery/delivery-fixture.js';

/** A delivery as GET /v1/runs/{id}/deliveries shows it (the JSON a client reads). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type DeliveryJson = Record<string, any>;

describe('delivery failures and re-delivery', () => {
  let fixture: DeliveryFixture;

  beforeEach(async () => {
    fixture = await startDeliveryFixture();
    await fixture.startWorker();
  });

  afterEach(async () => {
    await fixture.close();
  });

  async function completeRunWith(rows: object[], s3Fields = lobstrS3Fields('exports')) {
    const squidId = await fixture.createSquid();
    expect((await fixture.configureS3(squidId, { s3_fields: s3Fields })).status).toBe(201);
    const runId = await fixture.startRun(squidId);
    await fixture.pushRows(runId, rows);
    expect((await fixture.completeRun(runId)).status).toBe(200);
    return { squidId, runId };
  }

  async function history(runId: string) {
    const response = await fixture.server.request('GET', `/v1/runs/${runId}/deliveries`);
    expect(response.status).toBe(200);
    return response.body.data as DeliveryJson[];
  }

  it('stops at once on AccessDenied: one attempt, export_failed, the hint names the permission', async () => {
    fixture.proxy.failWith('AccessDenied', Infinity, { only: ['PutObject', 'CreateMultipartUpload'] });
    const { runId } = await completeRunWith([{ a: 1 }]);
    const run = await fixture.waitForRunFinished(runId);
    expect(run).toMatchObject({ status: 'done', done_reason: 'export_failed', export_done: false, export_count: 0 });
    const [delivery] = await history(runId);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, bucket: 'test-bucket', next_attempt_at: null });
    expect(delivery!.last_error).toMatchObject({ code: 'AccessDenied', status_code: 403, retryable: false });
    expect(delivery!.last_error.hint).toContain('s3:PutObject');
    expect(delivery!.last_error.hint).toContain('arn:aws:s3:::test-bucket/exports/*');
    expect(delivery!.attempt_history).toHaveLength(1);
    expect(delivery!.attempt_history[0]).toMatchObject({ number: 1, outcome: 'failed', etag: null });
    expect(delivery!.attempt_history[0].error.code).toBe('AccessDenied');
    expect(await fixture.listKeys()).toEqual([]);
    expect(fixture.proxy.counts.PutObject).toBe(1);
  });

  it('stops at once on a stored row the export cannot read, on the export thread: StoredRowUnreadable, one attempt, nothing written', async () => {
    const squidId = await fixture.createSquid();
    expect((await fixture.configureS3(squidId, { s3_fields: lobstrS3Fields('exports') })).status).toBe(201);
    const runId = await fixture.startRun(squidId);
    // Stored directly, as a row the API now refuses or an older version let in would be: past
    // 20,000 rows the export runs on its thread, so the error crosses to the main thread.
    const nowMs = Date.now();
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ data: `{"a":${i}}`, rowHash: `hash ${i}`, scrapingTimeMs: nowMs }));
    rows.push({ data: `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`, rowHash: 'deep', scrapingTimeMs: nowMs });
    const ingestId = await fixture.store.openIngest(runId, nowMs);
    await fixture.store.appendIngestRows(ingestId, rows);
    await fixture.store.commitIngest(ingestId, ['a']);
    expect((await fixture.completeRun(runId)).status).toBe(200);
    const run = await fixture.waitForRunFinished(runId);
    expect(run).toMatchObject({ status: 'done', done_reason: 'export_failed', export_done: false });
    const [delivery] = await history(runId);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, next_attempt_at: null });
    expect(delivery!.last_error).toMatchObject({ code: 'StoredRowUnreadable', retryable: false });
    expect(delivery!.last_error.message).toContain('result 20001 of run');
    expect(await fixture.listKeys()).toEqual([]);
    expect(await fixture.openUploads()).toBe(0);
  });

  it('retries SlowDown twice, then delivers: three attempts and a complete object', async () => {
    fixture.proxy.failWith('SlowDown', 2, { only: ['PutObject'] });
    const { runId } = await completeRunWith([{ a: 1 }, { a: 2 }]);
    const run = await fixture.waitForRunFinished(runId);
    expect(run).toMatchObject({ status: 'done', done_reason: 'tasks_done', export_done: true, export_count: 1 });
    const [delivery] = await history(runId);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3, next_attempt_at: null });
    expect(delivery!.attempt_history.map((attempt: DeliveryJson) => attempt.outcome)).toEqual(['retrying', 'retrying', 'succeeded']);
    expect(delivery!.attempt_history[0].error).toMatchObject({ code: 'SlowDown', status_code: 503, retryable: true });
    const last = delivery!.attempt_history[2];
    expect(last).toMatchObject({ rows: 2, bytes: 9, key: delivery!.key });
    expect(last.etag).toEqual(expect.any(String));
    expect((await fixture.readObject(delivery!.key)).toString('utf8')).toBe('a\r\n1\r\n2\r\n');
  });

  it('retries a connection cut in the middle of a part: object complete, no multipart upload left open', async () => {
    const payload = 'y'.repeat(100);
    const rows = Array.from({ length: 60_000 }, (_, i) => ({ i, payload }));
    fixture.proxy.cutConnectionDuringPart(2);
    const { runId } = await completeRunWith(rows);
    const run = await fixture.waitForRunFinished(runId);
    expect(run).toMatchObject({ status: 'done', done_reason: 'tasks_done', export_done: true });
    const [delivery] = await history(runId);
    expect(delivery!.attempts).toBe(2);
    expect(delivery!.attempt_history[0]).toMatchObject({ outcome: 'retrying' });
    expect(delivery!.attempt_history[0].error.retryable).toBe(true);
    const expected = 'i,payload\r\n' + rows.map((row) => `${row.i},${payload}\r\n`).join('');
    expect((await fixture.readObject(delivery!.key)).equals(Buffer.from(expected))).toBe(true);
    expect(fixture.proxy.counts.AbortMultipartUpload).toBeGreaterThanOrEqual(1);
    expect(await fixture.openUploads()).toBe(0);
  });

  it('re-delivers a failed run after the configuration is fixed: export_fix, same file name', async () => {
    const { squidId, runId } = await completeRunWith([{ a: 'x' }], { ...lobstrS3Fields('exports'), bucket: 'no-such-bucket' });
    const failed = await fixture.waitForRunFinished(runId);
    expect(failed).toMatchObject({ done_reason: 'export_failed', export_done: false });
    const [first] = await history(runId);
    expect(first!.last_error).toMatchObject({ code: 'NoSuchBucket', status_code: 404 });
    expect(first!.attempts).toBe(1);

    expect((await fixture.configureS3(squidId, { s3_fields: lobstrS3Fields('fixed') })).status).toBe(201);
    const redelivery = await fixture.server.request('POST', `/v1/runs/${runId}/deliveries`);
    expect(redelivery.status).toBe(202);
    expect(redelivery.body.data).toHaveLength(1);
    expect(redelivery.body.data[0]).toMatchObject({ object: 'delivery', round: 2, bucket: 'test-bucket', attempt_history: [] });
    expect(['pending', 'running', 'succeeded']).toContain(redelivery.body.data[0].status);

    const fixed = await fixture.waitForRunFinished(runId);
    expect(fixed).toMatchObject({ status: 'done', done_reason: 'export_fix', export_done: true, export_count: 1 });
    const deliveries = await history(runId);
    expect(deliveries.map((d) => [d.round, d.status])).toEqual([[1, 'failed'], [2, 'succeeded']]);
    const fileName = (first!.key as string).split('/').pop();
    expect(deliveries[1]!.key).toBe(`fixed/${fileName}`);
    expect((await fixture.readObject(deliveries[1]!.key)).toString('utf8')).toBe('a\r\nx\r\n');
  });

  it('refuses a re-delivery of a running run, an unknown run, and a squid without active delivery', async () => {
    const squidId = await fixture.createSquid();
    const runId = await fixture.startRun(squidId);
    expect((await fixture.configureS3(squidId, { s3_fields: lobstrS3Fields() })).status).toBe(201);
    const running = await fixture.server.request('POST', `/v1/runs/${runId}/deliveries`);
    expect(running.status).toBe(409);
    expect(running.body.errors.type).toBe('RunNotFinished');
    const unknown = await fixture.server.request('POST', `/v1/runs/${'0'.repeat(32)}/deliveries`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors.type).toBe('RunDoesNotExist');

    expect((await fixture.configureS3(squidId, { s3_fields: { ...lobstrS3Fields(), is_active: false } })).status).toBe(201);
    expect((await fixture.completeRun(runId)).status).toBe(200);
    const inactive = await fixture.server.request('POST', `/v1/runs/${runId}/deliveries`);
    expect(inactive.status).toBe(400);
    expect(inactive.body.errors.type).toBe('NoActiveDestination');
  });

  it('does not deliver for an inactive configuration, and keeps it', async () => {
    const { squidId, runId } = await completeRunWith([{ a: 1 }], { ...lobstrS3Fields(), is_active: false });
    const run = await fixture.waitForRunFinished(runId);
    expect(run).toMatchObject({ status: 'done', done_reason: 'tasks_done' });
    expect(await history(runId)).toEqual([]);
    const squid = await fixture.server.request('GET', `/v1/squids/${squidId}`);
    expect(squid.body.s3_fields).toMatchObject({ bucket: 'test-bucket', is_active: false, target_path: 'exports' });
  });

  it('shows a run\'s deliveries only to its own account', async () => {
    const { runId } = await completeRunWith([{ a: 1 }]);
    await fixture.waitForRunFinished(runId);
    const other = await fixture.server.createAccountWithToken('other');
    const response = await fixture.server.request('GET', `/v1/runs/${runId}/deliveries`, undefined, { authorization: `Token ${other.token}` });
    expect(response.status).toBe(404);
    expect(response.body.errors.type).toBe('RunDoesNotExist');
    const noToken = await fixture.server.request('GET', `/v1/runs/${runId}/deliveries`, undefined, { authorization: '' });
    expect(noToken.status).toBe(401);
  });
});
