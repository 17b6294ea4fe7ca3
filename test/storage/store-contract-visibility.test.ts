// The storage contract, part 3: which rows readers see and which count as unique, across many
// ingests of one run (committed, discarded, left open), and with row hashes that share their
// indexed prefix. Runs on SQLite and (with TEST_DATABASE_URL) PostgreSQL.
import { expect, it } from 'vitest';
import type { NewResultRow } from '../../src/domain/types.js';
import type { Store } from '../../src/storage/store.js';
import { describeEachDialect } from '../helpers/temp-store.js';
import { createAccountWithSquid, purgeDeletedSquids, pushRows, readRawTables, readRun, toRows } from './store-fixtures.js';

const page = (limit: number, offset = 0) => ({ limit, offset });

async function runningRun(store: Store) {
  const { account, squid } = await createAccountWithSquid(store);
  const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 });
  return { account, squid, run };
}

/** One ingest of ready-made rows (custom hashes), committed. */
async function pushRawRows(store: Store, runId: string, rows: NewResultRow[]) {
  const ingestId = await store.openIngest(runId, 200);
  await store.appendIngestRows(ingestId, rows);
  return store.commitIngest(ingestId, ['v']);
}

describeEachDialect('store contract: visibility and uniqueness across ingests', (getStore, getTemp) => {
  it('stores each row\'s text exactly, given as bytes or as text, with any character in it', async () => {
    const store = getStore();
    const { account, run } = await runningRun(store);
    const texts = ['{"v":"Café 🦑 תל אביב"}', '{"v":"a\u001eb"}', '{"v":"\\u001e"}', '{"v":"x"}', '{"v":"東京"}'];
    const asBytes = (text: string, index: number) => ({ ...toRows([{}])[0]!, data: text, rowHash: `${index}`.padStart(40, '0'), dataBytes: Buffer.from(text) });
    // A raw U+001E (the bytes path's separator) in one batch, none in the other; bytes and text mixed.
    await pushRawRows(store, run.id, texts.map((text, index) => (index % 2 === 0 ? asBytes(text, index) : { ...asBytes(text, index), dataBytes: undefined })));
    await pushRawRows(store, run.id, [texts[0]!, texts[2]!, texts[4]!].map((text, index) => asBytes(text, 10 + index)));
    const listed = await store.listResults(account.id, { runId: run.id }, page(100));
    expect(listed.items.map((row) => row.data)).toEqual([...texts, texts[0], texts[2], texts[4]]);
  });

  it('reads a run of many small ingests in push order, with exact unique rows', async () => {
    const store = getStore();
    const { account, squid, run } = await runningRun(store);
    // 300 ingests of 4 rows: values 0..599 each pushed twice, 150 ingests apart.
    const expected: number[] = [];
    for (let ingest = 0; ingest < 300; ingest += 1) {
      const values = [0, 1, 2, 3].map((i) => ((ingest * 4 + i) % 600));
      expected.push(...values);
      await pushRows(store, run.id, values.map((v) => ({ v })));
    }
    expect(await store.getRunById(run.id)).toMatchObject({ totalResults: 1200, totalUniqueResults: 600 });
    expect(((await readRun(store, run.id, false, 250)) as { v: number }[]).map((row) => row.v)).toEqual(expected);
    expect(((await readRun(store, run.id, true, 250)) as { v: number }[]).map((row) => row.v)).toEqual(expected.slice(0, 600));
    const listed = await store.listResults(account.id, { squidId: squid.id }, page(3, 598));
    expect(listed.total).toBe(1200);
    expect(listed.items.map((row) => JSON.parse(row.data).v)).toEqual([598, 599, 0]);
  });

  it('keeps a discarded ingest between committed ones, and an open one, invisible', async () => {
    const store = getStore();
    const { account, squid, run } = await runningRun(store);
    await pushRows(store, run.id, [{ v: 'a' }, { v: 'b' }]);
    const discarded = await store.openIngest(run.id, 200);
    await store.appendIngestRows(discarded, toRows([{ v: 'c' }, { v: 'a' }]));
    const open = await store.openIngest(run.id, 200);
    await store.appendIngestRows(open, toRows([{ v: 'd' }]));
    await store.discardIngest(discarded);
    // 'c' was only in the discarded ingest: it is new here.
    const after = await pushRows(store, run.id, [{ v: 'c' }, { v: 'b' }]);
    expect(after).toMatchObject({ totalResults: 4, totalUniqueResults: 3 });
    expect(await readRun(store, run.id)).toEqual(['a', 'b', 'c', 'b'].map((v) => ({ v })));
    expect(await readRun(store, run.id, true)).toEqual(['a', 'b', 'c'].map((v) => ({ v })));
    const bySquid = await store.listResults(account.id, { squidId: squid.id }, page(10));
    expect(bySquid.items.map((row) => JSON.parse(row.data).v)).toEqual(['a', 'b', 'c', 'b']);
    const committed = await store.commitIngest(open, ['v']);
    expect(committed).toMatchObject({ totalResults: 5, totalUniqueResults: 4 });
    expect(await readRun(store, run.id)).toEqual(['a', 'b', 'd', 'c', 'b'].map((v) => ({ v })));
  });

  it('keeps, of rows with one hash, the first row of the ingest committed first', async () => {
    const store = getStore();
    const { run } = await runningRun(store);
    const earlier = await store.openIngest(run.id, 200);
    const later = await store.openIngest(run.id, 200);
    // One hash for different texts, so that the export shows which row it kept.
    const rowsOf = (values: string[]): NewResultRow[] => values.map((v) => ({ data: JSON.stringify({ v }), rowHash: 'one hash', scrapingTimeMs: 1 }));
    await store.appendIngestRows(earlier, rowsOf(['earlier']));
    await store.appendIngestRows(later, rowsOf(['later 1', 'later 2']));
    await store.commitIngest(later, ['v']);
    expect(await store.commitIngest(earlier, ['v'])).toMatchObject({ totalResults: 3, totalUniqueResults: 1 });
    expect(await readRun(store, run.id, true, 10)).toEqual([{ v: 'later 1' }]);
  });

  it('tells apart row hashes that share their indexed prefix, and hashes that are not hex', async () => {
    const store = getStore();
    const { run } = await runningRun(store);
    const prefix = '0123456789abc';
    const row = (v: string, rowHash: string): NewResultRow => ({ data: JSON.stringify({ v }), rowHash, scrapingTimeMs: 1 });
    const first = await pushRawRows(store, run.id, [
      row('p0', `${prefix}${'0'.repeat(27)}`),
      row('p1', `${prefix}${'1'.repeat(27)}`),
      row('p0 again', `${prefix}${'0'.repeat(27)}`),
      row('n1', 'not hex: one'),
      row('n2', 'not hex: two'),
    ]);
    expect(first).toMatchObject({ totalResults: 5, totalUniqueResults: 4 });
    const second = await pushRawRows(store, run.id, [
      row('p1 again', `${prefix}${'1'.repeat(27)}`),
      row('p2', `${prefix}${'2'.repeat(27)}`),
      row('n2 again', 'not hex: two'),
      row('n3', 'not hex: three'),
    ]);
    expect(second).toMatchObject({ totalResults: 9, totalUniqueResults: 6 });
    expect(await readRun(store, run.id, true)).toEqual(['p0', 'p1', 'n1', 'n2', 'p2', 'n3'].map((v) => ({ v })));
  });

  it('deletes a squid with the unique-hash records of its runs', async () => {
    const store = getStore();
    const { account, squid, run } = await runningRun(store);
    await pushRows(store, run.id, [{ v: 1 }, { v: 2 }]);
    expect(await store.deleteSquid(account.id, squid.id, 400)).toBe(true);
    // One row per step: results, then run hashes, then the ingest, then the squid.
    expect(await purgeDeletedSquids(store, 1)).toBe(2 + 2 + 1 + 1);
    expect(await readRawTables(getTemp(), ['run_hashes', 'results', 'ingests'])).toEqual([]);
  });
});
