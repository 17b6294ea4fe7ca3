// Both body forms are streamed: a body well over 100 MB of NDJSON, or a JSON array near the body
// limit, goes in without the server's memory growing with it or its event loop held, and a bad
// line early in a big body answers 400 on an intact connection. The server runs in this
// process, so this process's memory and event loop are the server's.
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const MIB = 1024 * 1024;

/** `rowCount` NDJSON rows of about `rowBytes` each, generated as the request reads them. */
function generateNdjson(rowCount: number, rowBytes: number, badLine?: number): { body: Readable; sentBytes: () => number } {
  return generateRows(rowCount, rowBytes, 'ndjson', badLine);
}

/** The rows as NDJSON lines or as one JSON array's elements. */
function generateRows(rowCount: number, rowBytes: number, form: 'ndjson' | 'array', badRow?: number): { body: Readable; sentBytes: () => number } {
  const padding = 'p'.repeat(Math.max(0, rowBytes - 60));
  const rowsPerChunk = 256;
  const separator = form === 'ndjson' ? '\n' : ',\n';
  let sent = 0;
  function* chunks(): Generator<Buffer> {
    for (let start = 1; start <= rowCount; start += rowsPerChunk) {
      let text = form === 'array' && start === 1 ? '[' : '';
      for (let n = start; n < Math.min(start + rowsPerChunk, rowCount + 1); n++) {
        const broken = form === 'ndjson' ? '{"broken": ' : '{"broken": }';
        const row = n === badRow ? broken : `{"n":${n},"name":"row ${n}","padding":"${padding}"}`;
        text += row + (form === 'array' && n === rowCount ? ']' : separator);
      }
      const chunk = Buffer.from(text, 'utf8');
      sent += chunk.length;
      yield chunk;
    }
  }
  return { body: Readable.from(chunks(), { objectMode: false }), sentBytes: () => sent };
}

/**
 * Streams the body with node:http and pipeline, which wait for the socket to drain (fetch with a
 * stream body buffers ahead on the client side, which would measure the client, not the server).
 */
async function postStream(
  server: TestServer,
  runId: string,
  body: Readable,
  contentType = 'application/x-ndjson',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(`/v1/runs/${runId}/results`, server.url);
  const request = http.request(url, {
    method: 'POST',
    headers: { authorization: `Token ${server.token}`, 'content-type': contentType },
  });
  const answered = new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  await pipeline(body, request);
  const response = await answered;
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return { status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> };
}

/**
 * Collects garbage before each sample, so the samples measure live memory (what a buffered body
 * would hold), not garbage V8 has not collected yet.
 */
function createCollector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function sampleMemory(collect: () => void): { stop: () => { rssGrowth: number; heapGrowth: number } } {
  collect();
  const base = process.memoryUsage();
  let maxRss = base.rss;
  let maxHeap = base.heapUsed + base.external;
  const timer = setInterval(() => {
    collect();
    const now = process.memoryUsage();
    maxRss = Math.max(maxRss, now.rss);
    maxHeap = Math.max(maxHeap, now.heapUsed + now.external);
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      return { rssGrowth: maxRss - base.rss, heapGrowth: maxHeap - base.heapUsed - base.external };
    },
  };
}

describe('results streaming', () => {
  let server: TestServer;
  let runId: string;
  beforeEach(async () => {
    server = await startTestServer();
    const squid = (await server.request('POST', '/v1/squids', { name: 'Big' })).body.id;
    runId = (await server.request('POST', '/v1/runs', { squid })).body.id;
  });
  afterEach(async () => {
    await server.close();
  });

  it('ingests a 110 MB body without memory growing with it', async () => {
    const rowCount = 110_000;
    const { body, sentBytes } = generateNdjson(rowCount, 1024);
    const memory = sampleMemory(createCollector());
    const response = await postStream(server, runId, body);
    const { rssGrowth, heapGrowth } = memory.stop();
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ accepted: rowCount, total_results: rowCount });
    expect(sentBytes()).toBeGreaterThan(100 * MIB);
    console.log(`streamed ${(sentBytes() / MIB).toFixed(0)} MiB: rss +${(rssGrowth / MIB).toFixed(0)} MiB, live heap+external +${(heapGrowth / MIB).toFixed(0)} MiB`);
    // Buffering the body would hold at least its 106 MiB live; the bounds are loose on purpose.
    expect(rssGrowth).toBeLessThan(150 * MIB);
    expect(heapGrowth).toBeLessThan(64 * MIB);
    const last = await server.request('GET', `/v1/results?run=${runId}&limit=1&page=${rowCount}`);
    expect(last.body.data[0]).toMatchObject({ n: rowCount, name: `row ${rowCount}` });
  });

  it('answers 400 for a bad line early in a big body and stores nothing of it', async () => {
    const { body } = generateNdjson(30_000, 1024, 10);
    const response = await postStream(server, runId, body);
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/^line 10: /);
    expect((await server.request('GET', `/v1/runs/${runId}`)).body.total_results).toBe(0);
  });

  it('ingests a 40 MB JSON array as it arrives, without memory growing with it', async () => {
    const rowCount = 40_000;
    const { body, sentBytes } = generateRows(rowCount, 1024, 'array');
    const memory = sampleMemory(createCollector());
    const response = await postStream(server, runId, body, 'application/json');
    const { rssGrowth, heapGrowth } = memory.stop();
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ accepted: rowCount, total_results: rowCount });
    console.log(`streamed a ${(sentBytes() / MIB).toFixed(0)} MiB array: rss +${(rssGrowth / MIB).toFixed(0)} MiB, live heap+external +${(heapGrowth / MIB).toFixed(0)} MiB`);
    // Parsed whole, the body was held as a string (38 MiB) and far more as objects.
    expect(heapGrowth).toBeLessThan(32 * MIB);
  });

  it('never holds the event loop for long while it ingests a 40 MB JSON array', async () => {
    const { body } = generateRows(40_000, 1024, 'array');
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const response = await postStream(server, runId, body, 'application/json');
    delay.disable();
    expect(response.status).toBe(200);
    const maxDelayMs = delay.max / 1e6;
    console.log(`a 38 MiB array: max event loop delay ${maxDelayMs.toFixed(0)} ms`);
    // JSON.parse of the whole body held the loop for its whole length; the bound is loose on
    // purpose (a shared machine).
    expect(maxDelayMs).toBeLessThan(1000);
  });

  it('answers 400 for a bad item early in a big JSON array on an intact connection, storing nothing', async () => {
    const { body, sentBytes } = generateRows(30_000, 1024, 'array', 10);
    const response = await postStream(server, runId, body, 'application/json');
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/^item 10: invalid JSON/);
    expect((await server.request('GET', `/v1/runs/${runId}`)).body.total_results).toBe(0);
    // The server read the rest of the body (and dropped it) before answering.
    expect(sentBytes()).toBeGreaterThan(28 * MIB);
  });
});
