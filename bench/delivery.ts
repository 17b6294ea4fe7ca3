// bench:delivery: rows in through the NDJSON endpoint, run completed, CSV delivered to the embedded
// S3 endpoint; ingest rate, export-and-upload rate, peak server memory, and the same CSV bytes
// copied by `aws s3 cp` to the same endpoint as the reference. Usage: --help.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { SHARED_ARGS, SHARED_USAGE, readSharedOptions, runBenchmark, startBenchServer, type BenchServer } from './lib/bench-server.js';
import { settleDisk } from './lib/settle-disk.js';
import { AWS_CLI, isAwsCliInstalled, timeAwsCopy, timeAwsStartup } from './lib/aws-cli.js';
import { startCpuMeter } from './lib/process-cpu.js';
import { readProcessMemory, startMemorySampler, type MemoryReport } from './lib/process-memory.js';
import { writeNdjsonFile } from './lib/row-generator.js';
import { downloadObject, headObject, objectUrl } from './lib/s3-object.js';
import type { DeliveryView, SquidshipClient } from './lib/squidship-client.js';
import { EMBEDDED_BUCKET } from './lib/squidship-process.js';
import { formatMib, formatMs, formatRate, formatRatio, printTable } from './lib/table.js';
import { writeResults } from './lib/results-file.js';

const USAGE = `npm run bench:delivery -- [--rows N] [--seed S] [--timeout-s T]
  --rows N              rows to push and deliver (default 1000000)
  --seed S              seed of the row generator (default 42)
  --timeout-s T         give up waiting for the delivery after T seconds (default 1800)
${SHARED_USAGE}`;
const MIB = 1024 * 1024;
const POLL_MS = 250;

interface IngestFigures { ms: number; rows: number; bodyBytes: number; memory: MemoryReport }
/** CPU milliseconds over a phase: Squidship's server and the embedded s3rver (its child). */
interface PhaseCpu { serverMs: number; s3rverMs: number }
interface DeliveryFigures { completeMs: number; ms: number; polledMs: number; delivery: DeliveryView; objectBytes: number; memory: MemoryReport; cpu: PhaseCpu }
interface ReferenceFigures { awsMs: number; awsCpuMs: number; awsStartupMs: number; bytes: number; s3rverCpuMs: number }

runBenchmark(async () => {
  const { values } = parseArgs({
    options: { ...SHARED_ARGS, rows: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '42' }, 'timeout-s': { type: 'string', default: '1800' } },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const options = readSharedOptions(values);
  const rows = readPositiveInt('--rows', values.rows);
  const server = await startBenchServer(options);
  const workDir = await mkdtemp(join(tmpdir(), 'squidship-bench-delivery-'));
  try {
    const input = join(workDir, 'rows.ndjson');
    process.stdout.write(`generating ${rows.toLocaleString('en-US')} rows (seed ${values.seed}) into ${input} ...\n`);
    const bodyBytes = await writeNdjsonFile(input, rows, readPositiveInt('--seed', values.seed));
    const idle = await readProcessMemory(server.squidship.pid);
    const { runId } = await prepareRun(server.client, rows);
    await settleDisk(server.databaseUrl);
    const ingest = await measureIngest(server, runId, input, rows, bodyBytes);
    await settleDisk(server.databaseUrl);
    const delivery = await measureDelivery(server, runId, readPositiveInt('--timeout-s', values['timeout-s']) * 1000);
    const reference = await measureReference(server, delivery, workDir);
    await report({ options: { ...options, rows }, database: server.databaseLabel, idleRssBytes: idle.rssBytes, ingest, delivery, reference });
  } finally {
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
});

function readPositiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} ${String(value)}: use a whole number above 0`);
  return n;
}

async function prepareRun(client: SquidshipClient, rows: number): Promise<{ squidId: string; runId: string }> {
  const squidId = await client.createSquid(`bench delivery ${rows} ${Date.now()}`);
  await client.configureS3Delivery(squidId, EMBEDDED_BUCKET, 'bench');
  return { squidId, runId: await client.startRun(squidId) };
}

async function measureIngest(server: BenchServer, runId: string, input: string, rows: number, bodyBytes: number): Promise<IngestFigures> {
  process.stdout.write(`pushing ${formatMib(bodyBytes)} of NDJSON ...\n`);
  const sampler = await startMemorySampler(server.squidship.pid);
  const startedAt = performance.now();
  const pushed = await server.client.pushNdjson(runId, createReadStream(input, { highWaterMark: 256 * 1024 }), bodyBytes);
  const ms = performance.now() - startedAt;
  const memory = await sampler.stop();
  if (pushed.accepted !== rows) throw new Error(`the server accepted ${pushed.accepted} rows of ${rows}`);
  return { ms, rows, bodyBytes, memory };
}

/**
 * From the `complete` answer to the end of the delivery's attempt, as the server recorded it
 * (`ended_at`, once the object's ETag is back; the same machine's clock). The deliveries are
 * polled only every 250 ms to find out that it succeeded: polling often enough to time it
 * (every 20 ms) kept this process at ~8.6% of a core during the upload (~5% now), CPU taken
 * from the machine the delivery runs on.
 */
async function measureDelivery(server: BenchServer, runId: string, timeoutMs: number): Promise<DeliveryFigures> {
  process.stdout.write('completing the run and waiting for the delivery ...\n');
  const sampler = await startMemorySampler(server.squidship.pid);
  const cpuMeter = await startCpuMeter(server.squidship.pid);
  const sentAt = performance.now();
  await server.client.completeRun(runId);
  const answeredAt = performance.now();
  const answeredAtEpochMs = Date.now();
  const delivery = await waitForDelivery(server.client, runId, answeredAt + timeoutMs);
  const polledMs = performance.now() - answeredAt;
  const memory = await sampler.stop();
  const cpu = await cpuMeter.read();
  const endedAtMs = delivery.attempts.at(-1)?.endedAtMs ?? null;
  if (endedAtMs === null) throw new Error('the succeeded delivery has no attempt with an end time');
  const head = await headObject(objectUrl(server.squidship.s3Endpoint, delivery.bucket || EMBEDDED_BUCKET, delivery.key));
  if (head === null) throw new Error(`the delivery succeeded but ${delivery.key} is not in the bucket`);
  const run = await server.client.getRun(runId);
  if (run.status !== 'done') throw new Error(`the run is ${String(run.status)} after its delivery succeeded`);
  return {
    completeMs: answeredAt - sentAt, ms: endedAtMs - answeredAtEpochMs, polledMs, delivery, objectBytes: head.bytes, memory,
    cpu: { serverMs: cpu.selfMs, s3rverMs: cpu.childrenMs },
  };
}

async function waitForDelivery(client: SquidshipClient, runId: string, deadline: number): Promise<DeliveryView> {
  while (performance.now() < deadline) {
    const [delivery] = await client.listDeliveries(runId);
    if (delivery?.status === 'succeeded') return delivery;
    if (delivery?.status === 'failed') throw new Error(`the delivery failed: ${JSON.stringify(delivery.attempts.at(-1)?.error)}`);
    await delay(POLL_MS);
  }
  throw new Error('the delivery did not succeed before --timeout-s');
}

/** The very same object, downloaded, then uploaded by the aws CLI to the same endpoint. */
async function measureReference(server: BenchServer, delivery: DeliveryFigures, workDir: string): Promise<ReferenceFigures | null> {
  if (!isAwsCliInstalled()) {
    process.stdout.write(`${AWS_CLI} is not installed: no reference, no ratio\n`);
    return null;
  }
  const { s3Endpoint } = server.squidship;
  const bucket = delivery.delivery.bucket || EMBEDDED_BUCKET;
  const file = join(workDir, basename(delivery.delivery.key));
  const bytes = await downloadObject(objectUrl(s3Endpoint, bucket, delivery.delivery.key), file);
  process.stdout.write(`reference: aws s3 cp of the same ${formatMib(bytes)} ...\n`);
  await settleDisk(server.databaseUrl);
  const awsStartup = await timeAwsStartup();
  const cpuMeter = await startCpuMeter(server.squidship.pid);
  const aws = await timeAwsCopy(file, `s3://${bucket}/bench-ref/${basename(file)}`, s3Endpoint);
  const s3rverCpuMs = (await cpuMeter.read()).childrenMs;
  const copied = await headObject(objectUrl(s3Endpoint, bucket, `bench-ref/${basename(file)}`));
  if (copied?.bytes !== bytes) throw new Error(`aws s3 cp left ${String(copied?.bytes)} bytes, expected ${bytes}`);
  return { awsMs: aws.ms, awsCpuMs: aws.cpuMs, awsStartupMs: awsStartup.ms, bytes, s3rverCpuMs };
}

interface Report {
  options: Record<string, unknown>;
  database: string;
  idleRssBytes: number;
  ingest: IngestFigures;
  delivery: DeliveryFigures;
  reference: ReferenceFigures | null;
}

async function report(figures: Report): Promise<void> {
  const { ingest, delivery, reference } = figures;
  const ingestRowsPerS = ingest.rows / (ingest.ms / 1000);
  const exportMibPerS = delivery.objectBytes / MIB / (delivery.ms / 1000);
  const awsMibPerS = reference === null ? null : reference.bytes / MIB / (reference.awsMs / 1000);
  const ratio = awsMibPerS === null ? null : exportMibPerS / awsMibPerS;
  const attempt = delivery.delivery.attempts.at(-1);
  const workerMs = attempt?.startedAtMs != null && attempt.endedAtMs != null ? attempt.endedAtMs - attempt.startedAtMs : null;
  const peakRss = Math.max(ingest.memory.peakRssBytes, delivery.memory.peakRssBytes);
  printTable(`bench:delivery, ${ingest.rows.toLocaleString('en-US')} rows, ${figures.database}`, ['figure', 'value', 'target'], [
    ['ingest: NDJSON body', formatMib(ingest.bodyBytes), ''],
    ['ingest: time', formatMs(ingest.ms), ''],
    ['ingest: rows/s', formatRate(ingestRowsPerS, 'rows/s'), '>= 100,000 rows/s (SQLite)'],
    ['ingest: MiB/s', formatRate(ingest.bodyBytes / MIB / (ingest.ms / 1000), 'MiB/s'), ''],
    ['complete: answered in', formatMs(delivery.completeMs), ''],
    ['export+upload: CSV object', formatMib(delivery.objectBytes), ''],
    ['export+upload: complete -> attempt ended', formatMs(delivery.ms), ''],
    ['export+upload: worker attempt', workerMs === null ? 'n/a' : formatMs(workerMs), ''],
    ['export+upload: MiB/s', formatRate(exportMibPerS, 'MiB/s'), ''],
    ['export+upload: server CPU', formatMs(delivery.cpu.serverMs), ''],
    ['export+upload: s3rver CPU', formatMs(delivery.cpu.s3rverMs), ''],
    ['reference: aws s3 cp (same bytes)', reference === null ? 'n/a' : formatMs(reference.awsMs), ''],
    ['reference: aws CLI start-up alone', reference === null ? 'n/a' : formatMs(reference.awsStartupMs), ''],
    ['reference: aws MiB/s', awsMibPerS === null ? 'n/a' : formatRate(awsMibPerS, 'MiB/s'), ''],
    ['reference: aws CLI CPU', reference === null ? 'n/a' : formatMs(reference.awsCpuMs), ''],
    ['reference: s3rver CPU', reference === null ? 'n/a' : formatMs(reference.s3rverCpuMs), ''],
    ['ratio Squidship / aws', formatRatio(ratio), '>= 1.0x'],
    ['server RSS: idle', formatMib(figures.idleRssBytes), ''],
    ['server RSS: peak during ingest', formatMib(ingest.memory.peakRssBytes), ''],
    ['server RSS: peak during delivery', formatMib(delivery.memory.peakRssBytes), '< 300 MiB'],
    ['embedded s3rver RSS peak (not counted)', formatMib(Math.max(ingest.memory.peakChildrenRssBytes, delivery.memory.peakChildrenRssBytes)), ''],
  ]);
  await writeResults(`delivery-${String(figures.options.db)}-${ingest.rows}`, {
    ...figures,
    derived: { ingestRowsPerS, ingestMibPerS: ingest.bodyBytes / MIB / (ingest.ms / 1000), exportMibPerS, workerAttemptMs: workerMs, awsMibPerS, ratioSquidshipToAws: ratio, peakServerRssBytes: peakRss },
  });
}
