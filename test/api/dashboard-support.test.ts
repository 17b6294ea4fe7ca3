// What the dashboard needs from the API, as any client gets it: the channel list, `param` on a
// 400 naming the field, masked S3 keys sent back meaning "unchanged" (configure and test), and
// the dashboard's files at / with their cache and security headers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../../scripts/build-web.mjs';
import type { S3DestinationConfig } from '../../src/channels/s3/s3-config.js';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3rver, TEST_BUCKET, type TestS3rver } from '../helpers/s3rver.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('the API the dashboard uses', () => {
  let server: TestServer;
  let s3: TestS3rver;
  let webRoot: string;
  let squidId: string;

  beforeAll(async () => {
    webRoot = await mkdtemp(join(tmpdir(), 'squidship-web-'));
    await buildWeb({ outDir: webRoot, quiet: true });
    s3 = await startS3rver();
    server = await startTestServer({ webRoot, s3Defaults: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true } });
    squidId = (await server.request('POST', '/v1/squids', { name: 'dashboard api' })).body.id as string;
  });

  afterAll(async () => {
    await server?.close();
    await s3?.stop();
    await rm(webRoot, { recursive: true, force: true });
  });

  it('lists the server\'s channels in the squid view\'s order, behind the token', async () => {
    const response = await server.request('GET', '/v1/channels');
    expect(response.status).toBe(200);
    expect(response.body.data.map((c: { kind: string; fields_key: string; test_route: string; secret_route: string | null }) => [c.kind, c.fields_key, c.test_route, c.secret_route]))
      .toEqual([['s3', 's3_fields', 'test-s3', null], ['webhook', 'webhook_fields', 'test-webhook', 'webhook-secret']]);
    expect(Object.keys(response.body.data[0].fields)).toContain('bucket');
    expect((await server.request('GET', '/v1/channels', undefined, { authorization: '' })).status).toBe(401);
    const openapi = await server.request('GET', '/openapi.json');
    expect(openapi.body.paths['/v1/channels'].get.tags).toContain('Squidship extensions');
  });

  it('names the field of a 400 in errors.param, prefixed as the body spells it', async () => {
    const response = await server.request('POST', `/v1/delivery?squid=${squidId}`, { s3_fields: { is_active: true, target_path: 'x' } });
    expect(response.status).toBe(400);
    expect(response.body.errors).toMatchObject({ type: 'ParamsNeeded', param: 's3_fields.bucket' });
    const stored = await server.store.listDestinations(squidId);
    expect(stored).toEqual([]);
  });

  it('keeps the stored S3 keys when they come back as the squid view masks them, and replaces them otherwise', async () => {
    const fields = { bucket: TEST_BUCKET, is_active: true, target_path: 'exports', aws_access_key: S3RVER_ACCESS_KEY, aws_secret_key: 'real-secret-1234' };
    expect((await server.request('POST', `/v1/delivery?squid=${squidId}`, { s3_fields: fields })).status).toBe(201);
    const view = (await server.request('GET', `/v1/squids/${squidId}`)).body.s3_fields;
    expect(view.aws_secret_key).toBe('************1234');
    const resaved = await server.request('POST', `/v1/delivery?squid=${squidId}`, { s3_fields: { ...view, target_path: 'other' } });
    expect(resaved.status).toBe(201);
    const readConfig = async () => (await server.store.listDestinations(squidId))[0]?.config as S3DestinationConfig;
    expect(await readConfig()).toMatchObject({ accessKeyId: S3RVER_ACCESS_KEY, secretAccessKey: 'real-secret-1234', targetPath: 'other' });
    await server.request('POST', `/v1/delivery?squid=${squidId}`, { s3_fields: { ...view, aws_secret_key: S3RVER_SECRET_KEY } });
    expect((await readConfig()).secretAccessKey).toBe(S3RVER_SECRET_KEY);
  });

  // (s3rver takes any key, so that the stored keys are the ones tested is shown by configure above,
  // which completes the config through the same prepareConfig.)
  it('reads the squid named by ?squid= on a test (404 when unknown) and diagnoses a bad bucket with a hint', async () => {
    const unknown = await server.request('POST', `/v1/delivery/test-s3?squid=${'0'.repeat(32)}`, { bucket: TEST_BUCKET });
    expect(unknown.status).toBe(404);
    const badBucket = await server.request('POST', '/v1/delivery/test-s3', { bucket: 'no-such-bucket', aws_access_key: S3RVER_ACCESS_KEY, aws_secret_key: S3RVER_SECRET_KEY });
    expect(badBucket.body).toMatchObject({ success: false, error: { code: 'NoSuchBucket' } });
    expect(badBucket.body.error.hint).toEqual(expect.any(String));
  });

  it('serves the dashboard at / without a token, with a strict CSP, no referrer and year-long cache on hashed assets', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = /src="(\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
  });

  it('answers / with 404 DashboardNotBuilt, saying how to build it, when there is no build', async () => {
    const unbuilt = await startTestServer({ webRoot: join(webRoot, 'nothing-here') });
    try {
      const response = await fetch(`${unbuilt.url}/`);
      expect(response.status).toBe(404);
      const body = (await response.json()) as { errors: { type: string; message: string } };
      expect(body.errors.type).toBe('DashboardNotBuilt');
      expect(body.errors.message).toContain('npm run build:web');
    } finally {
      await unbuilt.close();
    }
  });
});
