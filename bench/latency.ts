// bench:latency: small runs (100 rows) completed one after another; for each, the time from the
// `complete` answer to the delivery seen succeeded with its object visible in the bucket.
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { SHARED_ARGS, SHARED_USAGE, readSharedOptions, runBenchmark, startBenchServer, type BenchServer } from './lib/bench-server.js';
import { percentile } from './lib/percentile.js';
import { createNdjsonStream } from './lib/row-generator.js';
import { headObject, objectUrl } from './lib/s3-object.js';
import { EMBEDDED_BUCKET } from './lib/squidship-process.js';
import { formatMs, printTable } from './lib/table.js';
import { writeResults } from './lib/results-file.js';

const USAGE = `npm run bench:latency -- [--runs N] [--rows N] [--poll-ms N]
  --runs N       runs, one after another (default 200)
  --rows N       rows per run (default 100)
  --poll-ms N    how often the delivery is polled (default 10; the figures' resolution)
${SHARED_USAGE}`;
const WARM_UP_RUNS = 3;
const RUN_TIMEOUT_MS = 60_000;

runBenchmark(async () => {
  const { values } = parseArgs({
    options: { ...SHARED_ARGS, runs: { type: 'string', default: '200' }, rows: { type: 'string', default: '100' }, 'poll-ms': { type: 'string', default: '10' } },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const options = readSharedOptions(values);
  const [runs, rows, pollMs] = [Number(values.runs), Number(values.rows), Number(values['poll-ms'])];
  if (![runs, rows, pollMs].every((n) => Number.isSafeInteger(n) && n > 0)) throw new Error('--runs, --rows and --poll-ms take whole numbers above 0');
  const body = await readAll(createNdjsonStream(rows, 7));
  const server = await startBenchServer(options);
  try {
    const squidId = await server.client.createSquid(`bench latency ${Date.now()}`);
    await server.client.configureS3Delivery(squidId, EMBEDDED_BUCKET, 'bench');
    // A few unrecorded runs first, so the figures show the steady state, not the first JIT pass.
    for (let n = 0; n < WARM_UP_RUNS; n += 1) await measureOneRun(server, squidId, body, pollMs);
    const latenciesMs: number[] = [];
    for (let n = 0; n < runs; n += 1) {
      latenciesMs.push(await measureOneRun(server, squidId, body, pollMs));
      if ((n + 1) % 50 === 0) process.stdout.write(`${n + 1}/${runs} runs\n`);
    }
    await report({ options: { ...options, runs, rows, pollMs }, database: server.databaseLabel, latenciesMs });
  } finally {
    await server.stop();
  }
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** One run: start, push, complete; answers ms from the complete answer to the object visible. */
async function measureOneRun(server: BenchServer, squidId: string, body: Buffer, pollMs: number): Promise<number> {
  const { client, squidship } = server;
  const runId = await client.startRun(squidId);
  await client.pushNdjson(runId, Readable.from([body]), body.length);
  await client.completeRun(runId);
  const answeredAt = performance.now();
  const deadline = answeredAt + RUN_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const [delivery] = await client.listDeliveries(runId);
    if (delivery?.status === 'failed') throw new Error(`run ${runId}: the delivery failed: ${JSON.stringify(delivery.attempts.at(-1)?.error)}`);
    if (delivery?.status === 'succeeded') {
      const visible = await headObject(objectUrl(squidship.s3Endpoint, delivery.bucket || EMBEDDED_BUCKET, delivery.key));
      if (visible === null) throw new Error(`run ${runId}: the delivery succeeded but ${delivery.key} is not in the bucket`);
      return performance.now() - answeredAt;
    }
    await delay(pollMs);
  }
  throw new Error(`run ${runId}: no successful delivery within ${RUN_TIMEOUT_MS} ms`);
}

async function report(figures: { options: Record<string, unknown>; database: string; latenciesMs: number[] }): Promise<void> {
  const { latenciesMs } = figures;
  const summary = {
    p50Ms: percentile(latenciesMs, 50),
    p95Ms: percentile(latenciesMs, 95),
    p99Ms: percentile(latenciesMs, 99),
    minMs: Math.min(...latenciesMs),
    maxMs: Math.max(...latenciesMs),
    meanMs: latenciesMs.reduce((a, b) => a + b, 0) / latenciesMs.length,
  };
  printTable(`bench:latency, ${latenciesMs.length} runs of ${String(figures.options.rows)} rows, ${figures.database}: complete answered -> object visible`, ['figure', 'value', 'target'], [
    ['p50', formatMs(summary.p50Ms), '< 250 ms'],
    ['p95', formatMs(summary.p95Ms), ''],
    ['p99', formatMs(summary.p99Ms), '< 1 s'],
    ['min', formatMs(summary.minMs), ''],
    ['mean', formatMs(summary.meanMs), ''],
    ['max', formatMs(summary.maxMs), ''],
  ]);
  await writeResults(`latency-${String(figures.options.db)}`, { ...figures, summary });
}
