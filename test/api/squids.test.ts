// Squids over real HTTP: create, list, get, update, delete, unsupported Lobstr fields, and
// tenant isolation (another account's squid answers exactly like an unknown one).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILT_IN_CRAWLER } from '../../src/domain/crawlers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { s3Config } from '../storage/store-fixtures.js';

const UNKNOWN_ID = '0123456789abcdef0123456789abcdef';
const SQUID_NOT_FOUND = { errors: { message: 'Squid not found.', type: 'SquidDoesNotExistException', code: 404 }, detail: 'Squid not found.' };

describe('squids', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('creates a squid with the documented fields and the built-in crawler by default', async () => {
    const response = await server.request('POST', '/v1/squids', { name: 'Shops' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      object: 'squid',
      name: 'Shops',
      crawler: BUILT_IN_CRAWLER.id,
      crawler_name: BUILT_IN_CRAWLER.name,
      concurrency: 1,
      is_active: true,
      params: {},
      schedule: null,
      export_unique_results: false,
      no_line_breaks: false,
      email: null,
      notifications: false,
      last_run_status: null,
      last_run_at: null,
      total_runs: 0,
      s3_fields: null,
      webhook_fields: null,
      ftp_fields: null,
      google_sheet_fields: null,
      slack_fields: null,
    });
    expect(response.body.id).toMatch(/^[0-9a-f]{32}$/);
    expect(response.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const explicit = await server.request('POST', '/v1/squids', { crawler: BUILT_IN_CRAWLER.id, name: 'Other' });
    expect(explicit.status).toBe(200);
  });

  it('names squids "Custom scraper (N)" by default and refuses a duplicate name', async () => {
    expect((await server.request('POST', '/v1/squids', {})).body.name).toBe('Custom scraper (1)');
    expect((await server.request('POST', '/v1/squids')).body.name).toBe('Custom scraper (2)');
    const duplicate = await server.request('POST', '/v1/squids', { name: 'Custom scraper (1)' });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.errors).toMatchObject({ type: 'DuplicateSquid', code: 400 });
    expect(duplicate.body.detail).toEqual(expect.any(String));
  });

  it('answers 404 ModuleNotFound for an unknown crawler', async () => {
    const response = await server.request('POST', '/v1/squids', { crawler: UNKNOWN_ID });
    expect(response.status).toBe(404);
    expect(response.body.errors).toMatchObject({ type: 'ModuleNotFound', code: 404 });
  });

  it('lists squids with a name filter and the pagination envelope, accepting page_size', async () => {
    for (const name of ['Alpha shops', 'Beta SHOPS', 'Gamma', 'Delta shops']) {
      await server.request('POST', '/v1/squids', { name });
    }
    const filtered = await server.request('GET', '/v1/squids?name=shops&page_size=2');
    expect(filtered.status).toBe(200);
    expect(filtered.body).toMatchObject({ total_results: 3, limit: 2, page: 1, total_pages: 2, result_from: 1, result_to: 2, previous: null });
    expect(filtered.body.data.map((squid: { name: string }) => squid.name)).toEqual(['Alpha shops', 'Beta SHOPS']);
    const next = new URL(filtered.body.next as string);
    expect(`${next.origin}`).toBe(server.url);
    expect(Object.fromEntries(next.searchParams)).toEqual({ name: 'shops', page_size: '2', page: '2' });
    const second = await server.request('GET', next.pathname + next.search);
    expect(second.body).toMatchObject({ page: 2, result_from: 3, result_to: 3, next: null });
    expect(second.body.data.map((squid: { name: string }) => squid.name)).toEqual(['Delta shops']);
    expect(new URL(second.body.previous as string).searchParams.get('page')).toBe('1');
    const all = await server.request('GET', '/v1/squids');
    expect(all.body).toMatchObject({ total_results: 4, limit: 50, total_pages: 1 });
    const capped = await server.request('GET', '/v1/squids?limit=1000');
    expect(capped.body.limit).toBe(100);
    const beyond = await server.request('GET', '/v1/squids?page=9');
    expect(beyond.body).toMatchObject({ data: [], result_from: 0, next: null });
  });

  it('gets one squid with its S3 settings, keys masked to their last 4 characters', async () => {
    const squid = (await server.request('POST', '/v1/squids', { name: 'S3' })).body;
    await server.store.putDestination(squid.id, 's3', true, s3Config(), Date.now());
    const response = await server.request('GET', `/v1/squids/${squid.id}`);
    expect(response.status).toBe(200);
    expect(response.body.s3_fields).toEqual({
      bucket: 'my-bucket',
      is_active: true,
      target_path: 'exports',
      aws_access_key: '****************MPLE',
      aws_secret_key: '*'.repeat(36) + 'EKEY',
      region: 'eu-west-1',
      endpoint: null,
      force_path_style: null,
    });
    const listed = await server.request('GET', '/v1/squids');
    expect(listed.body.data[0].s3_fields.aws_secret_key).toBe('*'.repeat(36) + 'EKEY');
    expect(JSON.stringify(listed.body)).not.toContain('wJalrXUtnFEMI');
  });

  it('updates name, is_active, export settings and concurrency', async () => {
    const squid = (await server.request('POST', '/v1/squids', { name: 'Before' })).body;
    const response = await server.request('POST', `/v1/squids/${squid.id}`, {
      name: 'After', is_active: false, export_unique_results: true, no_line_breaks: true, concurrency: 20,
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: squid.id, name: 'After', is_active: false, export_unique_results: true, no_line_breaks: true, concurrency: 20 });
    expect((await server.request('GET', `/v1/squids/${squid.id}`)).body).toMatchObject({ name: 'After', concurrency: 20 });
    for (const concurrency of [0, 21, 1.5]) {
      const bad = await server.request('POST', `/v1/squids/${squid.id}`, { concurrency });
      expect(bad.status).toBe(400);
      expect(bad.body.errors.type).toBe('InvalidParameterValue');
      expect(bad.body.detail).toContain('concurrency');
    }
    await server.request('POST', '/v1/squids', { name: 'Taken' });
    const duplicate = await server.request('POST', `/v1/squids/${squid.id}`, { name: 'Taken' });
    expect(duplicate.body.errors.type).toBe('DuplicateSquid');
  });

  it('answers 400 naming each documented Lobstr field Squidship does not support', async () => {
    const squid = (await server.request('POST', '/v1/squids', { name: 'Plain' })).body;
    const fields = { params: { max_results: 10 }, accounts: [], cron_expression: '0 * * * *', timezone: 'UTC', to_complete: true, run_notify: 'on_success' };
    for (const [field, value] of Object.entries(fields)) {
      const response = await server.request('POST', `/v1/squids/${squid.id}`, { name: 'Changed', [field]: value });
      expect(response.status).toBe(400);
      expect(response.body.errors.type).toBe('InvalidParam');
      expect(response.body.detail).toContain(`Squidship does not support '${field}'`);
    }
    const create = await server.request('POST', '/v1/squids', { name: 'P', params: {} });
    expect(create.status).toBe(400);
    expect(create.body.detail).toContain("Squidship does not support 'params'");
    expect((await server.request('GET', `/v1/squids/${squid.id}`)).body.name).toBe('Plain');
  });

  it('deletes a squid with its runs and results', async () => {
    const squid = (await server.request('POST', '/v1/squids', { name: 'Gone' })).body;
    const run = (await server.request('POST', '/v1/runs', { squid: squid.id })).body;
    await server.request('POST', `/v1/runs/${run.id}/results`, [{ a: 1 }]);
    const response = await server.request('DELETE', `/v1/squids/${squid.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: squid.id, object: 'squid', deleted: true });
    expect((await server.request('GET', `/v1/squids/${squid.id}`)).body).toEqual(SQUID_NOT_FOUND);
    expect((await server.request('GET', `/v1/runs/${run.id}`)).status).toBe(404);
    expect((await server.request('GET', `/v1/results?run=${run.id}`)).status).toBe(404);
    expect((await server.request('DELETE', `/v1/squids/${squid.id}`)).body).toEqual(SQUID_NOT_FOUND);
  });

  it("answers another account's squid exactly like an unknown one", async () => {
    const mine = (await server.request('POST', '/v1/squids', { name: 'Mine' })).body;
    const other = await server.createAccountWithToken('other');
    const asOther = { authorization: `Token ${other.token}` };
    const unknown = await server.request('GET', `/v1/squids/${UNKNOWN_ID}`, undefined, asOther);
    expect(unknown).toMatchObject({ status: 404, body: SQUID_NOT_FOUND });
    for (const [method, path, body] of [
      ['GET', `/v1/squids/${mine.id}`, undefined],
      ['POST', `/v1/squids/${mine.id}`, { name: 'Stolen' }],
      ['DELETE', `/v1/squids/${mine.id}`, undefined],
      ['POST', '/v1/runs', { squid: mine.id }],
      ['GET', `/v1/runs?squid=${mine.id}`, undefined],
      ['GET', `/v1/results?squid=${mine.id}`, undefined],
    ] as const) {
      const response = await server.request(method, path, body, asOther);
      expect({ path, status: response.status, body: response.body }).toEqual({ path, status: 404, body: SQUID_NOT_FOUND });
    }
    expect((await server.request('GET', '/v1/squids', undefined, asOther)).body.total_results).toBe(0);
    // The other account may use the same name: names are unique per account only.
    expect((await server.request('POST', '/v1/squids', { name: 'Mine' }, asOther)).status).toBe(200);
    expect((await server.request('GET', `/v1/squids/${mine.id}`)).body.name).toBe('Mine');
  });
});
