// The contract every delivery channel passes, through the API and a real worker: configure it,
// test it, complete a run and find the export's bytes at the job's target, stop at once on a
// permanent error, retry a retryable one, and write the same target again on re-delivery.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryFixture } from '../delivery/delivery-fixture.js';
import { pollUntil } from '../helpers/poll-until.js';

/** A job as GET /v1/runs/{id}/deliveries shows it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobJson = Record<string, any>;

export interface ChannelContractHarness {
  fixture: DeliveryFixture;
  fieldsKey: string;
  testRoute: string;
  /** Settings that work, as sent in `<fieldsKey>` (is_active true). */
  fields(): Record<string, unknown>;
  testBody(): Record<string, unknown>;
  /** The job's target as its JSON names it (S3: key). */
  targetOf(job: JobJson): string;
  readDelivered(job: JobJson): Promise<Buffer>;
  /** Settings whose deliveries fail for good (or makes the destination refuse them). */
  breakForGood(): Promise<Record<string, unknown>>;
  /** Settings whose next delivery fails retryably; heal() makes the following ones work. */
  breakOnce(): Promise<{ fields: Record<string, unknown>; heal(): Promise<void> }>;
  /** Undoes breakForGood / breakOnce after each test. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export function describeChannelContract(name: string, start: () => Promise<ChannelContractHarness>): void {
  describe(`channel contract: ${name}`, () => {
    let h: ChannelContractHarness;
    beforeAll(async () => {
      h = await start();
    });
    afterEach(async () => {
      await h.reset();
    });
    afterAll(async () => {
      await h.close();
    });

    const request = (method: string, path: string, body?: unknown) => h.fixture.server.request(method, path, body);

    async function configure(fields: Record<string, unknown>): Promise<string> {
      const squidId = await h.fixture.createSquid();
      const response = await request('POST', `/v1/delivery?squid=${squidId}`, { [h.fieldsKey]: fields });
      expect(response.status).toBe(201);
      return squidId;
    }

    async function completeRun(squidId: string, rows: object[]): Promise<string> {
      const runId = await h.fixture.startRun(squidId);
      await h.fixture.pushRows(runId, rows);
      expect((await h.fixture.completeRun(runId)).status).toBe(200);
      return runId;
    }

    async function fileJobs(runId: string): Promise<JobJson[]> {
      const response = await request('GET', `/v1/runs/${runId}/deliveries`);
      expect(response.status).toBe(200);
      return (response.body.data as JobJson[]).filter((job) => job.event === 'file');
    }

    async function exportBytes(runId: string): Promise<Buffer> {
      const link = await request('GET', `/v1/runs/${runId}/download`);
      return Buffer.from(await (await fetch(link.body.s3 as string)).arrayBuffer());
    }

    it('is configured through the API, nested or dotted, and shown on the squid', async () => {
      const fields = h.fields();
      const squidId = await configure(fields);
      const dotted = Object.fromEntries(Object.entries(fields).map(([key, value]) => [`${h.fieldsKey}.${key}`, value]));
      const again = await request('POST', `/v1/delivery?squid=${squidId}`, dotted);
      expect(again.status).toBe(201);
      const squid = await request('GET', `/v1/squids/${squidId}`);
      expect(squid.body[h.fieldsKey]).toEqual(again.body[h.fieldsKey]);
      expect(squid.body[h.fieldsKey]).toMatchObject({ is_active: true });
    });

    it('answers its test route with success', async () => {
      const response = await request('POST', `/v1/delivery/${h.testRoute}`, h.testBody());
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ success: true, status_code: 200 });
    });

    it('delivers the export\'s bytes to the job\'s target, and the same target again on re-delivery', async () => {
      const squidId = await configure(h.fields());
      const runId = await completeRun(squidId, [{ a: 1, b: 'x' }, { a: 2, c: 'y\nz' }]);
      expect(await h.fixture.waitForRunFinished(runId)).toMatchObject({ status: 'done', export_done: true, export_count: 1 });
      const [job] = await fileJobs(runId);
      expect(job).toMatchObject({ status: 'succeeded', attempts: 1, round: 1 });
      const expected = await exportBytes(runId);
      expect((await h.readDelivered(job!)).equals(expected)).toBe(true);
      expect(job!.attempt_history[0]).toMatchObject({ outcome: 'succeeded', rows: 2, bytes: expected.length });

      expect((await request('POST', `/v1/runs/${runId}/deliveries`)).status).toBe(202);
      await pollUntil(async () => (await fileJobs(runId)).every((candidate) => candidate.status === 'succeeded'), { timeoutMs: 20_000, what: 'every file job to succeed' });
      const second = (await fileJobs(runId))[1]!;
      expect(second).toMatchObject({ round: 2, status: 'succeeded' });
      expect(h.targetOf(second)).toBe(h.targetOf(job!));
      expect((await h.readDelivered(second)).equals(expected)).toBe(true);
    });

    it('stops at once on a permanent error', async () => {
      const squidId = await configure(await h.breakForGood());
      const runId = await completeRun(squidId, [{ a: 1 }]);
      expect(await h.fixture.waitForRunFinished(runId)).toMatchObject({ done_reason: 'export_failed', export_done: false });
      const [job] = await fileJobs(runId);
      expect(job).toMatchObject({ status: 'failed', attempts: 1 });
      expect(job!.last_error).toMatchObject({ retryable: false });
    });

    it('retries a retryable error, then delivers', async () => {
      const broken = await h.breakOnce();
      const squidId = await configure(broken.fields);
      const runId = await completeRun(squidId, [{ a: 1 }]);
      await pollUntil(async () => (await fileJobs(runId))[0]?.attempt_history.some((a: JobJson) => a.outcome === 'retrying') === true, { timeoutMs: 20_000, what: 'a retrying attempt' });
      await broken.heal();
      expect(await h.fixture.waitForRunFinished(runId)).toMatchObject({ done_reason: 'tasks_done', export_done: true });
      const [job] = await fileJobs(runId);
      expect(job!.attempts).toBeGreaterThan(1);
      expect(job!.attempt_history[0]).toMatchObject({ outcome: 'retrying', error: { retryable: true } });
      expect((await h.readDelivered(job!)).equals(await exportBytes(runId))).toBe(true);
    });
  });
}
