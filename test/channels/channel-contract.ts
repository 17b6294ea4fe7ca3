// The contract every delivery channel passes, through the API and a real worker. Every channel:
// configure it (nested or dotted), see it on the squid, pass its test route. A file channel (its
// jobs write the run's export: S3, the test file channel): find the export's bytes at the job's
// target, stop at once on a permanent error, retry a retryable one, write the same target again
// on re-delivery. An event channel (webhook: its jobs tell of a run's events, they write no
// file, hold no run in `uploading` and never fail its export): send each configured event once,
// stop at once on a permanent error, retry a retryable one. The file cases cannot apply to an
// event channel: it has no `file` jobs, no target and no bytes of the export to compare.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryFixture } from '../delivery/delivery-fixture.js';
import { pollUntil } from '../helpers/poll-until.js';

/** A job as GET /v1/runs/{id}/deliveries shows it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobJson = Record<string, any>;

/** What every channel's harness gives. */
export interface ChannelHarnessBase {
  fixture: DeliveryFixture;
  fieldsKey: string;
  testRoute: string;
  /** Settings that work, as sent in `<fieldsKey>` (is_active true). */
  fields(): Record<string, unknown>;
  testBody(): Record<string, unknown>;
  /** Settings whose deliveries fail for good (or makes the destination refuse them). */
  breakForGood(): Promise<Record<string, unknown>>;
  /** Settings whose next delivery fails retryably; heal() makes the following ones work. */
  breakOnce(): Promise<{ fields: Record<string, unknown>; heal(): Promise<void> }>;
  /** Undoes breakForGood / breakOnce after each test. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface ChannelContractHarness extends ChannelHarnessBase {
  /** The job's target as its JSON names it (S3: key). */
  targetOf(job: JobJson): string;
  readDelivered(job: JobJson): Promise<Buffer>;
}

export interface EventChannelContractHarness extends ChannelHarnessBase {
  /** The events of `fields()`, in the order a run makes them: `run.running`, `run.done`. */
  events: string[];
  /** What the destination acknowledged of a job: the run and event of each send it accepted. */
  receivedFor(job: JobJson): Promise<{ runId: string; event: string }[]>;
}

/** Calls on one harness, and the cases every channel passes. */
function describeCommonCases(harness: () => ChannelHarnessBase) {
  const request = (method: string, path: string, body?: unknown) => harness().fixture.server.request(method, path, body);

  async function configure(fields: Record<string, unknown>): Promise<string> {
    const squidId = await harness().fixture.createSquid();
    const response = await request('POST', `/v1/delivery?squid=${squidId}`, { [harness().fieldsKey]: fields });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return squidId;
  }

  async function completeRun(squidId: string, rows: object[]): Promise<string> {
    const runId = await harness().fixture.startRun(squidId);
    await harness().fixture.pushRows(runId, rows);
    expect((await harness().fixture.completeRun(runId)).status).toBe(200);
    return runId;
  }

  async function jobsOf(runId: string, which: (job: JobJson) => boolean): Promise<JobJson[]> {
    const response = await request('GET', `/v1/runs/${runId}/deliveries`);
    expect(response.status).toBe(200);
    return (response.body.data as JobJson[]).filter(which);
  }

  it('is configured through the API, nested or dotted, and shown on the squid', async () => {
    const h = harness();
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
    const response = await request('POST', `/v1/delivery/${harness().testRoute}`, harness().testBody());
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ success: true, status_code: 200 });
  });

  return { request, configure, completeRun, jobsOf };
}

function describeHarnessLifecycle<H extends ChannelHarnessBase>(start: () => Promise<H>): () => H {
  let h: H | undefined;
  beforeAll(async () => {
    h = await start();
  });
  afterEach(async () => {
    await h?.reset();
  });
  afterAll(async () => {
    await h?.close();
  });
  return () => {
    if (h === undefined) throw new Error('the harness has not started');
    return h;
  };
}

export function describeChannelContract(name: string, start: () => Promise<ChannelContractHarness>): void {
  describe(`channel contract: ${name}`, () => {
    const harness = describeHarnessLifecycle(start);
    const { request, configure, completeRun, jobsOf } = describeCommonCases(harness);
    const fileJobs = (runId: string) => jobsOf(runId, (job) => job.event === 'file');
    async function exportBytes(runId: string): Promise<Buffer> {
      const link = await request('GET', `/v1/runs/${runId}/download`);
      return Buffer.from(await (await fetch(link.body.s3 as string)).arrayBuffer());
    }

    it('delivers the export\'s bytes to the job\'s target, and the same target again on re-delivery', async () => {
      const h = harness();
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
      const h = harness();
      const squidId = await configure(await h.breakForGood());
      const runId = await completeRun(squidId, [{ a: 1 }]);
      expect(await h.fixture.waitForRunFinished(runId)).toMatchObject({ done_reason: 'export_failed', export_done: false });
      const [job] = await fileJobs(runId);
      expect(job).toMatchObject({ status: 'failed', attempts: 1 });
      expect(job!.last_error).toMatchObject({ retryable: false });
    });

    it('retries a retryable error, then delivers', async () => {
      const h = harness();
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

export function describeEventChannelContract(name: string, start: () => Promise<EventChannelContractHarness>): void {
  describe(`channel contract (event channel): ${name}`, () => {
    const harness = describeHarnessLifecycle(start);
    const { configure, completeRun, jobsOf } = describeCommonCases(harness);
    const eventJobs = (runId: string) => jobsOf(runId, (job) => job.event !== 'file');

    async function waitForJobsOver(runId: string, count: number): Promise<JobJson[]> {
      let last: JobJson[] = [];
      return pollUntil(async () => {
        last = await eventJobs(runId);
        return last.length === count && last.every((job) => job.status === 'succeeded' || job.status === 'failed') ? last : undefined;
      }, { timeoutMs: 20_000, what: () => `${count} event jobs over; jobs: ${JSON.stringify(last)}` });
    }

    it('sends each configured event of a run once, in order, and holds no run in uploading', async () => {
      const h = harness();
      const runId = await completeRun(await configure(h.fields()), [{ a: 1 }]);
      // No file job: the run ends with its completion, whatever its events' jobs do.
      expect(await h.fixture.waitForRunFinished(runId)).toMatchObject({ status: 'done', done_reason: 'tasks_done', export_count: 0 });
      const jobs = await waitForJobsOver(runId, h.events.length);
      expect(jobs.map((job) => [job.event, job.status, job.attempts, job.round])).toEqual(h.events.map((event) => [event, 'succeeded', 1, 1]));
      for (const job of jobs) expect(await h.receivedFor(job)).toEqual([{ runId, event: job.event }]);
    });

    it('stops at once on a permanent error, and the run\'s export is not failed by it', async () => {
      const h = harness();
      const runId = await completeRun(await configure(await h.breakForGood()), [{ a: 1 }]);
      const jobs = await waitForJobsOver(runId, h.events.length);
      for (const job of jobs) {
        expect(job).toMatchObject({ status: 'failed', attempts: 1 });
        expect(job.last_error).toMatchObject({ retryable: false });
        expect(await h.receivedFor(job)).toEqual([]);
      }
      expect((await h.fixture.server.request('GET', `/v1/runs/${runId}`)).body).toMatchObject({ status: 'done', done_reason: 'tasks_done' });
    });

    it('retries a retryable error, then delivers', async () => {
      const h = harness();
      const broken = await h.breakOnce();
      const runId = await completeRun(await configure(broken.fields), [{ a: 1 }]);
      const retried = (jobs: JobJson[]) => jobs.find((job) => job.attempt_history.some((attempt: JobJson) => attempt.outcome === 'retrying'));
      await pollUntil(async () => retried(await eventJobs(runId)), { timeoutMs: 20_000, what: 'a retrying attempt' });
      await broken.heal();
      const job = retried(await waitForJobsOver(runId, h.events.length))!;
      expect(job).toMatchObject({ status: 'succeeded' });
      expect(job.attempts).toBeGreaterThan(1);
      expect(job.attempt_history[0]).toMatchObject({ outcome: 'retrying', error: { retryable: true } });
      expect(await h.receivedFor(job)).toEqual([{ runId, event: job.event }]);
    });
  });
}
