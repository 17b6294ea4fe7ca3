// bench:api: the latency of GET /v1/squids/{id} (token check, a squid read, its delivery fields)
// at a fixed request rate, the way a dashboard or a polling client loads it, against the bar of
// p99 under 50 ms at 200 requests/s.
import { parseArgs } from 'node:util';
import { SHARED_ARGS, SHARED_USAGE, readSharedOptions, runBenchmark, startBenchServer } from './lib/bench-server.js';
import { measureLatencyAtRate, type LatencyFigures, type LoadSettings } from './lib/load-test.js';
import { EMBEDDED_BUCKET } from './lib/squidship-process.js';
import { formatRate, printTable } from './lib/table.js';
import { writeResults } from './lib/results-file.js';

const P99_BAR_MS = 50;

const USAGE = `npm run bench:api -- [--rate N] [--connections N] [--duration-s N] [--warm-up-s N]
  --rate N          requests per second from all connections together (default 200)
  --connections N   concurrent connections (default 10)
  --duration-s N    seconds measured (default 30)
  --warm-up-s N     unrecorded seconds at the same rate before (default 5)
${SHARED_USAGE}`;

runBenchmark(async () => {
  const { values } = parseArgs({
    options: {
      ...SHARED_ARGS,
      rate: { type: 'string', default: '200' },
      connections: { type: 'string', default: '10' },
      'duration-s': { type: 'string', default: '30' },
      'warm-up-s': { type: 'string', default: '5' },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const options = readSharedOptions(values);
  const settings: LoadSettings = {
    ratePerS: Number(values.rate),
    connections: Number(values.connections),
    durationS: Number(values['duration-s']),
    warmUpS: Number(values['warm-up-s']),
  };
  const { ratePerS, connections, durationS, warmUpS } = settings;
  if (![ratePerS, connections, durationS].every((n) => Number.isSafeInteger(n) && n > 0) || !(warmUpS >= 0)) {
    throw new Error('--rate, --connections and --duration-s take whole numbers above 0, --warm-up-s 0 or more');
  }
  const server = await startBenchServer(options);
  try {
    const squidId = await server.client.createSquid(`bench api ${Date.now()}`);
    await server.client.configureS3Delivery(squidId, EMBEDDED_BUCKET, 'bench');
    const headers = { authorization: `Token ${server.squidship.token}` };
    const url = `${server.squidship.baseUrl}/v1/squids/${squidId}`;
    process.stdout.write(`GET /v1/squids/{id} (${server.databaseLabel}) at ${ratePerS} requests/s over ${connections} connections, ${durationS} s after ${warmUpS} s of warm-up ...\n`);
    const figures = await measureLatencyAtRate({ label: 'GET /v1/squids/{id}', url, headers }, settings);
    await report({ ...options, ...settings }, server.databaseLabel, figures);
  } finally {
    await server.stop();
  }
});

async function report(options: Record<string, unknown>, database: string, f: LatencyFigures): Promise<void> {
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  const meetsBar = f.latencyP99Ms < P99_BAR_MS;
  printTable(
    `bench:api, ${String(options.ratePerS)} requests/s, ${String(options.connections)} connections, ${String(options.durationS)} s, ${database}`,
    ['endpoint', 'achieved', 'p50', 'p95', 'p99', 'max', 'non-2xx+errors', 'target'],
    [[f.label, formatRate(f.achievedRatePerS, 'req/s'), ms(f.latencyP50Ms), ms(f.latencyP95Ms), ms(f.latencyP99Ms), ms(f.latencyMaxMs), String(f.non2xx + f.errors + f.timeouts), `p99 < ${P99_BAR_MS} ms`]],
  );
  process.stdout.write(`p99 < ${P99_BAR_MS} ms: ${meetsBar ? 'yes' : 'NO'} (${ms(f.latencyP99Ms)})\n`);
  if (f.non2xx + f.errors + f.timeouts > 0) process.stdout.write(`warning: ${f.non2xx} non-2xx answers, ${f.errors} errors, ${f.timeouts} timeouts\n`);
  await writeResults(`api-${String(options.db)}`, { options, database, getSquid: f, derived: { p99BarMs: P99_BAR_MS, meetsP99Bar: meetsBar } });
}
