// PostgreSQL refuses U+0000 in a text value, so a NUL in an id, a query or a name reached the
// database and answered 500 there (found by the fuzz suite). Every such request is a 4xx on both
// databases; a NUL inside a result row is data and round-trips.
import { afterEach, expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/temp-store.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describeEachDialect('NUL characters in requests', (getStore) => {
  let server: TestServer;
  afterEach(async () => {
    await server?.close();
  });

  it('answers 4xx, never 500, to a NUL in ids, query parameters and text fields', async () => {
    server = await startTestServer({ store: getStore() });
    const squid = (await server.request('POST', '/v1/squids', { name: 'n' })).body.id as string;
    const run = (await server.request('POST', '/v1/runs', { squid })).body.id as string;
    const cases: [string, string, unknown?][] = [
      ['GET', '/v1/squids/%00'],
      ['GET', '/v1/runs/%00/stats'],
      ['GET', '/v1/runs/%00/download'],
      ['GET', '/v1/runs?squid=%00'],
      ['GET', '/v1/results?squid=%00'],
      ['GET', '/v1/results?run=%00'],
      ['GET', '/v1/squids?name=%00'],
      ['POST', '/v1/runs', { squid: '\u0000' }],
      ['POST', '/v1/delivery?squid=%00', { s3: {} }],
      ['POST', '/v1/squids', { name: 'a\u0000b' }],
      ['POST', `/v1/squids/${squid}`, { name: '\u0000' }],
    ];
    const answers = [];
    for (const [method, path, body] of cases) {
      const response = await server.request(method, path, body);
      answers.push([method, path, response.status >= 400 && response.status < 500 ? '4xx' : response.status]);
    }
    expect(answers).toEqual(cases.map(([method, path]) => [method, path, '4xx']));
    const pushed = await server.request('POST', `/v1/runs/${run}/results`, '{"a":"x\\u0000y"}\n', { 'content-type': 'application/x-ndjson' });
    expect(pushed.status).toBe(200);
    const listed = await server.request('GET', `/v1/results?run=${run}`);
    expect(listed.body.data[0].a).toBe('x\u0000y');
  });
});
