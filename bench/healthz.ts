// bench:healthz: how long GET /healthz takes while one user does something heavy, the way a load
// balancer's health check (and every other request) would feel it. A probe sends /healthz at a
// fixed rate whatever the answers (so a stalled server shows as many slow answers, not as few
// probes) during: nothing (idle), a JSON-array push of about 50 MB, the deletion of a squid of
// about 2,000,000 rows until its purge ends, and (SQLite) writes while another connection holds
// the database's write lock. Prints p50 / p95 / p99 / max per phase, against the bar of p99 under
// 100 ms; asserts nothing.
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { SHARED_ARGS, SHARED_USAGE, readSharedOptions, runBenchmark, startBenchServer, type BenchServer } from './lib/bench-server.js';
import { percentile } from './lib/percentile.js';
import { writeResults } from './lib/results-file.js';
import { formatMs, printTable } from './lib/table.js';

const P99_BAR_MS = 100;

const USAGE = `npm run bench:healthz -- [--push-mib N] [--delete-rows N] [--lock-s N] [--probe-rate N]
  --push-mib N     size of the JSON-array push (default 50)
  --delete-rows N  rows of the deleted squid (default 2000000)
  --lock-s N       seconds another connection holds the SQLite write lock (default 10; SQLite only)
  --probe-rate N   /healthz requests per second (default 100)
${SHARED_USAGE}`;

interface PhaseFigures {
  phase: string;
  probes: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  failed: number;
  /** What the phase's own work did (a duration, a count). */
  detail: string;
}

/** Sends /healthz every 1000/rate ms until `work` ends, each on its own, and times each answer. */
async function probeDuring(baseUrl: string, ratePerS: number, phase: string, work: () => Promise<string>): Promise<PhaseFigures> {
  const latenciesMs: number[] = [];
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const probe = (): void => {
    const startedMs = performance.now();
    const done = fetch(`${baseUrl}/healthz`)
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.ok) latenciesMs.push(performance.now() - startedMs);
        else failed += 1;
      })
      .catch(() => {
        failed += 1;
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  };
  const timer = setInterval(probe, 1000 / ratePerS);
  let detail: string;
  try {
    detail = await work();
  } finally {
    clearInterval(timer);
    await Promise.all(inFlight);
  }
  return {
    phase,
    probes: latenciesMs.length + failed,
    p50Ms: percentile(latenciesMs, 50),
    p95Ms: percentile(latenciesMs, 95),
    p99Ms: percentile(latenciesMs, 99),
    maxMs: Math.max(...latenciesMs),
    failed,
    detail,
  };
}

/** A JSON array of rows of about 500 bytes, `mib` MiB in all, in 64 KiB chunks. */
function buildJsonArray(mib: number): { chunks: Buffer[]; rows: number; bytes: number } {
  const description = 'A kettle that boils water quickly, with a "keep warm" mode and a filter. '.repeat(5);
  const items: string[] = [];
  let bytes = 2;
  while (bytes < mib * 1024 * 1024) {
    const n = items.length;
    const item = JSON.stringify({ url: `https://shop.example.com/products/${n}`, title: `Kettle ${n}`, price: (n % 997) + 0.99, in_stock: n % 3 !== 0, description });
    items.push(item);
    bytes += item.length + 1;
  }
  const body = Buffer.from(`[${items.join(',')}]`);
  const chunks: Buffer[] = [];
  for (let start = 0; start < body.length; start += 65536) chunks.push(body.subarray(start, start + 65536));
  return { chunks, rows: items.length, bytes: body.length };
}

async function pushJsonArray(server: BenchServer, runId: string, chunks: Buffer[], bytes: number): Promise<number> {
  const response = await fetch(`${server.squidship.baseUrl}/v1/runs/${runId}/results`, {
    method: 'POST',
    headers: { authorization: `Token ${server.squidship.token}`, 'content-type': 'application/json', 'content-length': String(bytes) },
    body: Readable.toWeb(Readable.from(chunks)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const text = await response.text();
  if (!response.ok) throw new Error(`the JSON-array push answered ${response.status}: ${text.slice(0, 300)}`);
  return Number((JSON.parse(text) as { accepted: number }).accepted);
}

/** `rows` small NDJSON rows (about 100 bytes) in pushes of 200,000, not timed. */
async function seedRows(server: BenchServer, runId: string, rows: number): Promise<void> {
  for (let start = 0; start < rows; start += 200_000) {
    const count = Math.min(200_000, rows - start);
    const lines: string[] = [];
    for (let n = start; n < start + count; n += 1) lines.push(JSON.stringify({ n, sku: `SKU-${n.toString(16).padStart(8, '0')}`, city: 'Kraków', price: n % 997 }));
    const body = Buffer.from(`${lines.join('\n')}\n`);
    await server.client.pushNdjson(runId, Readable.from([body]), body.length);
  }
}

/** Whether a deleted squid is still waiting for (or in) its purge, read beside the server. */
async function countDeletedSquids(server: BenchServer): Promise<number> {
  if (server.databaseUrl === null) {
    const db = new SqliteDatabase(join(server.squidship.dataDir, 'squidship.db'), { readonly: true });
    try {
      return Number((db.prepare('select count(*) as n from squids where deleted_at is not null').get() as { n: number }).n);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>('select count(*) as n from squids where deleted_at is not null')).rows[0]?.n);
  } finally {
    await client.end();
  }
}

async function deleteAndWaitForPurge(server: BenchServer, squidId: string): Promise<string> {
  const startedMs = performance.now();
  await server.client.call('DELETE', `/v1/squids/${squidId}`);
  const answeredMs = performance.now() - startedMs;
  while ((await countDeletedSquids(server)) > 0) await new Promise((resolve) => setTimeout(resolve, 200));
  return `answered in ${formatMs(answeredMs)}, purged in ${formatMs(performance.now() - startedMs)}`;
}

/** Holds the SQLite write lock for `seconds` while a client tries to create a squid every 50 ms. */
async function writeWhileLocked(server: BenchServer, seconds: number): Promise<string> {
  const locker = new SqliteDatabase(join(server.squidship.dataDir, 'squidship.db'));
  const answers = new Map<number, number>();
  const writeTimesMs: number[] = [];
  try {
    locker.exec('BEGIN IMMEDIATE');
    const endMs = performance.now() + seconds * 1000;
    let n = 0;
    while (performance.now() < endMs) {
      const startedMs = performance.now();
      const response = await fetch(`${server.squidship.baseUrl}/v1/squids`, {
        method: 'POST',
        headers: { authorization: `Token ${server.squidship.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `while locked ${(n += 1)}` }),
      });
      await response.arrayBuffer();
      writeTimesMs.push(performance.now() - startedMs);
      answers.set(response.status, (answers.get(response.status) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    if (locker.inTransaction) locker.exec('ROLLBACK');
    locker.close();
  }
  const statuses = [...answers].map(([status, count]) => `${count}x ${status}`).join(', ');
  return `writes: ${statuses}, each answered in p50 ${formatMs(percentile(writeTimesMs, 50))} / max ${formatMs(Math.max(...writeTimesMs))}`;
}

runBenchmark(async () => {
  const { values } = parseArgs({
    options: {
      ...SHARED_ARGS,
      'push-mib': { type: 'string', default: '50' },
      'delete-rows': { type: 'string', default: '2000000' },
      'lock-s': { type: 'string', default: '10' },
      'probe-rate': { type: 'string', default: '100' },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const options = readSharedOptions(values);
  const [pushMib, deleteRows, lockS, probeRate] = [values['push-mib'], values['delete-rows'], values['lock-s'], values['probe-rate']].map(Number) as [number, number, number, number];
  const server = await startBenchServer(options);
  const { baseUrl } = server.squidship;
  try {
    const phases: PhaseFigures[] = [];
    phases.push(await probeDuring(baseUrl, probeRate, 'idle', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5000));
      return '5 s';
    }));

    const body = buildJsonArray(pushMib);
    const pushRun = await server.client.startRun(await server.client.createSquid('healthz push'));
    process.stdout.write(`pushing a JSON array of ${body.rows.toLocaleString('en-US')} rows (${(body.bytes / 1024 / 1024).toFixed(1)} MiB) ...\n`);
    phases.push(await probeDuring(baseUrl, probeRate, 'JSON-array push', async () => {
      const startedMs = performance.now();
      const accepted = await pushJsonArray(server, pushRun, body.chunks, body.bytes);
      return `${accepted.toLocaleString('en-US')} rows in ${formatMs(performance.now() - startedMs)}`;
    }));

    const doomed = await server.client.createSquid('healthz delete');
    process.stdout.write(`seeding ${deleteRows.toLocaleString('en-US')} rows to delete (not timed) ...\n`);
    await seedRows(server, await server.client.startRun(doomed), deleteRows);
    phases.push(await probeDuring(baseUrl, probeRate, `delete a squid of ${deleteRows.toLocaleString('en-US')} rows`, () => deleteAndWaitForPurge(server, doomed)));

    if (server.databaseUrl === null) {
      phases.push(await probeDuring(baseUrl, probeRate, 'SQLite write lock held elsewhere', () => writeWhileLocked(server, lockS)));
    }
    printTable(
      `GET /healthz (${server.databaseLabel}) at ${probeRate} requests/s; bar: p99 < ${P99_BAR_MS} ms`,
      ['phase', 'probes', 'p50', 'p95', 'p99', 'max', 'failed', 'the phase\'s work'],
      phases.map((f) => [f.phase, f.probes, f.p50Ms.toFixed(1), f.p95Ms.toFixed(1), f.p99Ms.toFixed(1), f.maxMs.toFixed(1), f.failed, f.detail]),
    );
    await writeResults('healthz', { options: { ...options, pushMib, deleteRows, lockS, probeRate }, database: server.databaseLabel, phases });
  } finally {
    await server.stop();
  }
});
