// bench:api: autocannon against GET /v1/squids/{id} and POST /v1/delivery?squid=ID, beside a bare
// Fastify "hello" server (its own process, same connections and duration) as the ceiling. On
// Linux it also gives each server's CPU time per request, the steadier figure on a busy machine.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SHARED_ARGS, SHARED_USAGE, readSharedOptions, runBenchmark, startBenchServer } from './lib/bench-server.js';
import { startChildServer } from './lib/child-server.js';
import { findFreePort } from './lib/free-port.js';
import { measureLoad, type LoadFigures } from './lib/load-test.js';
import { REPO_ROOT } from './lib/repo-root.js';
import { EMBEDDED_BUCKET } from './lib/squidship-process.js';
import { formatRate, formatRatio, printTable } from './lib/table.js';
import { writeResults } from './lib/results-file.js';

const USAGE = `npm run bench:api -- [--connections N] [--duration-s N] [--warm-up-s N]
  --connections N   concurrent connections (default 20)
  --duration-s N    seconds measured per endpoint (default 10)
  --warm-up-s N     unrecorded seconds before each (default 2)
${SHARED_USAGE}`;

runBenchmark(async () => {
  const { values } = parseArgs({
    options: {
      ...SHARED_ARGS,
      connections: { type: 'string', default: '20' },
      'duration-s': { type: 'string', default: '10' },
      'warm-up-s': { type: 'string', default: '2' },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const options = readSharedOptions(values);
  const [connections, durationS, warmUpS] = [Number(values.connections), Number(values['duration-s']), Number(values['warm-up-s'])];
  if (![connections, durationS].every((n) => Number.isSafeInteger(n) && n > 0) || !(warmUpS >= 0)) {
    throw new Error('--connections and --duration-s take whole numbers above 0, --warm-up-s 0 or more');
  }
  const ceiling = await measureCeiling(connections, durationS, warmUpS);
  const squidship = await measureSquidship(options, connections, durationS, warmUpS);
  await report({ options: { ...options, connections, durationS, warmUpS }, ceiling, ...squidship });
});

async function measureCeiling(connections: number, durationS: number, warmUpS: number): Promise<LoadFigures> {
  const port = await findFreePort();
  const hello = await startChildServer({
    label: 'fastify-hello',
    command: process.execPath,
    args: ['--import', 'tsx', join(REPO_ROOT, 'bench/lib/fastify-hello.ts'), String(port)],
    env: process.env,
    cwd: REPO_ROOT,
    readyUrl: `http://127.0.0.1:${port}/`,
  });
  try {
    process.stdout.write(`ceiling: bare Fastify hello, ${connections} connections, ${durationS} s ...\n`);
    return await measureLoad({ label: 'bare Fastify GET / (ceiling)', url: `http://127.0.0.1:${port}/` }, connections, durationS, warmUpS, cpuPid(hello.pid));
  } finally {
    await hello.stop();
  }
}

async function measureSquidship(options: ReturnType<typeof readSharedOptions>, connections: number, durationS: number, warmUpS: number) {
  const server = await startBenchServer(options);
  try {
    const squidId = await server.client.createSquid(`bench api ${Date.now()}`);
    await server.client.configureS3Delivery(squidId, EMBEDDED_BUCKET, 'bench');
    const headers = { authorization: `Token ${server.squidship.token}`, 'content-type': 'application/json' };
    const base = server.squidship.baseUrl;
    process.stdout.write(`Squidship GET /v1/squids/{id} (${server.databaseLabel}) ...\n`);
    const pid = cpuPid(server.squidship.pid);
    const getSquid = await measureLoad({ label: 'GET /v1/squids/{id}', url: `${base}/v1/squids/${squidId}`, headers }, connections, durationS, warmUpS, pid);
    process.stdout.write('Squidship POST /v1/delivery?squid=ID ...\n');
    const body = JSON.stringify({ s3_fields: { bucket: EMBEDDED_BUCKET, is_active: true, target_path: 'bench' } });
    const postDelivery = await measureLoad(
      { label: 'POST /v1/delivery?squid=ID', url: `${base}/v1/delivery?squid=${squidId}`, method: 'POST', headers, body },
      connections,
      durationS,
      warmUpS,
      pid,
    );
    return { database: server.databaseLabel, getSquid, postDelivery };
  } finally {
    await server.stop();
  }
}

/** The pid whose CPU time measureLoad reads: Linux only (/proc). */
function cpuPid(pid: number): number | null {
  return process.platform === 'linux' ? pid : null;
}

interface Report {
  options: Record<string, unknown>;
  database: string;
  ceiling: LoadFigures;
  getSquid: LoadFigures;
  postDelivery: LoadFigures;
}

async function report(figures: Report): Promise<void> {
  const { ceiling } = figures;
  const ratio = (f: LoadFigures): number => f.requestsPerS / ceiling.requestsPerS;
  const cpu = (f: LoadFigures): string => (f.serverCpuUsPerRequest === null ? 'n/a' : `${f.serverCpuUsPerRequest.toFixed(1)} µs`);
  const row = (f: LoadFigures, target: string) =>
    [f.label, formatRate(f.requestsPerS, 'req/s'), `${f.latencyP50Ms.toFixed(1)} ms`, `${f.latencyP99Ms.toFixed(1)} ms`, String(f.non2xx + f.errors + f.timeouts), cpu(f), formatRatio(ratio(f)), target] as const;
  printTable(
    `bench:api, ${String(figures.options.connections)} connections, ${String(figures.options.durationS)} s each, ${figures.database}`,
    ['endpoint', 'requests/s', 'p50', 'p99', 'non-2xx+errors', 'server CPU/req', 'vs ceiling', 'target'],
    [row(ceiling, ''), row(figures.getSquid, '>= 0.5x'), row(figures.postDelivery, '')],
  );
  for (const f of [ceiling, figures.getSquid, figures.postDelivery]) {
    if (f.non2xx + f.errors + f.timeouts > 0) process.stdout.write(`warning: ${f.label} had ${f.non2xx} non-2xx answers, ${f.errors} errors, ${f.timeouts} timeouts\n`);
  }
  // The same ratio from server CPU per request (the ceiling's over the endpoint's): it moves much
  // less than requests/s with what else runs on the machine during one of the two measurements.
  const cpuRatio = (f: LoadFigures): number | null =>
    f.serverCpuUsPerRequest === null || ceiling.serverCpuUsPerRequest === null ? null : ceiling.serverCpuUsPerRequest / f.serverCpuUsPerRequest;
  await writeResults(`api-${String(figures.options.db)}`, {
    ...figures,
    derived: { getSquidRatio: ratio(figures.getSquid), postDeliveryRatio: ratio(figures.postDelivery), getSquidCpuRatio: cpuRatio(figures.getSquid) },
  });
}
