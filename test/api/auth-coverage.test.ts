// The token check is attached to each route as it is registered (and routes call requireAccount
// besides): every operation of the OpenAPI document that does not declare itself public
// (`security: []`) must answer 401 without a token, and the public ones must not. So must the
// Lobstr paths Squidship answers 400 and leaves out of the document.
import { afterEach, describe, expect, it } from 'vitest';
import { LOBSTR_TEST_ROUTES } from '../../src/api/routes/delivery.js';
import { NOT_SUPPORTED } from '../../src/api/routes/not-supported.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface OpenApiDocument {
  paths: Record<string, Record<string, { security?: unknown[] }>>;
}

describe('API auth coverage', () => {
  let server: TestServer;
  afterEach(async () => {
    await server?.close();
  });

  it('answers 401 on every non-public operation without a token, and serves the public ones', async () => {
    server = await startTestServer();
    const document = (await server.request('GET', '/openapi.json', undefined, { authorization: '' })).body as OpenApiDocument;
    const checked: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      const url = path.replace(/\{[^}]+\}/g, '0'.repeat(32));
      for (const [method, operation] of Object.entries(operations)) {
        const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
        const response = await server.request(method.toUpperCase(), url, undefined, { authorization: '' });
        if (isPublic) expect([method, path, response.status]).not.toEqual([method, path, 401]);
        else expect([method, path, response.status]).toEqual([method, path, 401]);
        checked.push(`${method} ${path}`);
      }
    }
    expect(checked).toContain('get /v1/squids/{id}');
    expect(checked).toContain('get /healthz');
    expect(checked.length).toBeGreaterThan(20);
  });

  it('answers 401 without a token on the Lobstr paths left out of the document', async () => {
    server = await startTestServer();
    const hidden = [
      ...NOT_SUPPORTED.map(({ method, url }) => [method, `/v1${url.replaceAll(':id', '0'.repeat(32))}`]),
      ...Object.keys(LOBSTR_TEST_ROUTES).map((route) => ['POST', `/v1/delivery/${route}`]),
    ];
    for (const [method, url] of hidden) {
      const response = await server.request(method!, url!, undefined, { authorization: '' });
      expect([method, url, response.status]).toEqual([method, url, 401]);
    }
    expect(hidden.length).toBeGreaterThan(20);
  });
});
