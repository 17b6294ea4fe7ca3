// The served OpenAPI document against what `@redocly/cli lint` (recommended rules) asks of it,
// checked here without the network: a summary and a unique operationId on every operation, a
// 2xx answer for each, every tag described and used, each operation under one tag (so /docs
// lists each extension once), the licence and a server. And /docs as Squidship's own page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTENSION_TAG } from '../../src/api/schemas.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  responses?: Record<string, unknown>;
}

interface OpenApiDocument {
  info: { title: string; license?: { name?: string; url?: string } };
  servers?: Array<{ url?: string }>;
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

function listOperations(document: OpenApiDocument): Array<{ name: string; operation: Operation }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
  );
}

describe('the OpenAPI document and /docs', () => {
  let server: TestServer;
  let document: OpenApiDocument;
  const none = { authorization: '' };

  beforeAll(async () => {
    server = await startTestServer();
    document = (await server.request('GET', '/openapi.json', undefined, none)).body as OpenApiDocument;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves the same document at /openapi.json and /docs/json', async () => {
    expect((await server.request('GET', '/docs/json', undefined, none)).body).toEqual(document);
  });

  it('gives every operation a summary, a unique operationId and a 2xx answer', () => {
    const operations = listOperations(document);
    expect(operations.length).toBeGreaterThan(25);
    const problems: string[] = [];
    const seenIds = new Map<string, string>();
    for (const { name, operation } of operations) {
      if (typeof operation.summary !== 'string' || operation.summary.trim() === '') problems.push(`${name}: no summary`);
      const id = operation.operationId;
      if (typeof id !== 'string' || !/^[a-z][A-Za-z0-9]*$/.test(id)) problems.push(`${name}: operationId ${String(id)}`);
      else if (seenIds.has(id)) problems.push(`${name}: operationId ${id} also on ${seenIds.get(id)}`);
      else seenIds.set(id, name);
      if (!Object.keys(operation.responses ?? {}).some((status) => /^2(\d\d|XX)$/.test(status))) problems.push(`${name}: no 2xx answer`);
    }
    expect(problems).toEqual([]);
  });

  it('describes every tag, uses each, and puts each operation under one, extensions under theirs only', () => {
    const declared = new Map((document.tags ?? []).map((tag) => [tag.name, tag.description ?? '']));
    expect([...declared].filter(([, description]) => description.trim() === '')).toEqual([]);
    const used = new Set<string>();
    for (const { name, operation } of listOperations(document)) {
      expect([name, operation.tags?.length]).toEqual([name, 1]);
      const tag = operation.tags![0]!;
      expect([name, declared.has(tag)]).toEqual([name, true]);
      used.add(tag);
      const markedExtension = operation.description?.startsWith('Squidship extension:') ?? false;
      expect([name, tag === EXTENSION_TAG]).toEqual([name, markedExtension]);
    }
    expect([...declared.keys()].filter((tag) => !used.has(tag))).toEqual([]);
    expect(used).toContain(EXTENSION_TAG);
  });

  it('carries the licence and a server', () => {
    expect(document.info.title).toBe('Squidship API');
    expect(document.info.license).toEqual({ name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' });
    expect(document.servers?.length).toBeGreaterThan(0);
    for (const entry of document.servers ?? []) expect(entry.url).toMatch(/^(\/|https?:\/\/)/);
  });

  it('leaves out the Lobstr paths that only ever answer 400', () => {
    const names = listOperations(document).map(({ name }) => name);
    expect(names).toContain('POST /v1/delivery/test-s3');
    for (const left of ['GET /v1/tasks', 'POST /v1/squids/{id}/empty', 'GET /v1/accounts', 'POST /v1/delivery/test-email']) expect(names).not.toContain(left);
  });

  it('titles /docs Squidship, with its own icon and no other project\'s name, logo or icon', async () => {
    const page = await server.request('GET', '/docs', undefined, none);
    expect(page.status).toBe(200);
    const html = String(page.body);
    expect(html).toMatch(/<title>Squidship API<\/title>/);
    // (swagger-ui's scripts and styles keep their file names: nothing a reader sees.)
    expect(html).not.toMatch(/Swagger UI|fastify|smartbear/i);
    const icons = [...html.matchAll(/<link rel="icon"[^>]*href="([^"]+)"/g)].map((match) => match[1]!);
    expect(icons).toEqual(['/docs/static/theme/favicon.svg']);
    const icon = await server.request('GET', icons[0]!, undefined, none);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);

    // The page's script: swagger-ui's layout without the top bar that carries its logo, and no
    // logo but ours (the plugin's default is Fastify's).
    const initializer = String((await server.request('GET', '/docs/static/swagger-initializer.js', undefined, none)).body);
    expect(initializer).toContain('"layout":"BaseLayout"');
    const logos = [...initializer.matchAll(/data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/g)].map((match) => Buffer.from(match[1]!, 'base64').toString('utf8'));
    for (const logo of logos) expect(logo).toBe(String(icon.body));
  });
});
