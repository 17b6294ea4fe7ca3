// Per-account caps (squids, pushes at once, rows per run) and the page cap, over real HTTP. The
// page cap runs on both databases: an offset past bigint used to answer 500.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type AccountLimits } from '../../src/config/config.js';
import { MAX_PAGE } from '../../src/api/pagination.js';
import { describeEachDialect } from '../helpers/temp-store.js';
import { pollUntil } from '../helpers/poll-until.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const DEFAULT_LIMITS = loadConfig({}, '/').limits;
const NDJSON = { 'content-type': 'application/x-ndjson' };

describe('per-account caps', () => {
  let server: TestServer;
  afterEach(async () => {
    await server?.close();
  });

  async function start(limits: Partial<AccountLimits>): Promise<TestServer> {
    server = await startTestServer({ config: { limits: { ...DEFAULT_LIMITS, ...limits } } });
    return server;
  }

  async function startRun(name = 'caps'): Promise<string> {
    const squid = await server.request('POST', '/v1/squids', { name });
    const run = await server.request('POST', '/v1/runs', { squid: squid.body.id });
    return run.body.id as string;
  }

  it('refuses a squid over SQUIDSHIP_MAX_SQUIDS_PER_ACCOUNT with 400 SlotsLimitExceeded, per account', async () => {
    await start({ maxSquidsPerAccount: 2 });
    expect((await server.request('POST', '/v1/squids', { name: 'one' })).status).toBe(200);
    expect((await server.request('POST', '/v1/squids', { name: 'two' })).status).toBe(200);
    const third = await server.request('POST', '/v1/squids', { name: 'three' });
    expect(third.status).toBe(400);
    expect(third.body.errors).toMatchObject({ type: 'SlotsLimitExceeded', code: 400 });
    expect(third.body.detail).toContain('SQUIDSHIP_MAX_SQUIDS_PER_ACCOUNT=2');
    expect((await server.request('GET', '/v1/squids')).body.total_results).toBe(2);
    const other = await server.createAccountWithToken('other');
    expect((await server.request('POST', '/v1/squids', { name: 'three' }, { authorization: `Token ${other.token}` })).status).toBe(200);
  });

  it('refuses a push that would take the run past SQUIDSHIP_MAX_ROWS_PER_RUN, storing none of it, on both body forms', async () => {
    await start({ maxRowsPerRun: 3 });
    const runId = await startRun();
    expect((await server.request('POST', `/v1/runs/${runId}/results`, [{ a: 1 }, { a: 2 }])).body.total_results).toBe(2);
    const array = await server.request('POST', `/v1/runs/${runId}/results`, [{ a: 3 }, { a: 4 }]);
    expect(array.status).toBe(400);
    expect(array.body.errors).toMatchObject({ type: 'UsageLimitExceeded', code: 400 });
    const ndjson = await server.request('POST', `/v1/runs/${runId}/results`, '{"a":3}\n{"a":4}\n', NDJSON);
    expect(ndjson.status).toBe(400);
    expect(ndjson.body.errors.type).toBe('UsageLimitExceeded');
    expect((await server.request('GET', `/v1/runs/${runId}`)).body.total_results).toBe(2);
    expect((await server.request('POST', `/v1/runs/${runId}/results`, '{"a":3}\n', NDJSON)).body.total_results).toBe(3);
  });

  it('answers 429 ConcurrencyLimitExceeded to a push beyond SQUIDSHIP_MAX_CONCURRENT_PUSHES_PER_ACCOUNT', async () => {
    await start({ maxConcurrentPushesPerAccount: 1 });
    const runId = await startRun();
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
    });
    socket.write(
      `POST /v1/runs/${runId}/results HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token ${server.token}\r\n` +
        'Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n8\r\n{"a":1}\n\r\n',
    );
    // The first push holds its slot while its body is open. The probe's bad line would answer
    // 400 and store nothing if it got a slot, so probing until the 429 changes no rows.
    const second = await pollUntil(async () => {
      const response = await server.request('POST', `/v1/runs/${runId}/results`, '{"a":\n', NDJSON);
      return response.status === 429 && response;
    }, { timeoutMs: 5000, what: 'a 429 while the first push is open' });
    expect(second.body.errors).toMatchObject({ type: 'ConcurrencyLimitExceeded', code: 429 });
    socket.write('0\r\n\r\n');
    await pollUntil(() => answer.includes('"total_results":1'), { timeoutMs: 5000, what: () => `the first push's answer, got ${answer}` });
    socket.destroy();
    expect((await server.request('POST', `/v1/runs/${runId}/results`, '{"a":2}\n', NDJSON)).body.total_results).toBe(2);
  });
});

describeEachDialect('page numbers', (getStore) => {
  let server: TestServer;
  afterEach(async () => {
    await server?.close();
  });

  it('answers 400 for a page whose offset would overflow, on every listing', async () => {
    server = await startTestServer({ store: getStore() });
    const squidId = (await server.request('POST', '/v1/squids', { name: 'pages' })).body.id;
    const runId = (await server.request('POST', '/v1/runs', { squid: squidId })).body.id;
    for (const path of ['/v1/squids', `/v1/runs?squid=${squidId}`, `/v1/results?run=${runId}`, '/v1/crawlers']) {
      for (const page of ['1000000000000000000', '99999999999999999999999', String(MAX_PAGE + 1)]) {
        const response = await server.request('GET', `${path}${path.includes('?') ? '&' : '?'}page=${page}`);
        expect({ path, page, status: response.status, type: response.body.errors?.type }).toEqual({ path, page, status: 400, type: 'InvalidParameterValue' });
      }
      const last = await server.request('GET', `${path}${path.includes('?') ? '&' : '?'}page=${MAX_PAGE}&limit=100`);
      expect({ path, status: last.status, data: last.body.data }).toEqual({ path, status: 200, data: [] });
    }
  });
});
