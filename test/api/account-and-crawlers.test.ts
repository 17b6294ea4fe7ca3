// /v1/me and the crawlers: the account behind the token, and the one built-in crawler.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_CRAWLER } from '../../src/domain/crawlers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('me and crawlers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers the account the token belongs to', async () => {
    const me = await server.request('GET', '/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: server.account.id, email: server.account.email, first_name: server.account.name, plan: [] });
    const other = await server.createAccountWithToken('second');
    const theirs = await server.request('GET', '/v1/me', undefined, { authorization: `Token ${other.token}` });
    expect(theirs.body).toMatchObject({ id: other.account.id, first_name: 'second' });
  });

  it('lists the one built-in crawler in the pagination envelope', async () => {
    const response = await server.request('GET', '/v1/crawlers');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      total_results: 1, limit: 50, page: 1, total_pages: 1, result_from: 1, result_to: 1, next: null, previous: null,
    });
    expect(response.body.data).toEqual([expect.objectContaining({ id: BUILT_IN_CRAWLER.id, object: 'crawler', name: 'Custom scraper (push results via API)' })]);
    expect(response.body.data[0].id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gets the crawler by id and answers 404 ModuleNotFound for another id', async () => {
    const response = await server.request('GET', `/v1/crawlers/${BUILT_IN_CRAWLER.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: BUILT_IN_CRAWLER.id, name: BUILT_IN_CRAWLER.name, slug: BUILT_IN_CRAWLER.slug });
    const unknown = await server.request('GET', '/v1/crawlers/0123456789abcdef0123456789abcdef');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ errors: { message: 'Crawler not found.', type: 'ModuleNotFound', code: 404 }, detail: 'Crawler not found.' });
  });

  it('answers 503 DatabaseUnavailable on /readyz when the database is gone', async () => {
    const own = await startTestServer();
    await own.store.close();
    const response = await own.request('GET', '/readyz', undefined, { authorization: '' });
    expect(response.status).toBe(503);
    expect(response.body.errors).toMatchObject({ type: 'DatabaseUnavailable', code: 503 });
    expect((await own.request('GET', '/healthz', undefined, { authorization: '' })).status).toBe(200);
    await own.close();
  });
});
