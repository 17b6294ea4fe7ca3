// Rows that vanish while a run is exported (its squid deleted, its results purged in batches)
// must fail the export before its last chunk, never end it as a shorter file: a delivery would
// complete its upload with it. On both databases, inline and on the export thread.
import { expect, it } from 'vitest';
import { BUILT_IN_CRAWLER } from '../../src/domain/crawlers.js';
import type { Run, Squid } from '../../src/domain/types.js';
import { openExport, RUN_RESULTS_CHANGED, type ExportRequest } from '../../src/export/pipeline.js';
import type { Store } from '../../src/storage/store.js';
import { purgeRunResults, withRawSql } from '../helpers/raw-sql.js';
import { describeEachDialect } from '../helpers/temp-store.js';

const NOW_MS = Date.UTC(2026, 0, 2, 3, 4, 5);

/** A run with `texts` committed (the run as its totals then stand) and its squid. */
async function runWith(store: Store, texts: readonly string[], columns: string[], unique = false): Promise<{ run: Run; squid: Squid }> {
  const account = await store.createAccount({ name: 'acme', email: 'ops@acme.test', nowMs: NOW_MS });
  const created = await store.createSquid({ accountId: account.id, crawlerId: BUILT_IN_CRAWLER.id, name: 'shops', nowMs: NOW_MS });
  const squid = unique ? ((await store.updateSquid(account.id, created.id, { exportUniqueResults: true })) ?? created) : created;
  const started = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: NOW_MS });
  const ingestId = await store.openIngest(started.id, NOW_MS);
  await store.appendIngestRows(ingestId, texts.map((data) => ({ data, rowHash: data, scrapingTimeMs: NOW_MS })));
  const run = await store.commitIngest(ingestId, columns);
  return { run, squid };
}

function rowTexts(count: number): string[] {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ i, payload: 'p'.repeat(80) }));
}

/** Reads the export; after its first chunk, `midway` runs. Answers its bytes, or what it threw. */
async function readExport(store: Store, run: Run, squid: Squid, request: Omit<ExportRequest, 'format'>, midway: () => Promise<void>) {
  const exported = openExport(store, run, squid, { format: 'csv', ...request });
  const copies: Buffer[] = [];
  let reachedRows = false;
  try {
    for await (const chunk of exported.chunks) {
      copies.push(Buffer.from(chunk.data));
      chunk.release();
      // Once the first rows have been read (not at the header alone).
      if (!reachedRows && exported.stats.rows > 0) {
        reachedRows = true;
        await midway();
      }
    }
    return { bytes: Buffer.concat(copies), error: null, stats: exported.stats };
  } catch (error) {
    return { bytes: Buffer.concat(copies), error, stats: exported.stats };
  }
}

const INLINE = { threadMinRows: Number.POSITIVE_INFINITY, batchSize: 100 };
const ON_THREAD = { threadMinRows: 0, batchSize: 100, chunkBytes: 16 * 1024, chunksHeld: 1 };

describeEachDialect('an export whose rows vanish midway', (getStore, getTemp) => {
  it('fails with RunResultsChanged, permanent, when the rows are purged in batches while it reads inline', async () => {
    const store = getStore();
    const { run, squid } = await runWith(store, rowTexts(3000), ['i', 'payload']);
    expect(run.totalResults).toBe(3000);
    const read = await readExport(store, run, squid, INLINE, () => purgeRunResults(getTemp(), run.id, 500));
    expect(read.error).toMatchObject({ code: RUN_RESULTS_CHANGED, retryable: false, status: 409 });
    expect((read.error as Error).message).toContain(`run ${run.id} had 3000 results to export but only 100 could be read`);
    expect(read.stats.rows).toBeLessThan(3000);
  });

  it('fails when only some rows vanish, even those it has not read yet, in the middle of the run', async () => {
    const store = getStore();
    const { run, squid } = await runWith(store, rowTexts(3000), ['i', 'payload']);
    // The first 1,000 rows go: some already read (the first batch), the rest not yet.
    const read = await readExport(store, run, squid, INLINE, () => purgeRunResults(getTemp(), run.id, 250, 1000));
    expect(read.error).toMatchObject({ code: RUN_RESULTS_CHANGED });
    expect((read.error as Error).message).toContain('had 3000 results to export but only 2100 could be read');
  });

  it('fails on the export thread too, or (a PostgreSQL COPY reads one snapshot) gives the whole file, never a shorter one', async () => {
    const store = getStore();
    const texts = rowTexts(5000);
    const { run, squid } = await runWith(store, texts, ['i', 'payload']);
    const whole = `i,payload\r\n${texts.map((_, i) => `${i},${'p'.repeat(80)}\r\n`).join('')}`;
    const read = await readExport(store, run, squid, ON_THREAD, () => purgeRunResults(getTemp(), run.id, 500));
    if (getTemp().dialect === 'sqlite') {
      expect(read.error).toMatchObject({ code: RUN_RESULTS_CHANGED, retryable: false });
    } else if (read.error === null) {
      expect(read.bytes.toString('utf8')).toBe(whole);
    } else {
      expect(read.error).toMatchObject({ code: RUN_RESULTS_CHANGED });
    }
  });

  it('counts a unique export against the run\'s unique rows', async () => {
    const store = getStore();
    const texts = [...rowTexts(600), ...rowTexts(600)];
    const { run, squid } = await runWith(store, texts, ['i', 'payload'], true);
    expect(run).toMatchObject({ totalResults: 1200, totalUniqueResults: 600 });
    const untouched = await readExport(store, run, squid, INLINE, async () => undefined);
    expect(untouched.error).toBeNull();
    expect(untouched.stats.rows).toBe(600);
    const read = await readExport(store, run, squid, INLINE, () => purgeRunResults(getTemp(), run.id, 100));
    expect(read.error).toMatchObject({ code: RUN_RESULTS_CHANGED });
    expect((read.error as Error).message).toContain('had 600 results to export');
  });

  it('fails a run whose rows and columns are gone before it starts (a deleted squid) instead of writing an empty file', async () => {
    const store = getStore();
    const { run, squid } = await runWith(store, rowTexts(10), ['i', 'payload']);
    await purgeRunResults(getTemp(), run.id, 5);
    await withRawSql(getTemp(), (sql) => sql('DELETE FROM run_columns WHERE run_id = $1', [run.id]));
    const read = await readExport(store, run, squid, INLINE, async () => undefined);
    expect(read.bytes.length).toBe(0);
    expect(read.error).toMatchObject({ code: RUN_RESULTS_CHANGED });
  });

  it('still writes an empty file for a run of empty objects only (no columns, every row there)', async () => {
    const store = getStore();
    const { run, squid } = await runWith(store, ['{}', '{}', '{}'], []);
    expect(run.totalResults).toBe(3);
    const read = await readExport(store, run, squid, INLINE, async () => undefined);
    expect(read.error).toBeNull();
    expect(read.bytes.length).toBe(0);
  });
});
