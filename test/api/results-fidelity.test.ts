// What a scraper pushes is what a user reads back, on both databases and both body forms: numbers
// keep their literals in GET /v1/results and in the CSV download; rows nested too deeply, lines
// that are not UTF-8 and bodies in another charset are refused, storing nothing; `__proto__` and
// `constructor` keys are data; a row stored deeper than any reader goes does not fail its pages.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/temp-store.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const NDJSON = { 'content-type': 'application/x-ndjson' };
const NUMBERS = '"big":12345678901234567890,"safe":9007199254740993,"one":1.0,"price":19.990,"tiny":1E-7,"neg":-0';

const nested = (levels: number): string => `{"v":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

describeEachDialect('results as sent', (getStore) => {
  let server: TestServer;
  let squidId: string;
  let runId: string;

  beforeEach(async () => {
    server = await startTestServer({ store: getStore() });
    squidId = (await server.request('POST', '/v1/squids', { name: 'Fidelity' })).body.id;
    runId = (await server.request('POST', '/v1/runs', { squid: squidId })).body.id;
  });

  afterEach(async () => {
    await server.close();
  });

  /** GET /v1/results as the raw text a client reads (a JSON parser would round the numbers). */
  async function readResultsText(query: string): Promise<{ status: number; text: string }> {
    const response = await fetch(`${server.url}/v1/results?${query}`, { headers: { authorization: `Token ${server.token}` } });
    return { status: response.status, text: await response.text() };
  }

  async function downloadCsv(): Promise<string> {
    expect((await server.request('POST', `/v1/runs/${runId}/complete`)).status).toBe(200);
    const link = await server.request('GET', `/v1/runs/${runId}/download`);
    expect(link.status).toBe(200);
    const download = await fetch(link.body.s3 as string);
    expect(download.status).toBe(200);
    return download.text();
  }

  async function totalResults(): Promise<number> {
    return (await server.request('GET', `/v1/runs/${runId}`)).body.total_results as number;
  }

  it('gives every number as pushed, from a JSON array and NDJSON, in GET /v1/results and the CSV download', async () => {
    const array = await server.request('POST', `/v1/runs/${runId}/results`, `[{${NUMBERS}}]`);
    expect(array.status).toBe(200);
    const ndjson = await server.request('POST', `/v1/runs/${runId}/results`, `{${NUMBERS}}\n`, NDJSON);
    expect(ndjson.body).toMatchObject({ accepted: 1, total_results: 2 });
    const { status, text } = await readResultsText(`run=${runId}`);
    expect(status).toBe(200);
    const page = JSON.parse(text) as { data: Array<{ id: string; scraping_time: string }> };
    expect(page.data).toHaveLength(2);
    for (const row of page.data) {
      const api = `"id":"${row.id}","object":"result","squid":"${squidId}","run":"${runId}","scraping_time":"${row.scraping_time}"`;
      expect(text).toContain(`{${NUMBERS},${api}}`);
    }
    const line = '12345678901234567890,9007199254740993,1.0,19.990,1E-7,-0\r\n';
    expect(await downloadCsv()).toBe(`big,safe,one,price,tiny,neg\r\n${line}${line}`);
  });

  it('keeps the shape and key order of a result: integer-like keys first, the API scraping_time in the row\'s place', async () => {
    const row = '{"b":1.50,"scraping_time":"2020-01-02T03:04:05Z","a":{"x":[1.0]},"7":"seven"}';
    expect((await server.request('POST', `/v1/runs/${runId}/results`, `[${row}]`)).status).toBe(200);
    const { text } = await readResultsText(`squid=${squidId}`);
    const { data } = JSON.parse(text) as { data: Array<{ id: string }> };
    const api = `"id":"${data[0]!.id}","object":"result","squid":"${squidId}","run":"${runId}"`;
    expect(text).toContain(`"data":[{"7":"seven","b":1.50,"scraping_time":"2020-01-02T03:04:05.000Z","a":{"x":[1.0]},${api}}]}`);
  });

  it('refuses a row nested deeper than SQUIDSHIP_MAX_ROW_DEPTH with a 400 naming it, on both body forms, storing nothing', async () => {
    const deepArray = await server.request('POST', `/v1/runs/${runId}/results`, `[{"a":1},${nested(65)}]`);
    expect(deepArray.status).toBe(400);
    expect(deepArray.body.detail).toBe('item 2: the row is nested deeper than the limit of 64 levels (SQUIDSHIP_MAX_ROW_DEPTH)');
    const deepLine = await server.request('POST', `/v1/runs/${runId}/results`, `{"a":1}\n${nested(5000)}\n`, NDJSON);
    expect(deepLine.status).toBe(400);
    expect(deepLine.body.detail).toMatch(/^line 2: the row is nested deeper than the limit of 64 levels/);
    const deepFirst = await server.request('POST', `/v1/runs/${runId}/results`, `[${nested(5000)}]`);
    expect(deepFirst.status).toBe(400);
    expect(await totalResults()).toBe(0);
    expect((await server.request('POST', `/v1/runs/${runId}/results`, `[${nested(64)}]`)).status).toBe(200);
  });

  it('answers a row already stored deeper than any reader goes without a 500, its text kept', async () => {
    const deep = nested(5000);
    const store = getStore();
    const ingestId = await store.openIngest(runId, Date.now());
    await store.appendIngestRows(ingestId, [
      { data: '{"a":1}', rowHash: 'a', scrapingTimeMs: Date.now() },
      { data: deep, rowHash: 'deep', scrapingTimeMs: Date.now() },
    ]);
    await store.commitIngest(ingestId, ['a', 'v']);
    for (const query of [`run=${runId}`, `squid=${squidId}`]) {
      const { status, text } = await readResultsText(query);
      expect(status).toBe(200);
      const page = JSON.parse(text) as { data: Array<Record<string, unknown>> };
      expect(page.data[0]).toMatchObject({ a: 1, object: 'result' });
      expect(page.data[1]).toMatchObject({ object: 'result', squid: squidId, run: runId, unreadable: { type: 'StoredRowUnreadable', data: deep } });
      expect((page.data[1]!.unreadable as { message: string }).message).toContain('nested deeper than 1000 levels');
    }
    // The download never gives a whole 200 for it: an error status, or a body cut abnormally.
    expect((await server.request('POST', `/v1/runs/${runId}/complete`)).status).toBe(200);
    const link = await server.request('GET', `/v1/runs/${runId}/download`);
    const download = await fetch(link.body.s3 as string)
      .then(async (response) => ({ status: response.status, text: await response.text() }))
      .catch((error: unknown) => error);
    expect(download instanceof Error || (download as { status: number }).status >= 400).toBe(true);
    expect((await server.request('GET', '/healthz')).status).toBe(200);
  });

  it('refuses an NDJSON line that is not UTF-8 with a 400 naming it, storing nothing', async () => {
    const body = Buffer.concat([Buffer.from('{"a":"ok"}\n{"a":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]);
    const response = await server.request('POST', `/v1/runs/${runId}/results`, body, NDJSON);
    expect(response.status).toBe(400);
    expect(response.body.detail).toBe('line 2: invalid UTF-8: send rows as UTF-8 text');
    expect(await totalResults()).toBe(0);
  });

  it('refuses a charset other than UTF-8 with a 415 naming it, on both body forms and other JSON bodies', async () => {
    const utf16 = Buffer.from('[{"a":1}]', 'utf16le');
    const array = await server.request('POST', `/v1/runs/${runId}/results`, utf16, { 'content-type': 'application/json; charset=utf-16' });
    expect(array.status).toBe(415);
    expect(array.body.errors.type).toBe('UnsupportedMediaType');
    expect(array.body.detail).toContain('charset=utf-16');
    const latin1 = await server.request('POST', `/v1/runs/${runId}/results`, '{"a":1}\n', { 'content-type': 'application/x-ndjson; charset="ISO-8859-1"' });
    expect(latin1.status).toBe(415);
    expect(latin1.body.detail).toContain('charset=ISO-8859-1');
    const squid = await server.request('POST', '/v1/squids', '{"name":"x"}', { 'content-type': 'application/json;charset=utf-16' });
    expect(squid.status).toBe(415);
    expect(await totalResults()).toBe(0);
    const utf8 = await server.request('POST', `/v1/runs/${runId}/results`, '[{"a":1}]', { 'content-type': 'application/json; charset=UTF-8' });
    expect(utf8.status).toBe(200);
  });

  it('stores __proto__ and constructor keys as data from both body forms, and reads them back safely', async () => {
    const row = '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"n":1}';
    expect((await server.request('POST', `/v1/runs/${runId}/results`, `[${row}]`)).status).toBe(200);
    expect((await server.request('POST', `/v1/runs/${runId}/results`, `${row}\n`, NDJSON)).status).toBe(200);
    const { text } = await readResultsText(`run=${runId}`);
    expect(text.split('"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"n":1,"id":')).toHaveLength(3);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const line = '"{""polluted"":1}","{""prototype"":{""polluted"":2}}",1\r\n';
    expect(await downloadCsv()).toBe(`__proto__,constructor,n\r\n${line}${line}`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
