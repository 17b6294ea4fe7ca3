// bench:webhooks: the events of many short runs sent to a loopback receiver by one Squidship
// process (one worker). Each run starts and completes at once (no rows, no file delivery), so it
// makes a run.running and a run.done event; the figure is the time from the `complete` answer to
// the receiver's receipt of run.done, and events received per second over the whole bench.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { SHARED_ARGS, SHARED_USAGE, readSharedOptions, runBenchmark, startBenchServer, type BenchServer } from './lib/bench-server.js';
import { percentile } from './lib/percentile.js';
import { writeResults } from './lib/results-file.js';
import { formatMs, printTable } from './lib/table.js';

const USAGE = `npm run bench:webhooks -- [--runs N] [--parallel N]
  --runs N       runs (default 2000), each sending run.running and run.done
  --parallel N   runs in flight at once, one squid each (default 8)
${SHARED_USAGE}`;
const DONE_TIMEOUT_MS = 60_000;

interface Receiver {
  url: string;
  received: number;
  /** Resolves when run.done of the run arrives, with performance.now() then. */
  waitForDone(runId: string): Promise<number>;
  close(): Promise<void>;
}

runBenchmark(async () => {
  const { values } = parseArgs({ options: { ...SHARED_ARGS, runs: { type: 'string', default: '2000' }, parallel: { type: 'string', default: '8' } } });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const options = readSharedOptions(values);
  const [runs, parallel] = [Number(values.runs), Number(values.parallel)];
  if (![runs, parallel].every((n) => Number.isSafeInteger(n) && n > 0)) throw new Error('--runs and --parallel take whole numbers above 0');
  // The receiver is on loopback: the child server inherits this allow list.
  process.env.SQUIDSHIP_EGRESS_ALLOW = '127.0.0.0/8';
  const receiver = await startReceiver();
  const server = await startBenchServer(options);
  try {
    const squids = await Promise.all(Array.from({ length: parallel }, (_, n) => configureSquid(server, receiver, n)));
    const latenciesMs: number[] = [];
    const startedAt = performance.now();
    let next = 0;
    await Promise.all(squids.map(async (squidId) => {
      while (next < runs) {
        next += 1;
        latenciesMs.push(await measureOneRun(server, receiver, squidId));
        if (latenciesMs.length % 500 === 0) process.stdout.write(`${latenciesMs.length}/${runs} runs\n`);
      }
    }));
    const elapsedMs = performance.now() - startedAt;
    await report({ options: { ...options, runs, parallel }, database: server.databaseLabel, latenciesMs, events: receiver.received, elapsedMs });
  } finally {
    await server.stop();
    await receiver.close();
  }
});

async function configureSquid(server: BenchServer, receiver: Receiver, n: number): Promise<string> {
  const squidId = await server.client.createSquid(`bench webhooks ${Date.now()} ${n}`);
  const events = { 'run.running': true, 'run.paused': false, 'run.done': true, 'run.error': true };
  await server.client.call('POST', `/v1/delivery?squid=${squidId}`, { webhook_fields: { url: receiver.url, is_active: true, retry: true, events } });
  return squidId;
}

async function measureOneRun(server: BenchServer, receiver: Receiver, squidId: string): Promise<number> {
  const runId = await server.client.startRun(squidId);
  const done = receiver.waitForDone(runId);
  await server.client.completeRun(runId);
  const answeredAt = performance.now();
  return (await done) - answeredAt;
}

async function startReceiver(): Promise<Receiver> {
  const waiting = new Map<string, (atMs: number) => void>();
  const arrived = new Map<string, number>();
  const receiver = { url: '', received: 0 } as Receiver;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const atMs = performance.now();
      receiver.received += 1;
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; event: string };
      response.writeHead(204).end();
      if (event.event !== 'run.done') return;
      const resolve = waiting.get(event.id);
      if (resolve === undefined) arrived.set(event.id, atMs);
      else resolve(atMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.waitForDone = (runId) => {
    const early = arrived.get(runId);
    if (early !== undefined) return Promise.resolve(early);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`run ${runId}: no run.done within ${DONE_TIMEOUT_MS} ms`)), DONE_TIMEOUT_MS);
      waiting.set(runId, (atMs) => {
        clearTimeout(timer);
        resolve(atMs);
      });
    });
  };
  receiver.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return receiver;
}

async function report(figures: { options: Record<string, unknown>; database: string; latenciesMs: number[]; events: number; elapsedMs: number }): Promise<void> {
  const { latenciesMs } = figures;
  const summary = {
    eventsPerSecond: figures.events / (figures.elapsedMs / 1000),
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    maxMs: Math.max(...latenciesMs),
  };
  printTable(`bench:webhooks, ${latenciesMs.length} runs, ${figures.events} events, ${figures.database}: complete answered -> run.done received`, ['figure', 'value', 'target'], [
    ['events/s', summary.eventsPerSecond.toFixed(0), ''],
    ['p50', formatMs(summary.p50Ms), ''],
    ['p99', formatMs(summary.p99Ms), '< 250 ms'],
    ['max', formatMs(summary.maxMs), ''],
  ]);
  await writeResults(`webhooks-${String(figures.options.db)}`, { ...figures, summary });
}
