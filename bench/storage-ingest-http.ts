// Ingestion over HTTP, as the lead measured it: `--rounds` requests of `--rows` NDJSON rows
// (about 400 bytes, 15 fields each) to POST /v1/runs/{id}/results of one run, back to back, on
// a Squidship child process (bench/lib/bench-server.ts). Prints rows/s per request, to show both
// the speed and any slowdown as the run grows. The body is built in memory before timing.
//
//   npx tsx bench/storage-ingest-http.ts [--db sqlite|postgres] [--source] [--rows 200000] [--rounds 3]
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { SHARED_ARGS, readSharedOptions, runBenchmark, startBenchServer } from './lib/bench-server.js';

const { values } = parseArgs({
  options: { ...SHARED_ARGS, rows: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' } },
});

/** The rows of bench/storage-ingest.ts, without duplicates, one JSON object a line. */
function buildBody(count: number, offset: number): Buffer {
  const lines: string[] = [];
  for (let n = offset; n < offset + count; n += 1) {
    lines.push(JSON.stringify({
      url: `https://shop.example.com/products/${n}`, title: `Stainless steel kettle model ${n}`, brand: 'Müller & Söhne',
      price: (n % 997) + 0.99, currency: 'EUR', rating: (n % 50) / 10, reviews: n % 3000, in_stock: n % 3 !== 0,
      category: 'Home & Kitchen', city: 'Kraków', country: 'PL', sku: `SKU-${n.toString(16).padStart(8, '0')}`,
      seller: 'ACME, Inc.', description: 'A kettle that boils water quickly, with a "keep warm" mode, 1.7 l', scraped_page: n % 40,
    }));
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** The body in 64 KiB chunks, as a socket would deliver it. */
function toStream(body: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let start = 0; start < body.length; start += 65536) chunks.push(body.subarray(start, start + 65536));
  return Readable.from(chunks);
}

async function main(): Promise<void> {
  const rows = Number(values.rows);
  const server = await startBenchServer(readSharedOptions(values));
  try {
    const { client } = server;
    const runId = await client.startRun(await client.createSquid('ingest bench'));
    console.log(`${server.databaseLabel}: ${values.rounds} requests of ${rows} NDJSON rows into one run`);
    for (let round = 0; round < Number(values.rounds); round += 1) {
      const body = buildBody(rows, round * rows);
      const startedAt = performance.now();
      const result = await client.pushNdjson(runId, toStream(body), body.length);
      const ms = performance.now() - startedAt;
      if (result.accepted !== rows) throw new Error(`accepted ${result.accepted} of ${rows} rows`);
      const mib = body.length / 1024 / 1024;
      console.log(`request ${round + 1}: ${Math.round((rows / ms) * 1000).toLocaleString('en-US')} rows/s, ${(mib / (ms / 1000)).toFixed(1)} MiB/s (${(ms / 1000).toFixed(2)} s, ${mib.toFixed(1)} MiB)`);
    }
  } finally {
    await server.stop();
  }
}

runBenchmark(main);
