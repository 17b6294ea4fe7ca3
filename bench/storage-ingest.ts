// The store's ingestion speed, without HTTP: rounds of `--rows` rows appended in `--batch`-row
// batches and committed (one ingest per `--ingest-rows` rows) into one run, then the run read
// back whole through streamRunResultTexts (all rows, then unique rows). Rounds run back to back on
// the same run, so a slowdown as the table grows shows up.
//
//   npx tsx bench/storage-ingest.ts [--db sqlite|postgres] [--rows 200000] [--rounds 3]
//                                   [--batch 1000] [--ingest-rows N] [--duplicates 0.05]
//
// PostgreSQL: a fresh database `squidship_bench_<random>` on TEST_DATABASE_URL (else
// postgres://postgres@127.0.0.1:5432/test), dropped afterwards.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { NewResultRow } from '../src/domain/types.js';
import { createSecretBox } from '../src/storage/secret-box.js';
import { createPostgresStore } from '../src/storage/postgres/create-postgres-store.js';
import { createSqliteStore } from '../src/storage/sqlite/create-sqlite-store.js';
import type { Store } from '../src/storage/store.js';

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

const { values: options } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    rows: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1000' },
    'ingest-rows': { type: 'string' },
    duplicates: { type: 'string', default: '0.05' },
  },
});
const rowsPerRound = Number(options.rows);
const rowsPerIngest = Number(options['ingest-rows'] ?? options.rows);
const batchRows = Number(options.batch);
const duplicateShare = Number(options.duplicates);

/** mulberry32: the same rows (and duplicates) on every run of the benchmark. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = createRandom(42);

/** About 370 bytes of JSON in 15 fields, like a scraped listing; `duplicateShare` repeat an earlier row. */
function generateRows(count: number, offset: number): NewResultRow[] {
  const rows: NewResultRow[] = [];
  for (let i = 0; i < count; i += 1) {
    const n = random() < duplicateShare && offset + i > 0 ? Math.floor(random() * (offset + i)) : offset + i;
    const data = JSON.stringify({
      url: `https://shop.example.com/products/${n}`, title: `Stainless steel kettle model ${n}`, brand: 'Müller & Söhne',
      price: (n % 997) + 0.99, currency: 'EUR', rating: (n % 50) / 10, reviews: n % 3000, in_stock: n % 3 !== 0,
      category: 'Home & Kitchen', city: 'Kraków', country: 'PL', sku: `SKU-${n.toString(16).padStart(8, '0')}`,
      seller: 'ACME, Inc.', description: 'A kettle that boils water quickly, with a "keep warm" mode, 1.7 l', scraped_page: n % 40,
    });
    rows.push({ data, rowHash: createHash('sha1').update(data).digest('hex'), scrapingTimeMs: 1_700_000_000_000 + n });
  }
  return rows;
}

async function runAdmin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function openStore(): Promise<{ store: Store; cleanup(): Promise<void> }> {
  const secretBox = createSecretBox(randomBytes(32));
  if (options.db === 'postgres') {
    const adminUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_POSTGRES_URL;
    const name = `squidship_bench_${randomBytes(6).toString('hex')}`;
    await runAdmin(adminUrl, `CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const store = await createPostgresStore({ connectionString: url.toString(), secretBox });
    return { store, cleanup: async () => { await store.close(); await runAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } };
  }
  const dir = await mkdtemp(join(tmpdir(), 'squidship-bench-'));
  const store = await createSqliteStore({ filePath: join(dir, 'squidship.db'), secretBox });
  return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
}

async function ingestRound(store: Store, runId: string, rows: NewResultRow[]): Promise<{ appendMs: number; commitMs: number }> {
  let appendMs = 0;
  let commitMs = 0;
  for (let start = 0; start < rows.length; start += rowsPerIngest) {
    let startedAt = performance.now();
    const ingestId = await store.openIngest(runId, Date.now());
    const end = Math.min(rows.length, start + rowsPerIngest);
    for (let batch = start; batch < end; batch += batchRows) {
      await store.appendIngestRows(ingestId, rows.slice(batch, Math.min(end, batch + batchRows)));
    }
    appendMs += performance.now() - startedAt;
    startedAt = performance.now();
    await store.commitIngest(ingestId, ['url']);
    commitMs += performance.now() - startedAt;
  }
  return { appendMs, commitMs };
}

async function timeStream(store: Store, runId: string, unique: boolean): Promise<{ rows: number; ms: number }> {
  const startedAt = performance.now();
  let rows = 0;
  for await (const batch of store.streamRunResultTexts(runId, { unique, batchSize: 1000 })) rows += batch.rowCount;
  return { rows, ms: performance.now() - startedAt };
}

const perSecond = (rows: number, ms: number): string => Math.round((rows / ms) * 1000).toLocaleString('en-US');

async function main(): Promise<void> {
  const { store, cleanup } = await openStore();
  try {
    await store.migrate();
    const account = await store.createAccount({ name: 'bench', email: 'bench@example.com', nowMs: 1 });
    const squid = await store.createSquid({ accountId: account.id, crawlerId: '0'.repeat(32), name: 'bench', nowMs: 1 });
    const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 1 });
    console.log(`${options.db}: ${options.rounds} x ${rowsPerRound} rows, ${batchRows}-row batches, ${rowsPerIngest} rows per ingest`);
    for (let round = 0; round < Number(options.rounds); round += 1) {
      const rows = generateRows(rowsPerRound, round * rowsPerRound);
      const { appendMs, commitMs } = await ingestRound(store, run.id, rows);
      const totalMs = appendMs + commitMs;
      console.log(
        `round ${round + 1}: ${perSecond(rows.length, totalMs)} rows/s (${(totalMs / 1000).toFixed(2)} s: append ${(appendMs / 1000).toFixed(2)} s, commit ${(commitMs / 1000).toFixed(2)} s)`,
      );
    }
    const totals = await store.getRunById(run.id);
    console.log(`run totals: ${totals?.totalResults} rows, ${totals?.totalUniqueResults} unique`);
    for (const unique of [false, true]) {
      const { rows, ms } = await timeStream(store, run.id, unique);
      console.log(`stream ${unique ? 'unique' : 'all'}: ${rows} rows in ${(ms / 1000).toFixed(2)} s (${perSecond(rows, ms)} rows/s)`);
    }
  } finally {
    await cleanup();
  }
}

await main();
