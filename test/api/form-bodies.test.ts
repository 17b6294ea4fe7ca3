// Bodies as Lobstr's server takes them: JSON, application/x-www-form-urlencoded and
// multipart/form-data, form strings turned into the booleans and integers a field takes (forms
// only), and an empty body of any media type on routes that take none.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function encodeMultipart(fields: Record<string, string | Blob>): Promise<{ bytes: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const encoded = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  return { bytes: Buffer.from(await encoded.arrayBuffer()), headers: { 'content-type': encoded.headers.get('content-type') ?? '' } };
}

/** A POST whose empty body is sent chunked (no Content-Length), as streaming clients do. */
function postChunkedEmpty(url: string, token: string, contentType: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(url, { method: 'POST', headers: { authorization: `Token ${token}`, 'content-type': contentType, 'transfer-encoding': 'chunked' } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    sent.on('error', reject);
    sent.end();
  });
}

describe('form and empty bodies', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function createSquid(name: string): Promise<string> {
    const created = await server.request('POST', '/v1/squids', `name=${encodeURIComponent(name)}`, FORM);
    expect(created.status).toBe(200);
    expect(created.body.name).toBe(name);
    return created.body.id as string;
  }

  it('creates and updates a squid from a urlencoded form, booleans and integers from their strings', async () => {
    const id = await createSquid('from a form');
    const updated = await server.request('POST', `/v1/squids/${id}`, 'is_active=false&concurrency=3&export_unique_results=True', FORM);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id, is_active: false, concurrency: 3, export_unique_results: true });
  });

  it('updates a squid from multipart/form-data', async () => {
    const id = await createSquid('from multipart');
    const { bytes, headers } = await encodeMultipart({ no_line_breaks: 'true', concurrency: '7', name: 'renamed' });
    const updated = await server.request('POST', `/v1/squids/${id}`, bytes, headers);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id, name: 'renamed', no_line_breaks: true, concurrency: 7 });
  });

  it('names a form value that is not the field\'s type, as for JSON', async () => {
    const id = await createSquid('bad values');
    const notBoolean = await server.request('POST', `/v1/squids/${id}`, 'is_active=yes', FORM);
    expect(notBoolean.status).toBe(400);
    expect(notBoolean.body.errors).toMatchObject({ type: 'InvalidParameterValue', message: 'Invalid value for field is_active: must be boolean.' });
    const notInteger = await server.request('POST', `/v1/squids/${id}`, 'concurrency=2.5', FORM);
    expect(notInteger.body.errors).toMatchObject({ type: 'InvalidParameterValue', message: 'Invalid value for field concurrency: must be integer.' });
    const unknown = await server.request('POST', `/v1/squids/${id}`, 'colour=red', FORM);
    expect(unknown.body.errors).toMatchObject({ type: 'InvalidParam', message: 'Unknown field colour: it is not part of this endpoint.' });
  });

  it('configures S3 delivery from the dotted form, is_active from its string', async () => {
    const id = await createSquid('dotted delivery');
    const form = 's3_fields.bucket=my-bucket&s3_fields.is_active=true&s3_fields.target_path=exports';
    const configured = await server.request('POST', `/v1/delivery?squid=${id}`, form, FORM);
    expect(configured.status).toBe(201);
    expect(configured.body.s3_fields).toMatchObject({ bucket: 'my-bucket', is_active: true, target_path: 'exports' });
    const { bytes, headers } = await encodeMultipart({ 's3_fields.bucket': 'my-bucket', 's3_fields.is_active': 'False', 's3_fields.target_path': '' });
    const disabled = await server.request('POST', `/v1/delivery?squid=${id}`, bytes, headers);
    expect(disabled.status).toBe(201);
    expect(disabled.body.s3_fields).toMatchObject({ bucket: 'my-bucket', is_active: false });
  });

  it('refuses a file part and a malformed multipart body', async () => {
    const id = await createSquid('files');
    const { bytes, headers } = await encodeMultipart({ name: new Blob(['a,b\n'], { type: 'text/csv' }) });
    const file = await server.request('POST', `/v1/squids/${id}`, bytes, headers);
    expect(file.status).toBe(400);
    expect(file.body.errors).toMatchObject({ type: 'InvalidParam', message: 'The field name is a file: Squidship takes no file uploads, only form fields.' });
    const malformed = await server.request('POST', `/v1/squids/${id}`, 'not multipart', { 'content-type': 'multipart/form-data; boundary=x' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors).toMatchObject({ type: 'BadEncoding' });
  });

  it('takes an empty body of any media type on routes that take none', async () => {
    const id = await createSquid('empty bodies');
    const startRun = async () => (await server.request('POST', '/v1/runs', { squid: id })).body.id as string;
    const completed = await server.request('POST', `/v1/runs/${await startRun()}/complete`, '', FORM);
    expect(completed.status).toBe(200);
    expect(completed.body.status).not.toBe('running');
    const aborted = await server.request('POST', `/v1/runs/${await startRun()}/abort`, '', { 'content-type': 'text/plain' });
    expect(aborted.status).toBe(200);
    expect(await postChunkedEmpty(`${server.url}/v1/runs/${await startRun()}/abort`, server.token, 'application/octet-stream')).toBe(200);
    const withText = await server.request('POST', `/v1/runs/${await startRun()}/complete`, 'done', { 'content-type': 'text/plain' });
    expect(withText.status).toBe(415);
    expect(withText.body.errors).toMatchObject({ type: 'UnsupportedMediaType', code: 415 });
  });

  it('answers 415 naming the accepted types for a form pushed as results', async () => {
    const id = await createSquid('results form');
    const run = (await server.request('POST', '/v1/runs', { squid: id })).body.id as string;
    const form = await server.request('POST', `/v1/runs/${run}/results`, 'name=a', FORM);
    expect(form.status).toBe(415);
    expect(form.body.detail).toContain('application/x-ndjson');
    const { bytes, headers } = await encodeMultipart({ name: 'a' });
    const multipart = await server.request('POST', `/v1/runs/${run}/results`, bytes, headers);
    expect(multipart.status).toBe(415);
    const rows = await server.request('POST', `/v1/runs/${run}/results`, [{ name: 'a' }]);
    expect(rows.status).toBe(200);
    expect(rows.body.accepted).toBe(1);
  });

  it('answers 404 for an unknown path, whatever body it was sent', async () => {
    const bodies: Array<[string, string]> = [['application/x-www-form-urlencoded', 'a=1'], ['text/plain', 'abc'], ['application/json', '{}']];
    for (const [contentType, body] of bodies) {
      const response = await server.request('POST', '/v1/nothing-here', body, { 'content-type': contentType });
      expect([contentType, response.status]).toEqual([contentType, 404]);
    }
  });
});
