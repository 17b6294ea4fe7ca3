// The app's edges over real HTTP: auth, the one error shape, body parsing and limits, health,
// the OpenAPI document, and logs that never carry a token.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** Lobstr's error body; `param` is Squidship's extension naming the field of a 400. */
function errorBody(status: number, type: string, message: string, param?: string) {
  return { errors: param === undefined ? { message, type, code: status } : { message, type, code: status, param }, detail: message };
}

describe('API basics', () => {
  let server: TestServer;
  afterEach(async () => {
    await server?.close();
  });

  it('answers 401 NotAuthenticated without a token, with a wrong one, or with another scheme', async () => {
    server = await startTestServer();
    for (const authorization of ['', 'Token wrong-token', `Basic ${server.token}`, server.token]) {
      const response = await server.request('GET', '/v1/me', undefined, { authorization });
      expect(response.status).toBe(401);
      expect(response.body).toEqual(errorBody(401, 'NotAuthenticated', 'Invalid token.'));
    }
  });

  it('serves health, readiness, the OpenAPI document and the docs without a token', async () => {
    server = await startTestServer();
    const none = { authorization: '' };
    expect(await server.request('GET', '/healthz', undefined, none)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await server.request('GET', '/readyz', undefined, none)).toMatchObject({ status: 200, body: { status: 'ok' } });
    const docs = await server.request('GET', '/docs', undefined, none);
    expect(docs.status).toBe(200);
    expect(docs.body).toContain('<title>Squidship API</title>');
    const openapi = await server.request('GET', '/openapi.json', undefined, none);
    expect(openapi.status).toBe(200);
    expect(openapi.body.openapi).toMatch(/^3\./);
  });

  it('lists every endpoint in the OpenAPI document and marks the extensions', async () => {
    server = await startTestServer();
    const { body } = await server.request('GET', '/openapi.json');
    const paths = Object.keys(body.paths);
    for (const path of ['/v1/me', '/v1/crawlers', '/v1/crawlers/{id}', '/v1/squids', '/v1/squids/{id}', '/v1/runs', '/v1/runs/{id}',
      '/v1/runs/{id}/stats', '/v1/runs/{id}/abort', '/v1/runs/{id}/complete', '/v1/runs/{id}/results', '/v1/results']) {
      expect(paths).toContain(path);
    }
    for (const [path, method] of [['/v1/runs/{id}/results', 'post'], ['/v1/runs/{id}/complete', 'post']] as const) {
      const operation = body.paths[path][method];
      expect(operation.tags).toContain('Squidship extensions');
      expect(operation.description).toMatch(/^Squidship extension:/);
    }
    expect(body.paths['/v1/runs/{id}/abort'].post.tags).not.toContain('Squidship extensions');
    expect(body.paths['/v1/squids'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
  });

  it('answers 404 with the error shape for an unknown path', async () => {
    server = await startTestServer();
    const response = await server.request('GET', '/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.body).toEqual(errorBody(404, 'NotFound', 'Not found: GET /v1/nothing-here.'));
  });

  it('answers 400 BadEncoding for malformed JSON', async () => {
    server = await startTestServer();
    const response = await server.request('POST', '/v1/squids', '{"name": "a",');
    expect(response.status).toBe(400);
    expect(response.body).toEqual(errorBody(400, 'BadEncoding', 'The request body is not valid JSON.'));
  });

  it('answers 415 for a content type the endpoint does not take', async () => {
    server = await startTestServer();
    const response = await server.request('POST', '/v1/squids', '<name>a</name>', { 'content-type': 'application/xml' });
    expect(response.status).toBe(415);
    expect(response.body.errors).toMatchObject({ type: 'UnsupportedMediaType', code: 415 });
    const text = await server.request('POST', '/v1/squids', 'hello', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
  });

  it('answers 413 FileSizeLimitExceeded for a JSON body over the limit', async () => {
    server = await startTestServer({ config: { maxBodyBytes: 2048 } });
    const response = await server.request('POST', '/v1/squids', { name: 'x'.repeat(4000) });
    expect(response.status).toBe(413);
    expect(response.body.errors).toMatchObject({ type: 'FileSizeLimitExceeded', code: 413 });
    expect(response.body.detail).toContain('2048 bytes');
  });

  it('names unknown fields and wrong types, and never coerces a JSON body', async () => {
    server = await startTestServer();
    const unknown = await server.request('POST', '/v1/squids', { name: 'a', colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual(errorBody(400, 'InvalidParam', 'Unknown field colour: it is not part of this endpoint.', 'colour'));
    const wrongType = await server.request('POST', '/v1/squids', { name: 12 });
    expect(wrongType.body).toEqual(errorBody(400, 'InvalidParameterValue', 'Invalid value for field name: must be string.', 'name'));
    const squid = (await server.request('POST', '/v1/squids', { name: 'a' })).body;
    const coerced = await server.request('POST', `/v1/squids/${squid.id}`, { is_active: 'false' });
    expect(coerced.body).toEqual(errorBody(400, 'InvalidParameterValue', 'Invalid value for field is_active: must be boolean.', 'is_active'));
    const notObject = await server.request('POST', '/v1/squids', [1, 2]);
    expect(notObject.status).toBe(400);
    expect(notObject.body.errors.type).toBe('InvalidParameterValue');
    const query = await server.request('GET', '/v1/squids?page=zero');
    expect(query.body).toEqual(errorBody(400, 'InvalidParameterValue', 'Invalid value for query parameter page: must be integer.', 'page'));
    const unknownQuery = await server.request('GET', '/v1/squids?colour=red');
    expect(unknownQuery.body).toEqual(errorBody(400, 'InvalidParam', 'Unknown query parameter colour: it is not part of this endpoint.', 'colour'));
  });

  it('takes a bodiless POST that still says application/json', async () => {
    server = await startTestServer();
    const response = await server.request('POST', '/v1/squids', '', { 'content-type': 'application/json' });
    expect(response.status).toBe(200);
    expect(response.body.name).toBe('Custom scraper (1)');
  });

  it('answers every request with its request id: routes, public routes, 401s, 404s and body errors', async () => {
    server = await startTestServer();
    const cases: Array<[string, string, unknown, Record<string, string>, number]> = [
      ['GET', '/v1/me', undefined, {}, 200],
      ['GET', '/healthz', undefined, { authorization: '' }, 200],
      ['GET', '/openapi.json', undefined, { authorization: '' }, 200],
      ['GET', '/v1/me', undefined, { authorization: 'Token wrong-token' }, 401],
      ['GET', '/v1/no-such-path', undefined, {}, 404],
      ['POST', '/v1/squids', '{"name": ', { 'content-type': 'application/json' }, 400],
    ];
    for (const [method, path, body, headers, status] of cases) {
      const given = await server.request(method, path, body, { ...headers, 'x-request-id': `req-${status}-${path}` });
      expect(given.status, `${method} ${path}`).toBe(status);
      expect(given.headers.get('x-request-id'), `${method} ${path}`).toBe(`req-${status}-${path}`);
      const generated = await server.request(method, path, body, headers);
      expect(generated.headers.get('x-request-id'), `${method} ${path}`).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });

  it('echoes a request id and logs it on every line, never the token', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
        callback();
      },
    });
    server = await startTestServer({ logger: { level: 'trace', stream } });
    const ok = await server.request('GET', '/v1/me', undefined, { 'x-request-id': 'req-abc-123' });
    expect(ok.headers.get('x-request-id')).toBe('req-abc-123');
    await server.request('GET', '/v1/me', undefined, { authorization: 'Token not-a-real-token-xyz' });
    await server.request('POST', '/v1/squids', { name: 'a', aws_secret_key: 'SECRET-abc', token: server.token });
    await server.request('GET', `/v1/squids?token=${server.token}`);
    const requestLines = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => 'req' in entry || 'res' in entry);
    expect(requestLines.length).toBeGreaterThan(4);
    for (const entry of requestLines) expect(entry.reqId).toEqual(expect.any(String));
    expect(requestLines.some((entry) => entry.reqId === 'req-abc-123')).toBe(true);
    const all = lines.join('\n');
    expect(all).not.toContain(server.token);
    expect(all).not.toContain('not-a-real-token-xyz');
    expect(all).not.toContain('SECRET-abc');
  });
});
