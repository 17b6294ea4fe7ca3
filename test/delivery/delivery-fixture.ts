// A whole delivery setup for tests, all real: a Squidship HTTP server over a temp store, an
// s3rver bucket behind a fault proxy (the server-wide default endpoint, so configure bodies can
// be exactly Lobstr's), and delivery workers with small backoff settings and a long safety poll
// (so a test only passes if wakeups and due-time sleeps work). Logs are kept for inspection.
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { DeliveryChannel } from '../../src/channels/channel.js';
import type { ChannelRegistry } from '../../src/channels/registry.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { systemClock, type Clock } from '../../src/domain/clock.js';
import type { S3Defaults } from '../../src/channels/s3/s3-defaults.js';
import { renderRunDownloadUrl } from '../../src/delivery/download-signature.js';
import { createDeliveryWorker, type DeliveryWorker } from '../../src/delivery/worker.js';
import { listObjectKeys, listOpenMultipartUploads, readObject, type StoredObject } from '../../src/channels/s3/list-objects.js';
import type { Store } from '../../src/storage/store.js';
import { startS3FaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.js';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, s3TargetFor, startS3rver, TEST_BUCKET, type TestS3rver } from '../helpers/s3rver.js';
import { createTestChannels, startTestServer, type TestResponse, type TestServer } from '../helpers/test-server.js';
import { pollUntil } from '../helpers/poll-until.js';

export const MIB = 1024 * 1024;

/** Lobstr's documented s3_fields for the test bucket (endpoint from the server-wide default). */
export function lobstrS3Fields(targetPath = 'exports'): Record<string, unknown> {
  return { bucket: TEST_BUCKET, is_active: true, target_path: targetPath, aws_access_key: S3RVER_ACCESS_KEY, aws_secret_key: S3RVER_SECRET_KEY };
}

export function createTestConfig(overrides: { delivery?: Partial<Config['delivery']>; s3?: Partial<Config['s3']>; shutdownTimeoutMs?: number } = {}): Config {
  const base = loadConfig({}, tmpdir());
  return {
    ...base,
    shutdownTimeoutMs: overrides.shutdownTimeoutMs ?? 2000,
    s3: { ...base.s3, partSizeBytes: 5 * MIB, queueSize: 2, requestTimeoutMs: 5000, probeTimeoutMs: 2000, ...overrides.s3 },
    delivery: {
      ...base.delivery,
      maxAttempts: 5,
      backoffBaseMs: 10,
      backoffMaxMs: 50,
      leaseMs: 5000,
      concurrency: 2,
      // Far longer than any test: deliveries must start from wakeups and due-time sleeps.
      pollIntervalMs: 600_000,
      ...overrides.delivery,
    },
  };
}

export interface LogLine {
  msg: string;
  [field: string]: unknown;
}

export interface WorkerOptions {
  workerId?: string;
  clock?: Clock;
  config?: Config;
  s3Defaults?: S3Defaults;
  /** The worker's channels; default: those of the server. */
  channels?: ChannelRegistry;
}

export interface DeliveryFixture {
  server: TestServer;
  store: Store;
  s3: TestS3rver;
  proxy: FaultProxy;
  config: Config;
  s3Defaults: S3Defaults;
  logs: LogLine[];
  startWorker(options?: WorkerOptions): Promise<DeliveryWorker>;
  createSquid(settings?: Record<string, unknown>): Promise<string>;
  configureS3(squidId: string, body: Record<string, unknown>): Promise<TestResponse>;
  startRun(squidId: string): Promise<string>;
  pushRows(runId: string, rows: readonly object[]): Promise<void>;
  completeRun(runId: string): Promise<TestResponse>;
  /** Polls GET /v1/runs/{id} until `done` (or `aborted`) and returns the run. */
  waitForRunFinished(runId: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The object's bytes. */
  readObject(key: string): Promise<Buffer>;
  /** The object with its content type and metadata. */
  readStoredObject(key: string): Promise<StoredObject>;
  listKeys(prefix?: string): Promise<string[]>;
  /** Multipart uploads left open in the bucket. */
  openUploads(): Promise<number>;
  close(): Promise<void>;
}

export interface DeliveryFixtureOptions {
  store?: Store;
  config?: Config;
  /** Channels registered after S3's, on the server and the workers. */
  extraChannels?: readonly DeliveryChannel[];
}

export async function startDeliveryFixture(options: DeliveryFixtureOptions = {}): Promise<DeliveryFixture> {
  const config = options.config ?? createTestConfig();
  const s3 = await startS3rver();
  const proxy = await startS3FaultProxy(s3.endpoint);
  const s3Defaults: S3Defaults = { endpoint: proxy.endpoint, region: 'us-east-1', forcePathStyle: true };
  const server = await startTestServer({ store: options.store, config, s3Defaults, extraChannels: options.extraChannels });
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line) as LogLine);
      callback();
    },
  }));
  const workers: DeliveryWorker[] = [];
  // As main.ts gives its workers: links the server answers (its key, its real port).
  const renderDownloadUrl = (runId: string, nowMs: number): string =>
    renderRunDownloadUrl(server.deps.publicUrl, server.deps.urlSigningKey, runId, Math.floor(nowMs / 1000) + config.downloadUrlTtlSeconds);
  const directTarget = s3TargetFor(s3.endpoint);

  async function expectStatus(response: TestResponse, status: number, what: string): Promise<TestResponse> {
    if (response.status !== status) throw new Error(`${what}: expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
    return response;
  }

  return {
    server,
    store: server.store,
    s3,
    proxy,
    config,
    s3Defaults,
    logs,
    async startWorker(workerOptions = {}) {
      const worker = createDeliveryWorker({
        store: server.store,
        clock: workerOptions.clock ?? systemClock,
        config: workerOptions.config ?? config,
        channels: workerOptions.channels ?? createTestChannels(workerOptions.config ?? config, workerOptions.s3Defaults ?? s3Defaults, options.extraChannels, { renderDownloadUrl }),
        workerId: workerOptions.workerId ?? `test-worker-${workers.length + 1}`,
        logger,
      });
      workers.push(worker);
      await worker.start();
      return worker;
    },
    async createSquid(settings = {}) {
      const created = await expectStatus(await server.request('POST', '/v1/squids', { name: `squid ${Math.random().toString(36).slice(2, 8)}` }), 200, 'create squid');
      const id = created.body.id as string;
      if (Object.keys(settings).length > 0) await expectStatus(await server.request('POST', `/v1/squids/${id}`, settings), 200, 'update squid');
      return id;
    },
    configureS3: (squidId, body) => server.request('POST', `/v1/delivery?squid=${squidId}`, body),
    async startRun(squidId) {
      const started = await expectStatus(await server.request('POST', '/v1/runs', { squid: squidId }), 200, 'start run');
      return started.body.id as string;
    },
    async pushRows(runId, rows) {
      if (rows.length === 0) return;
      const body = rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
      await expectStatus(await server.request('POST', `/v1/runs/${runId}/results`, body, { 'content-type': 'application/x-ndjson' }), 200, 'push rows');
    },
    completeRun: (runId) => server.request('POST', `/v1/runs/${runId}/complete`),
    async waitForRunFinished(runId, timeoutMs = 30_000) {
      let last: unknown = null;
      await pollUntil(async () => {
        const response = await server.request('GET', `/v1/runs/${runId}`);
        last = response.body;
        return response.body.status === 'done' || response.body.status === 'aborted';
      }, { timeoutMs, what: () => `run ${runId} to finish; last: ${JSON.stringify(last)}` });
      return last as Record<string, unknown>;
    },
    readObject: async (key) => (await readObject(directTarget, key)).body,
    readStoredObject: (key) => readObject(directTarget, key),
    listKeys: (prefix = '') => listObjectKeys(directTarget, prefix),
    openUploads: () => listOpenMultipartUploads(directTarget),
    async close() {
      await Promise.all(workers.map((worker) => worker.stop()));
      await server.close();
      await proxy.close();
      await s3.stop();
    },
  };
}
