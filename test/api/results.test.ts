// Results over real HTTP: pushing rows (JSON array and NDJSON, our extension), atomic rejection
// of a bad batch, and GET /v1/results with Lobstr's row shape and pagination.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const UNKNOWN_ID = '0123456789abcdef0123456789abcdef';
const NDJSON = { 'content-type': 'application/x-ndjson' };

function toNdjson(rows: unknown[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
}

describe('results', () => {
  let server: TestServer;
  let squidId: string;
  let runId: string;
  beforeEach(async () => {
    server = await startTestServer();
    squidId = (await server.request('POST', '/v1/squids', { name: 'Results' })).body.id;
    runId = (await server.request('POST', '/v1/runs', { squid: squidId })).body.id;
  });
  afterEach(async () => {
    await server.close();
  });

  it('appends a JSON array and NDJSON, answering accepted rows and the run total', async () => {
    const json = await server.request('POST', `/v1/runs/${runId}/results`, [{ name: 'a', score: 4.4 }, { name: 'b' }]);
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ accepted: 2, total_results: 2, run: { id: runId, object: 'run', total_results: 2 } });
    const ndjson = await server.request('POST', `/v1/runs/${runId}/results`, toNdjson([{ name: 'c' }, { name: 'a', score: 4.4 }]), NDJSON);
    expect(ndjson.status).toBe(200);
    expect(ndjson.body).toMatchObject({ accepted: 2, total_results: 4, run: { total_results: 4, total_unique_results: 3 } });
    const empty = await server.request('POST', `/v1/runs/${runId}/results`, '', NDJSON);
    expect(empty.body).toMatchObject({ accepted: 0, total_results: 4 });
    const withCharset = await server.request('POST', `/v1/runs/${runId}/results`, '{"name":"é"}\r\n', {
      'content-type': 'application/x-ndjson; charset=utf-8',
    });
    expect(withCharset.body).toMatchObject({ accepted: 1, total_results: 5 });
    expect((await server.request('GET', `/v1/runs/${runId}`)).body.total_results).toBe(5);
  });

  it('lists rows in push order with id, object, squid, run and scraping_time', async () => {
    await server.request('POST', `/v1/runs/${runId}/results`, [
      { name: '1860 Le Palais', score: 4.4, scraping_time: '2025-02-10T14:31:05.487Z' },
      { name: 'second', nested: { a: [1, 2] } },
      { name: 'third' },
    ]);
    const page = await server.request('GET', `/v1/results?run=${runId}&page_size=2`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ total_results: 3, limit: 2, page: 1, total_pages: 2, result_from: 1, result_to: 2, previous: null });
    const [first, second] = page.body.data;
    expect(first).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      object: 'result', squid: squidId, run: runId, name: '1860 Le Palais', score: 4.4, scraping_time: '2025-02-10T14:31:05.487Z',
    });
    expect(second).toMatchObject({ object: 'result', name: 'second', nested: { a: [1, 2] } });
    expect(second.scraping_time).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(second.id).not.toBe(first.id);
    const next = await server.request('GET', new URL(page.body.next as string).pathname + new URL(page.body.next as string).search);
    expect(next.body.data.map((row: { name: string }) => row.name)).toEqual(['third']);
    const again = await server.request('GET', `/v1/results?run=${runId}&limit=1`);
    expect(again.body.data[0].id).toBe(first.id);
    const bySquid = await server.request('GET', `/v1/results?squid=${squidId}`);
    expect(bySquid.body.total_results).toBe(3);
  });

  it('needs exactly one of squid and run', async () => {
    const message = "You must provide either 'squid' or 'run' parameter, not both or neither";
    const neither = await server.request('GET', '/v1/results');
    expect(neither.status).toBe(400);
    expect(neither.body).toEqual({ errors: { message, type: 'ParamsNeeded', code: 400, param: 'squid,run' }, detail: message });
    const both = await server.request('GET', `/v1/results?squid=${squidId}&run=${runId}`);
    expect(both.status).toBe(400);
    expect(both.body.detail).toBe(message);
    expect((await server.request('GET', `/v1/results?squid=${UNKNOWN_ID}`)).body.errors.type).toBe('SquidDoesNotExistException');
    expect((await server.request('GET', `/v1/results?run=${UNKNOWN_ID}`)).body.errors.type).toBe('RunDoesNotExist');
  });

  it('rejects a batch with a bad line 5000 of 10000 whole, naming the line', async () => {
    await server.request('POST', `/v1/runs/${runId}/results`, [{ kept: true }]);
    const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ n: i + 1, text: 'x'.repeat(50) }));
    lines[4999] = '{"n": 5000, "broken": ';
    const response = await server.request('POST', `/v1/runs/${runId}/results`, lines.join('\n') + '\n', NDJSON);
    expect(response.status).toBe(400);
    expect(response.body.errors).toMatchObject({ type: 'InvalidParameterValue', code: 400 });
    expect(response.body.detail).toMatch(/^line 5000: /);
    expect((await server.request('GET', `/v1/runs/${runId}`)).body.total_results).toBe(1);
    const results = await server.request('GET', `/v1/results?run=${runId}&limit=100`);
    expect(results.body.total_results).toBe(1);
    expect(results.body.data.map((row: { kept?: boolean }) => row.kept)).toEqual([true]);
    // The connection and the run are still usable after the rejection.
    expect((await server.request('POST', `/v1/runs/${runId}/results`, toNdjson([{ n: 1 }]), NDJSON)).body.total_results).toBe(2);
  });

  it('names the bad element of a JSON array and the reason of a bad line', async () => {
    const notObject = await server.request('POST', `/v1/runs/${runId}/results`, [{ a: 1 }, 'text']);
    expect(notObject.status).toBe(400);
    expect(notObject.body.detail).toMatch(/^item 2: /);
    const notArray = await server.request('POST', `/v1/runs/${runId}/results`, { a: 1 });
    expect(notArray.status).toBe(400);
    const reserved = await server.request('POST', `/v1/runs/${runId}/results`, toNdjson([{ a: 1 }, { a: 2 }, { id: 7 }]), NDJSON);
    expect(reserved.body.detail).toMatch(/^line 3: .*"id"/);
    expect((await server.request('GET', `/v1/runs/${runId}`)).body.total_results).toBe(0);
  });

  it('rejects a row over the per-row limit', async () => {
    await server.close();
    server = await startTestServer({ config: { maxRowBytes: 100 } });
    const squid = (await server.request('POST', '/v1/squids', { name: 'Small rows' })).body.id;
    const run = (await server.request('POST', '/v1/runs', { squid })).body.id;
    const response = await server.request('POST', `/v1/runs/${run}/results`, toNdjson([{ a: 1 }, { a: 'y'.repeat(200) }]), NDJSON);
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/^line 2: .*100 bytes/);
  });

  it('answers 404 for an unknown run and 409 RunNotRunning for a finished one', async () => {
    const unknown = await server.request('POST', `/v1/runs/${UNKNOWN_ID}/results`, toNdjson([{ a: 1 }]), NDJSON);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors.type).toBe('RunDoesNotExist');
    await server.request('POST', `/v1/runs/${runId}/complete`);
    const finished = await server.request('POST', `/v1/runs/${runId}/results`, [{ a: 1 }]);
    expect(finished.status).toBe(409);
    expect(finished.body.errors).toMatchObject({ type: 'RunNotRunning', code: 409 });
    expect((await server.request('GET', `/v1/results?run=${runId}`)).body.total_results).toBe(0);
  });

  it('answers 413 for a JSON array over the body limit and points to NDJSON', async () => {
    await server.close();
    server = await startTestServer({ config: { maxBodyBytes: 4096 } });
    const squid = (await server.request('POST', '/v1/squids', { name: 'Limits' })).body.id;
    const run = (await server.request('POST', '/v1/runs', { squid })).body.id;
    const rows = Array.from({ length: 200 }, (_, i) => ({ n: i, text: 'z'.repeat(40) }));
    const json = await server.request('POST', `/v1/runs/${run}/results`, rows);
    expect(json.status).toBe(413);
    expect(json.body.errors.type).toBe('FileSizeLimitExceeded');
    expect(json.body.detail).toContain('application/x-ndjson');
    const ndjson = await server.request('POST', `/v1/runs/${run}/results`, toNdjson(rows), NDJSON);
    expect(ndjson.body).toMatchObject({ accepted: 200, total_results: 200 });
  });
});
