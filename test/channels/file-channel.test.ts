// The test-only file channel against the shared channel contract (registered beside S3, as
// main.ts would register it: one more entry in the list), and the `run.running` event: a job
// enqueued when a run starts, which never holds the run in `uploading`.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestConfig, startDeliveryFixture, type DeliveryFixture } from '../delivery/delivery-fixture.js';
import { pollUntil } from '../helpers/poll-until.js';
import { createTestChannels } from '../helpers/test-server.js';
import { describeChannelContract, type JobJson } from './channel-contract.js';
import { createFileChannel } from './file-channel.js';

async function startFileFixture(options: { worker?: boolean } = {}): Promise<{ fixture: DeliveryFixture; root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'squidship-file-channel-'));
  const fixture = await startDeliveryFixture({
    config: createTestConfig({ delivery: { maxAttempts: 50 } }),
    extraChannels: [createFileChannel({ root })],
  });
  if (options.worker !== false) await fixture.startWorker();
  return { fixture, root };
}

describeChannelContract('file (test-only)', async () => {
  const { fixture, root } = await startFileFixture();
  await mkdir(join(root, 'out'));
  let healed = 0;
  return {
    fixture,
    fieldsKey: 'file_fields',
    testRoute: 'test-file',
    fields: () => ({ folder: 'out', is_active: true }),
    testBody: () => ({ folder: 'out' }),
    targetOf: (job) => job.file as string,
    readDelivered: (job) => readFile(join(root, job.folder as string, job.file as string)),
    async breakForGood() {
      // A regular file where the folder should be: ENOTDIR, no retry can fix it.
      await writeFile(join(root, 'blocked'), 'not a folder');
      return { folder: 'blocked/inside', is_active: true };
    },
    async breakOnce() {
      healed += 1;
      const folder = `later-${healed}`;
      return { fields: { folder, is_active: true }, heal: () => mkdir(join(root, folder)).then(() => undefined) };
    },
    reset: async () => undefined,
    async close() {
      await fixture.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('a channel that fires on run.running', () => {
  let fixture: DeliveryFixture;
  let root: string;
  beforeAll(async () => {
    ({ fixture, root } = await startFileFixture());
    await mkdir(join(root, 'events'));
  });
  afterAll(async () => {
    await fixture.close();
    await rm(root, { recursive: true, force: true });
  });

  it('gets a job when a run starts, delivered while the run runs; the run ends without uploading', async () => {
    const squidId = await fixture.createSquid();
    const configured = await fixture.server.request('POST', `/v1/delivery?squid=${squidId}`, { file_fields: { folder: 'events', is_active: true, events: ['run.running'] } });
    expect(configured.status).toBe(201);
    const runId = await fixture.startRun(squidId);
    const jobs = async () => (await fixture.server.request('GET', `/v1/runs/${runId}/deliveries`)).body.data as JobJson[];
    // Enqueued by the start itself: the job is there as soon as the start has answered.
    expect((await jobs()).map((job) => [job.kind, job.event, job.round])).toEqual([['file', 'run.running', 1]]);
    await pollUntil(async () => (await jobs())[0]?.status === 'succeeded', { timeoutMs: 20_000, what: 'the run.running job to succeed' });
    const [job] = await jobs();
    expect(JSON.parse(await readFile(join(root, 'events', job!.file as string), 'utf8'))).toEqual({ event: 'run.running', run: runId });
    expect((await fixture.server.request('GET', `/v1/runs/${runId}`)).body).toMatchObject({ status: 'running', export_count: 0 });
    const completed = await fixture.completeRun(runId);
    expect(completed.body).toMatchObject({ status: 'done', done_reason: 'tasks_done' });
  });
});

describe('a job whose channel is no longer registered', () => {
  it('fails at once, saying so', async () => {
    const { fixture, root } = await startFileFixture({ worker: false });
    try {
      await mkdir(join(root, 'out'));
      // A worker of a server that has the S3 channel only.
      await fixture.startWorker({ channels: createTestChannels(fixture.config, fixture.s3Defaults) });
      const squidId = await fixture.createSquid();
      expect((await fixture.server.request('POST', `/v1/delivery?squid=${squidId}`, { file_fields: { folder: 'out', is_active: true } })).status).toBe(201);
      const runId = await fixture.startRun(squidId);
      expect((await fixture.completeRun(runId)).status).toBe(200);
      expect(await fixture.waitForRunFinished(runId)).toMatchObject({ done_reason: 'export_failed' });
      const [job] = (await fixture.server.request('GET', `/v1/runs/${runId}/deliveries`)).body.data as JobJson[];
      expect(job).toMatchObject({ kind: 'file', status: 'failed', attempts: 1 });
      expect(job!.last_error).toMatchObject({ code: 'DeliveryChannelNotAvailable', retryable: false });
      expect(job!.last_error.message).toContain('"file"');
    } finally {
      await fixture.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('an export that fails under a channel', () => {
  it('is named by the export\'s own error and hint, not the channel\'s reading of it, and leaves nothing at the target', async () => {
    const { fixture, root } = await startFileFixture();
    try {
      await mkdir(join(root, 'out'));
      const squidId = await fixture.createSquid();
      expect((await fixture.server.request('POST', `/v1/delivery?squid=${squidId}`, { file_fields: { folder: 'out', is_active: true } })).status).toBe(201);
      const runId = await fixture.startRun(squidId);
      // Stored directly, as a row an older version let in: no export can read it.
      const ingestId = await fixture.store.openIngest(runId, Date.now());
      const deep = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
      await fixture.store.appendIngestRows(ingestId, [{ data: '{"a":1}', rowHash: 'one', scrapingTimeMs: Date.now() }, { data: deep, rowHash: 'deep', scrapingTimeMs: Date.now() }]);
      await fixture.store.commitIngest(ingestId, ['a']);
      expect((await fixture.completeRun(runId)).status).toBe(200);
      expect(await fixture.waitForRunFinished(runId)).toMatchObject({ done_reason: 'export_failed' });
      const [job] = (await fixture.server.request('GET', `/v1/runs/${runId}/deliveries`)).body.data as JobJson[];
      expect(job).toMatchObject({ status: 'failed', attempts: 1 });
      // The file channel's own classify would have hinted at the folder.
      expect(job!.last_error).toMatchObject({ code: 'StoredRowUnreadable', retryable: false });
      expect(job!.last_error.hint).toContain('push the run\'s results again');
      expect(await readdir(join(root, 'out'))).toEqual([]);
    } finally {
      await fixture.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
