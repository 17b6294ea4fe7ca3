// DELETE /v1/squids/{id} answers at once and the squid is gone from every read at once, its name
// free; its rows are purged in the background (the test server runs a purger, as main.ts does),
// in bounded steps that never stall the event loop for long, and a purge cut short by a restart
// resumes. Its pending deliveries are cancelled.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, expect, it } from 'vitest';
import type { Store } from '../../src/storage/store.js';
import { pollUntil } from '../helpers/poll-until.js';
import { describeEachDialect, type TempStore } from '../helpers/temp-store.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { pushRows, readRawTables, s3Config } from '../storage/store-fixtures.js';

/**
 * Pushes `count` rows of about 100 bytes straight through the store, in ingests of 10,000 rows:
 * one array of all of them left a large heap whose collection later stalled the loop by itself.
 */
async function seedRows(store: Store, runId: string, count: number): Promise<void> {
  const payload = 'x'.repeat(80);
  for (let start = 0; start < count; start += 10_000) {
    const size = Math.min(10_000, count - start);
    await pushRows(store, runId, Array.from({ length: size }, (_, i) => ({ i: start + i, payload })), 5000);
  }
}

async function waitForPurge(temp: TempStore, squidId: string, timeoutMs = 60_000): Promise<void> {
  await pollUntil(async () => !(await readRawTables(temp, ['squids'])).some((row) => (row as { id: string }).id === squidId), {
    timeoutMs,
    what: `the purge of squid ${squidId} to finish`,
  });
}

describeEachDialect('deleting a squid', (getStore, getTemp) => {
  let server: TestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  async function squidWithRun(name: string, rows: number): Promise<{ squidId: string; runId: string }> {
    const squid = await server!.request('POST', '/v1/squids', { name });
    const run = await server!.request('POST', '/v1/runs', { squid: squid.body.id });
    await seedRows(getStore(), run.body.id, rows);
    return { squidId: squid.body.id, runId: run.body.id };
  }

  it('hides the squid from every read at once, frees its name, and purges its rows in the background', async () => {
    server = await startTestServer({ store: getStore(), config: { purge: { batchRows: 500, intervalMs: 600_000 } } });
    const gone = await squidWithRun('doomed', 3000);
    const kept = await squidWithRun('kept', 10);

    const answer = await server.request('DELETE', `/v1/squids/${gone.squidId}`);
    expect(answer).toMatchObject({ status: 200, body: { id: gone.squidId, object: 'squid', deleted: true } });
    expect((await server.request('GET', `/v1/squids/${gone.squidId}`)).status).toBe(404);
    expect((await server.request('GET', '/v1/squids')).body.data.map((s: { id: string }) => s.id)).toEqual([kept.squidId]);
    expect((await server.request('GET', `/v1/runs/${gone.runId}`)).status).toBe(404);
    expect((await server.request('GET', `/v1/results?squid=${gone.squidId}`)).status).toBe(404);
    expect((await server.request('POST', `/v1/runs/${gone.runId}/complete`)).status).toBe(404);
    expect((await server.request('DELETE', `/v1/squids/${gone.squidId}`)).status).toBe(404);
    // The name is free at once, for a squid of its own.
    const again = await server.request('POST', '/v1/squids', { name: 'doomed' });
    expect(again.status).toBe(200);
    expect((await server.request('GET', `/v1/results?squid=${again.body.id}`)).body).toMatchObject({ total_results: 0 });

    // The wakeup, not the (10-minute) interval, starts the purge.
    await waitForPurge(getTemp(), gone.squidId);
    const left = (await readRawTables(getTemp(), ['results'])) as Array<{ data: string }>;
    expect(left).toHaveLength(10);
    expect((await readRawTables(getTemp(), ['run_hashes'])).length).toBe(10);
    expect((await readRawTables(getTemp(), ['runs'])).length).toBe(1);
    expect((await server.request('GET', `/v1/results?squid=${kept.squidId}`)).body).toMatchObject({ total_results: 10 });
  }, 60_000);

  it('cancels the squid\'s pending deliveries', async () => {
    server = await startTestServer({ store: getStore() });
    const { squidId, runId } = await squidWithRun('delivered', 5);
    await getStore().putDestination(squidId, 's3', true, s3Config(), Date.now());
    expect((await server.request('POST', `/v1/runs/${runId}/complete`)).status).toBe(200);
    const [pending] = await getStore().listRunDeliveries(server.account.id, runId);
    expect(pending).toMatchObject({ status: 'pending' });
    expect((await server.request('DELETE', `/v1/squids/${squidId}`)).status).toBe(200);
    expect(await getStore().getDelivery(pending!.id)).toBeNull();
    expect(await getStore().claimDueDelivery('worker', Date.now() + 3_600_000, 1000)).toBeNull();
  });
});

describeEachDialect('deleting a large squid', (getStore, getTemp) => {
  let server: TestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('answers at once and never stalls the event loop for long while its 300,000 rows are purged', async () => {
    server = await startTestServer({ store: getStore() });
    const squid = await server.request('POST', '/v1/squids', { name: 'large' });
    const run = await server.request('POST', '/v1/runs', { squid: squid.body.id });
    await seedRows(getStore(), run.body.id, 300_000);

    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const startedMs = performance.now();
    expect((await server.request('DELETE', `/v1/squids/${squid.body.id}`)).status).toBe(200);
    const answerMs = performance.now() - startedMs;
    await waitForPurge(getTemp(), squid.body.id, 120_000);
    delay.disable();
    const maxStallMs = delay.max / 1e6;
    console.log(`delete answered in ${answerMs.toFixed(0)} ms; purge took ${(performance.now() - startedMs).toFixed(0)} ms; max event-loop stall ${maxStallMs.toFixed(0)} ms`);
    // Generous bounds for a machine shared with other work (measured: 75 to 250 ms). The old
    // delete, one transaction over the 300,000 rows, answered after it and stalled the loop for
    // all of it: 1.1 to 3.5 s on the same machine.
    expect(answerMs).toBeLessThan(500);
    expect(maxStallMs).toBeLessThan(500);
    expect(await readRawTables(getTemp(), ['results', 'run_hashes', 'ingests'])).toEqual([]);
  }, 180_000);
});
