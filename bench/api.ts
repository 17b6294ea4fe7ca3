// bench:api: autocannon against GET /v1/squids/{id} and POST /v1/delivery?squid=ID, beside a bare
// Fastify "hello" server (its own process, same connections and duration) as the ceiling. The
// ceiling and the GET are measured in alternating rounds, both servers running throughout, so
// that the machine's speed drifting over a minute (it does, by up to a third, on this shared VM)
// moves both sides of each round's ratio alike; the figures are the rounds' medians. On Linux it
// also gives each server's CPU time per request.
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

const USAGE = `npm run bench:api -- [--connections N] [--duration-s N] [--warm-up-s N] [--rounds N]
  --connections N   concurrent connections (default 20)
  --duration-s N    seconds measured per endpoint and round (default 5)
  --warm-up-s N     unrecorded seconds before each endpoint's first round (default 2)
  --rounds N        alternating rounds of the ceiling and GET /v1/squids/{id} (default 5)
${SHARED_USAGE}`;

runBenchmark(async () => {
  const { values } = parseArgs({
    options: {
      ...SHARED_ARGS,
      connections: { type: 'string', default: '20' },
      'duration-s': { type: 'string', default: '5' },
      'warm-up-s': { type: 'string', default: '2' },
      rounds: { type: 'string', default: '5' },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const options = readSharedOptions(values);
  const [connections, durationS, warmUpS, rounds] = [Number(values.connections), Number(values['duration-s']), Number(values['warm-up-s']), Number(values.rounds)];
  if (![connections, durationS, rounds].every((n) => Number.isSafeInteger(n) && n > 0) || !(warmUpS >= 0)) {
    throw new Error('--connections, --duration-s and --rounds take whole numbers above 0, --warm-up-s 0 or more');
  }
  const hello = await startCeiling();
  try {
    const squidship = await measureAlternating(options, hello, { connections, durationS, warmUpS, rounds });
    await report({ options: { ...options, connections, durationS, warmUpS, rounds }, ...squidship });
  } finally {
    await hello.stop();
  }
});

interface LoadSettings {
  connections: number;
  durationS: number;
  warmUpS: number;
  rounds: number;
}

interface Ceiling {
  pid: number;
  url: string;
  stop(): Promise<unknown>;
}

async function startCeiling(): Promise<Ceiling> {
  const port = await findFreePort();
  const hello = await startChildServer({
    label: 'fastify-hello',
    command: process.execPath,
    args: ['--import', 'tsx', join(REPO_ROOT, 'bench/lib/fastify-hello.ts'), String(port)],
    env: process.env,
    cwd: REPO_ROOT,
    readyUrl: `http://127.0.0.1:${port}/`,
  });
  return { pid: hello.pid, url: `http://127.0.0.1:${port}/`, stop: () => hello.stop() };
}

async function measureAlternating(options: ReturnType<typeof readSharedOptions>, hello: Ceiling, settings: LoadSettings) {
  const { connections, durationS, warmUpS, rounds } = settings;
  const server = await startBenchServer(options);
  try {
    const squidId = await server.client.createSquid(`bench api ${Date.now()}`);
    await server.client.configureS3Delivery(squidId, EMBEDDED_BUCKET, 'bench');
    const headers = { authorization: `Token ${server.squidship.token}`, 'content-type': 'application/json' };
    const base = server.squidship.baseUrl;
    const pid = cpuPid(server.squidship.pid);
    const ceilingTarget = { label: 'bare Fastify GET / (ceiling)', url: hello.url };
    const getTarget = { label: 'GET /v1/squids/{id}', url: `${base}/v1/squids/${squidId}`, headers };
    const ceilingRounds: LoadFigures[] = [];
    const getRounds: LoadFigures[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const warm = round === 0 ? warmUpS : 0;
      process.stdout.write(`round ${round + 1}/${rounds}: bare Fastify hello, then Squidship GET /v1/squids/{id} (${server.databaseLabel}), ${connections} connections, ${durationS} s each ...\n`);
      ceilingRounds.push(await measureLoad(ceilingTarget, connections, durationS, warm, cpuPid(hello.pid)));
      getRounds.push(await measureLoad(getTarget, connections, durationS, warm, pid));
    }
    process.stdout.write('Squidship POST /v1/delivery?squid=ID ...\n');
    const body = JSON.stringify({ s3_fields: { bucket: EMBEDDED_BUCKET, is_active: true, target_path: 'bench' } });
    const postDelivery = await measureLoad(
      { label: 'POST /v1/delivery?squid=ID', url: `${base}/v1/delivery?squid=${squidId}`, method: 'POST', headers, body },
      connections,
      durationS,
      warmUpS,
      pid,
    );
    return { database: server.databaseLabel, ceilingRounds, getRounds, postDelivery };
  } finally {
    await server.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One row of figures for several rounds: each figure's median, the counts summed. */
function medianFigures(rounds: LoadFigures[]): LoadFigures {
  const cpu = rounds.map((f) => f.serverCpuUsPerRequest);
  return {
    label: rounds[0]!.label,
    requestsPerS: median(rounds.map((f) => f.requestsPerS)),
    latencyP50Ms: median(rounds.map((f) => f.latencyP50Ms)),
    latencyP99Ms: median(rounds.map((f) => f.latencyP99Ms)),
    requests: rounds.reduce((sum, f) => sum + f.requests, 0),
    non2xx: rounds.reduce((sum, f) => sum + f.non2xx, 0),
    errors: rounds.reduce((sum, f) => sum + f.errors, 0),
    timeouts: rounds.reduce((sum, f) => sum + f.timeouts, 0),
    serverCpuUsPerRequest: cpu.some((c) => c === null) ? null : median(cpu as number[]),
  };
}

/** The pid whose CPU time measureLoad reads: Linux only (/proc). */
function cpuPid(pid: number): number | null {
  return process.platform === 'linux' ? pid : null;
}

interface Report {
  options: Record<string, unknown>;
  database: string;
  ceilingRounds: LoadFigures[];
  getRounds: LoadFigures[];
  postDelivery: LoadFigures;
}

async function report(measured: Report): Promise<void> {
  const ceiling = medianFigures(measured.ceilingRounds);
  const figures = { ...measured, ceiling, getSquid: medianFigures(measured.getRounds) };
  const ratio = (f: LoadFigures): number => f.requestsPerS / ceiling.requestsPerS;
  // Each round's ratio (its GET over its own ceiling), to show how far the rounds agree.
  const roundRatios = measured.getRounds.map((f, i) => f.requestsPerS / measured.ceilingRounds[i]!.requestsPerS);
  const cpu = (f: LoadFigures): string => (f.serverCpuUsPerRequest === null ? 'n/a' : `${f.serverCpuUsPerRequest.toFixed(1)} µs`);
  const row = (f: LoadFigures, target: string) =>
    [f.label, formatRate(f.requestsPerS, 'req/s'), `${f.latencyP50Ms.toFixed(1)} ms`, `${f.latencyP99Ms.toFixed(1)} ms`, String(f.non2xx + f.errors + f.timeouts), cpu(f), formatRatio(ratio(f)), target] as const;
  printTable(
    `bench:api, ${String(figures.options.connections)} connections, ${String(figures.options.durationS)} s each, medians of ${String(figures.options.rounds)} alternating rounds, ${figures.database}`,
    ['endpoint', 'requests/s', 'p50', 'p99', 'non-2xx+errors', 'server CPU/req', 'vs ceiling', 'target'],
    [row(ceiling, ''), row(figures.getSquid, '>= 0.5x'), row(figures.postDelivery, '')],
  );
  process.stdout.write(`GET /v1/squids/{id} over the ceiling, round by round: ${roundRatios.map((r) => formatRatio(r)).join(' ')}\n`);
  for (const f of [ceiling, figures.getSquid, figures.postDelivery]) {
    if (f.non2xx + f.errors + f.timeouts > 0) process.stdout.write(`warning: ${f.label} had ${f.non2xx} non-2xx answers, ${f.errors} errors, ${f.timeouts} timeouts\n`);
  }
  // The same ratio from server CPU per request (the ceiling's over the endpoint's): it moves much
  // less than requests/s with what else runs on the machine during one of the two measurements.
  const cpuRatio = (f: LoadFigures): number | null =>
    f.serverCpuUsPerRequest === null || ceiling.serverCpuUsPerRequest === null ? null : ceiling.serverCpuUsPerRequest / f.serverCpuUsPerRequest;
  await writeResults(`api-${String(figures.options.db)}`, {
    ...figures,
    derived: { getSquidRatio: ratio(figures.getSquid), getSquidRoundRatios: roundRatios, postDeliveryRatio: ratio(figures.postDelivery), getSquidCpuRatio: cpuRatio(figures.getSquid) },
  });
}
