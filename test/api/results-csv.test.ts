// POST /v1/runs/{id}/results with a text/csv body (what the dashboard sends for a .csv file):
// the header row gives the keys, values stay strings, quoted commas and line breaks survive,
// and a malformed record stores nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('results as CSV', () => {
  let server: TestServer;
  let squidId: string;

  beforeAll(async () => {
    server = await startTestServer();
    squidId = (await server.request('POST', '/v1/squids', { name: 'csv' })).body.id as string;
  });

  afterAll(async () => {
    await server.close();
  });

  async function startRun(): Promise<string> {
    const run = await server.request('POST', '/v1/runs', { squid: squidId });
    expect(run.status).toBe(200);
    return run.body.id as string;
  }

  const pushCsv = (runId: string, body: string, contentType = 'text/csv') =>
    server.request('POST', `/v1/runs/${runId}/results`, body, { 'content-type': contentType });

  it('stores one row per record, keyed by the header, values as strings', async () => {
    const runId = await startRun();
    const csv = '\uFEFFname,price,zip,note\r\n"Widget, large",12.50,01234,"two\nlines"\r\nGadget,7,99999,\r\n\r\n';
    const pushed = await pushCsv(runId, csv);
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(200);
    expect(pushed.body.accepted).toBe(2);
    const results = await server.request('GET', `/v1/results?run=${runId}`);
    const rows = results.body.data.map(({ name, price, zip, note }: Record<string, unknown>) => ({ name, price, zip, note }));
    expect(rows).toEqual([
      { name: 'Widget, large', price: '12.50', zip: '01234', note: 'two\nlines' },
      { name: 'Gadget', price: '7', zip: '99999', note: '' },
    ]);
    await server.request('POST', `/v1/runs/${runId}/abort`);
  });

  it('answers 400 for a record with more fields than the header and stores none of the body', async () => {
    const runId = await startRun();
    const pushed = await pushCsv(runId, 'a,b\n1,2\n3,4,5\n');
    expect(pushed.status).toBe(400);
    expect(pushed.body.errors.type).toBe('InvalidParameterValue');
    expect(pushed.body.errors.message).toMatch(/^The CSV body is not valid: .*line 3/);
    expect((await server.request('GET', `/v1/runs/${runId}`)).body.total_results).toBe(0);
    await server.request('POST', `/v1/runs/${runId}/abort`);
  });

  it('answers 415 for CSV declaring a charset other than UTF-8', async () => {
    const runId = await startRun();
    const pushed = await pushCsv(runId, 'a\n1\n', 'text/csv; charset=latin1');
    expect(pushed.status).toBe(415);
    await server.request('POST', `/v1/runs/${runId}/abort`);
  });
});
