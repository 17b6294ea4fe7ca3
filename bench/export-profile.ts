// Export-and-upload, taken apart: on a pre-filled SQLite store and an embedded s3rver, times each
// stage of a delivery on its own (store read, read + CSV encode, upload of ready bytes, the whole
// delivery) and samples this process's memory, so a slow or fat stage shows by itself.
// Usage: npx tsx bench/export-profile.ts [--rows N] [--phases read,upload,deliver,aws] [--batch-rows N]
// (read + encode always runs, with --batch-rows rows per store read; deliverJob uses the default).
// The filled store is kept in $TMPDIR/squidship-export-profile/<rows>.db and reused (--fresh
// rebuilds it). Not part of npm test; nothing is asserted.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import type { Run, Squid } from '../src/domain/types.js';
import pino from 'pino';
import { createChannelRegistry } from '../src/channels/registry.js';
import { createS3Channel } from '../src/channels/s3/s3-channel.js';
import { deliverJob } from '../src/delivery/deliver-job.js';
import { openExport } from '../src/export/pipeline.js';
import { toByteStream } from '../src/export/response-body.js';
import { startEmbeddedS3 } from '../src/channels/s3/embedded-server.js';
import type { S3Target } from '../src/channels/s3/s3-target.js';
import { uploadObject } from '../src/channels/s3/upload.js';
import { createEgressPolicy, renderOrigin } from '../src/egress/egress-policy.js';
import { createSecretBox } from '../src/storage/secret-box.js';
import { createSqliteStore } from '../src/storage/sqlite/create-sqlite-store.js';
import type { Store } from '../src/storage/store.js';
import { AWS_CLI, isAwsCliInstalled, timeAwsCopy } from './lib/aws-cli.js';
import { createRowGenerator } from './lib/row-generator.js';

const MIB = 1024 * 1024;
const BUCKET = 'my-bucket';
const S3_SETTINGS = { partSizeBytes: 8 * MIB, queueSize: 4, requestTimeoutMs: 120_000 };

/** The S3 channel as main.ts registers it, its default endpoint the profile's s3rver. */
function profileChannels(endpoint: string) {
  const defaults = { endpoint, region: 'us-east-1', forcePathStyle: true };
  const egress = createEgressPolicy({ allow: [], implicitOrigins: [renderOrigin(endpoint)] });
  return createChannelRegistry([createS3Channel({ defaults, settings: { ...S3_SETTINGS, probeTimeoutMs: 10_000 }, egress })]);
}

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    phases: { type: 'string', default: 'read,encode,upload,deliver,aws' },
    fresh: { type: 'boolean', default: false },
    'batch-rows': { type: 'string', default: '2000' },
  },
});
const rowCount = Number(values.rows);
const phases = new Set((values.phases ?? '').split(','));

interface MemoryPeak { rss: number; heapUsed: number; external: number; arrayBuffers: number }

/** Samples process.memoryUsage() every 50 ms; the peak of each figure. */
function startMemorySampler(): { stop(): MemoryPeak } {
  const peak: MemoryPeak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sample = () => {
    const usage = process.memoryUsage();
    peak.rss = Math.max(peak.rss, usage.rss);
    peak.heapUsed = Math.max(peak.heapUsed, usage.heapUsed);
    peak.external = Math.max(peak.external, usage.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, usage.arrayBuffers);
  };
  const timer = setInterval(sample, 50);
  return { stop: () => (clearInterval(timer), sample(), peak) };
}

/** CPU seconds (user + system) of the child processes (s3rver, aws): read from /proc. */
function readChildrenCpuSeconds(): number {
  const ticksPerSecond = 100;
  let total = 0;
  const pids = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // utime, stime, cutime, cstime: fields 14-17 of stat, 12-15 after the command name.
      total += fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0) / ticksPerSecond;
    } catch {
      // The child has exited between the listing and the read.
    }
  }
  return total;
}

async function measure(name: string, bytes: () => number, body: () => Promise<unknown>): Promise<void> {
  globalThis.gc?.();
  const sampler = startMemorySampler();
  const cpuBefore = process.cpuUsage();
  const childrenBefore = readChildrenCpuSeconds();
  const startedAt = performance.now();
  await body();
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const childrenCpu = readChildrenCpuSeconds() - childrenBefore;
  const peak = sampler.stop();
  const mb = (n: number) => `${(n / MIB).toFixed(0)}`.padStart(4);
  process.stdout.write(
    `${name.padEnd(22)} ${seconds.toFixed(2).padStart(6)} s ${(bytes() / MIB / seconds).toFixed(1).padStart(7)} MiB/s` +
      ` cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1).padStart(5)} s (children ${childrenCpu.toFixed(1).padStart(4)} s)` +
      `   peak MiB: rss ${mb(peak.rss)} heap ${mb(peak.heapUsed)} external ${mb(peak.external)} arrayBuffers ${mb(peak.arrayBuffers)}\n`,
  );
}

async function openFilledStore(): Promise<{ store: Store; run: Run; squid: Squid }> {
  const dir = join(tmpdir(), 'squidship-export-profile');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${rowCount}.db`);
  if (values.fresh) await rm(file, { force: true });
  const exists = existsSync(file);
  const store = await createSqliteStore({ filePath: file, secretBox: createSecretBox(Buffer.alloc(32, 7)) });
  await store.migrate();
  if (!exists) await fillStore(store);
  const found = await findRun(store, file);
  return { store, ...found };
}

/** The profile's single run: its id is kept next to the database file. */
async function findRun(store: Store, file: string): Promise<{ run: Run; squid: Squid }> {
  const { readFile } = await import('node:fs/promises');
  const runId = (await readFile(`${file}.run`, 'utf8')).trim();
  const run = await store.getRunById(runId);
  const squid = run === null ? null : await store.getSquidById(run.squidId);
  if (run === null || squid === null) throw new Error(`run ${runId} not in ${file}: use --fresh`);
  return { run, squid };
}

async function fillStore(store: Store): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  process.stdout.write(`filling a SQLite store with ${rowCount} rows (kept for next time) ...\n`);
  const account = await store.createAccount({ name: 'profile', email: 'profile@example.com', nowMs: 1 });
  const squid = await store.createSquid({ accountId: account.id, crawlerId: '0'.repeat(32), name: 'profile', nowMs: 1 });
  const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 1 });
  const generator = createRowGenerator(42);
  const columns = new Set<string>();
  const ingest = await store.openIngest(run.id, 1);
  for (let done = 0; done < rowCount; ) {
    const batch = [];
    for (let i = 0; i < 5000 && done < rowCount; i++, done++) {
      const row = generator.next();
      for (const key of Object.keys(row)) columns.add(key);
      const data = JSON.stringify(row);
      batch.push({ data, rowHash: createHash('sha1').update(data).digest('hex'), scrapingTimeMs: 1 });
    }
    await store.appendIngestRows(ingest, batch);
  }
  await store.commitIngest(ingest, [...columns]);
  await writeFile(join(tmpdir(), 'squidship-export-profile', `${rowCount}.db.run`), run.id);
}

/** `total` bytes of a repeated 1 MiB pattern in 128 KiB chunks: an upload with no export cost. */
function createPatternStream(total: number): Readable {
  const pattern = randomBytes(128 * 1024);
  let sent = 0;
  return new Readable({
    read() {
      const size = Math.min(pattern.length, total - sent);
      sent += size;
      this.push(size === 0 ? null : size === pattern.length ? pattern : pattern.subarray(0, size));
    },
  });
}

async function main(): Promise<void> {
  const { store, run, squid } = await openFilledStore();
  const s3Dir = await mkdtemp(join(tmpdir(), 'squidship-export-profile-s3-'));
  const s3 = await startEmbeddedS3({ host: '127.0.0.1', port: 0, directory: s3Dir, buckets: [BUCKET] });
  const target: S3Target = {
    bucket: BUCKET,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  };
  let csvBytes = 0;
  try {
    if (phases.has('read')) {
      let bytes = 0;
      await measure('store read', () => bytes, async () => {
        for await (const batch of store.streamRunResultTexts(run.id, { unique: false, batchSize: 1000 })) bytes += batch.texts.length;
      });
    }
    // Always measured: the upload phases need the CSV's size.
    {
      const exported = openExport(store, run, squid, { format: 'csv', batchSize: Number(values['batch-rows']) });
      const { stats } = exported;
      const stream = toByteStream(exported);
      const keep = phases.has('aws') ? createWriteStream(join(s3Dir, 'reference.csv')) : null;
      await measure('read + encode', () => stats.bytes, async () => {
        if (keep !== null) await pipeline(stream, keep);
        else for await (const _chunk of stream) void _chunk;
      });
      csvBytes = stats.bytes;
    }
    if (phases.has('upload')) {
      await measure('upload ready bytes', () => csvBytes, () =>
        uploadObject({ target, key: 'profile/pattern.csv', body: createPatternStream(csvBytes), contentType: 'text/csv', metadata: {}, ...S3_SETTINGS }),
      );
    }
    if (phases.has('deliver')) {
      const delivery = { id: 'd', runId: run.id, kind: 's3', event: 'file', target: 'profile/run.csv', config: { bucket: BUCKET, targetPath: 'profile', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true } };
      await measure('deliverJob', () => csvBytes, () =>
        deliverJob({ store, channels: profileChannels(s3.endpoint), delivery: delivery as never, clock: Date.now, logger: pino({ level: 'silent' }), signal: new AbortController().signal, nativeEncoders: true, workerId: null }),
      );
    }
    if (phases.has('aws') && isAwsCliInstalled()) {
      const file = join(s3Dir, 'reference.csv');
      const size = (await stat(file)).size;
      await measure(`${AWS_CLI} s3 cp`, () => size, () => timeAwsCopy(file, `s3://${BUCKET}/ref/reference.csv`, s3.endpoint));
    }
    process.stdout.write(`CSV ${(csvBytes / MIB).toFixed(0)} MiB, ${rowCount} rows\n`);
  } finally {
    await s3.stop();
    await store.close();
    await rm(s3Dir, { recursive: true, force: true });
  }
}

await main();
