// Every HTTP call of Lobstr's Python SDK (0.2.1; its CLI, 0.5.0, calls through it), sent as the
// SDK sends it, against a real app: none answers 404, and each answers its documented shape (the
// documented keys, or Lobstr's error body). docs/lobstr-clients.md lists the same calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_CRAWLER } from '../../src/domain/crawlers.js';
import { sendRawRequest } from '../helpers/send-raw-request.js';
import { startTestServer, type TestResponse, type TestServer } from '../helpers/test-server.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

/** What a call must answer: a 2xx with these keys, a 4xx of this error type, or either (another area's channel). */
type Expected = { keys: string[]; status?: number } | { error: string } | { answered: true };

interface SdkCall {
  sdk: string;
  method: string;
  /** {crawler}, {squid}, {run} and {other} (an unknown id) are filled in. */
  path: string;
  json?: unknown;
  multipart?: Record<string, string | Blob>;
  expected: Expected;
}

const UNKNOWN_ID = '0123456789abcdef0123456789abcdef';
const PAGE_KEYS = ['total_results', 'limit', 'page', 'total_pages', 'data'];

const SDK_CALLS: SdkCall[] = [
  { sdk: 'me()', method: 'GET', path: '/me', expected: { keys: ['first_name', 'last_name', 'email', 'is_staff', 'plan'] } },
  { sdk: 'balance()', method: 'GET', path: '/user/balance', expected: { keys: ['available', 'consumed', 'used_slots', 'total_available_slots'] } },
  { sdk: 'crawlers.list()', method: 'GET', path: '/crawlers', expected: { keys: PAGE_KEYS } },
  { sdk: 'crawlers.get()', method: 'GET', path: '/crawlers/{crawler}', expected: { keys: ['id', 'name', 'slug'] } },
  { sdk: 'crawlers.params()', method: 'GET', path: '/crawlers/{crawler}/params', expected: { keys: ['task', 'squid'] } },
  { sdk: 'crawlers.attributes()', method: 'GET', path: '/crawlers/{crawler}/attributes', expected: { keys: ['data'] } },
  { sdk: 'squids.create()', method: 'POST', path: '/squids', json: { crawler: '{crawler}', name: 'sdk squid' }, expected: { keys: ['id', 'name', 'crawler'] } },
  { sdk: 'squids.list()', method: 'GET', path: '/squids?limit=50&page=1&name=sdk', expected: { keys: PAGE_KEYS } },
  { sdk: 'squids.get()', method: 'GET', path: '/squids/{squid}', expected: { keys: ['id', 'name', 'concurrency', 's3_fields'] } },
  { sdk: 'squids.update()', method: 'POST', path: '/squids/{squid}', json: { concurrency: 2, name: 'sdk squid', export_unique_results: true }, expected: { keys: ['id', 'concurrency'] } },
  { sdk: 'squids.update(run_notify=)', method: 'POST', path: '/squids/{squid}', json: { run_notify: 'on_success' }, expected: { error: 'InvalidParam' } },
  { sdk: 'squids.update(params=)', method: 'POST', path: '/squids/{squid}', json: { params: { max_results: 10 } }, expected: { error: 'InvalidParam' } },
  { sdk: 'squids.empty()', method: 'POST', path: '/squids/{squid}/empty', json: { type: 'url' }, expected: { error: 'NotSupported' } },
  { sdk: 'tasks.list()', method: 'GET', path: '/tasks?squid={squid}&limit=50&page=1', expected: { error: 'NotSupported' } },
  { sdk: 'tasks.get()', method: 'GET', path: '/tasks/{other}', expected: { error: 'NotSupported' } },
  { sdk: 'tasks.add()', method: 'POST', path: '/tasks', json: { squid: '{squid}', tasks: [{ url: 'https://example.com' }] }, expected: { error: 'NotSupported' } },
  {
    sdk: 'tasks.upload()', method: 'POST', path: '/tasks/upload',
    multipart: { squid: '{squid}', file: new Blob(['url\nhttps://example.com\n'], { type: 'text/csv' }) }, expected: { error: 'NotSupported' },
  },
  { sdk: 'tasks.upload_status()', method: 'GET', path: '/tasks/upload/{other}', expected: { error: 'NotSupported' } },
  { sdk: 'tasks.delete()', method: 'DELETE', path: '/tasks/{other}', expected: { error: 'NotSupported' } },
  { sdk: 'delivery.s3()', method: 'POST', path: '/delivery?squid={squid}', json: { s3_fields: { bucket: 'my-bucket', is_active: true, target_path: 'exports' } }, expected: { keys: ['s3_fields'], status: 201 } },
  { sdk: 'delivery.email()', method: 'POST', path: '/delivery?squid={squid}', json: { email: 'a@example.com', notifications: true }, expected: { answered: true } },
  { sdk: 'delivery.google_sheet()', method: 'POST', path: '/delivery?squid={squid}', json: { google_sheet_fields: { url: 'https://docs.google.com/x', append: false, is_active: true } }, expected: { answered: true } },
  {
    sdk: 'delivery.webhook()', method: 'POST', path: '/delivery?squid={squid}',
    json: { webhook_fields: { url: 'http://127.0.0.1:1/hook', is_active: false, retry: false, events: { 'run.running': false, 'run.paused': false, 'run.done': true, 'run.error': false } } },
    expected: { keys: ['webhook_fields'], status: 201 },
  },
  {
    sdk: 'delivery.sftp()', method: 'POST', path: '/delivery?squid={squid}',
    json: { ftp_fields: { host: '127.0.0.1', port: 1, username: 'u', password: 'p', directory: '/up', is_active: false } }, expected: { answered: true },
  },
  // The SDK sends bucket and keys only; `endpoint` (a Squidship extension) keeps the probe on loopback.
  { sdk: 'delivery.test_s3()', method: 'POST', path: '/delivery/test-s3', json: { bucket: 'my-bucket', endpoint: 'http://127.0.0.1:1' }, expected: { keys: ['success', 'status_code'] } },
  { sdk: 'delivery.test_email()', method: 'POST', path: '/delivery/test-email', json: { email: 'a@example.com' }, expected: { answered: true } },
  { sdk: 'delivery.test_google_sheet()', method: 'POST', path: '/delivery/test-googlesheet', json: { url: 'https://docs.google.com/x' }, expected: { answered: true } },
  { sdk: 'delivery.test_webhook()', method: 'POST', path: '/delivery/test-webhook', json: { url: 'http://127.0.0.1:1/hook' }, expected: { keys: ['success', 'status_code'] } },
  {
    sdk: 'delivery.test_sftp()', method: 'POST', path: '/delivery/test-sftp',
    json: { host: '127.0.0.1', port: 1, username: 'u', password: 'p', directory: '/up' }, expected: { answered: true },
  },
  { sdk: 'runs.start()', method: 'POST', path: '/runs', json: { squid: '{squid}' }, expected: { keys: ['id', 'status', 'is_done', 'squid'] } },
  { sdk: 'runs.list()', method: 'GET', path: '/runs?squid={squid}&limit=50&page=1', expected: { keys: PAGE_KEYS } },
  { sdk: 'runs.get()', method: 'GET', path: '/runs/{run}', expected: { keys: ['id', 'status', 'is_done'] } },
  { sdk: 'runs.stats()', method: 'GET', path: '/runs/{run}/stats', expected: { keys: ['is_done', 'percent_done', 'total_results'] } },
  { sdk: 'runs.tasks()', method: 'GET', path: '/runtasks?run={run}&limit=50&page=1', expected: { error: 'NotSupported' } },
  { sdk: 'runs.abort()', method: 'POST', path: '/runs/{run}/abort', expected: { keys: ['id', 'status', 'done_reason'] } },
  { sdk: 'runs.download_url()', method: 'GET', path: '/runs/{run}/download', expected: { keys: ['s3'] } },
  { sdk: 'results.list()', method: 'GET', path: '/results?squid={squid}&page=1&page_size=100', expected: { keys: PAGE_KEYS } },
  { sdk: 'accounts.list()', method: 'GET', path: '/accounts?limit=50&page=1', expected: { error: 'NotSupported' } },
  { sdk: 'accounts.get()', method: 'GET', path: '/accounts/{other}', expected: { error: 'NotSupported' } },
  { sdk: 'accounts.types()', method: 'GET', path: '/account_types', expected: { error: 'NotSupported' } },
  { sdk: 'accounts.sync()', method: 'POST', path: '/accounts/cookies', json: { type: 'x', cookies: { a: 'b' } }, expected: { error: 'NotSupported' } },
  { sdk: 'accounts.sync_status()', method: 'GET', path: '/synchronize/{other}', expected: { error: 'NotSupported' } },
  { sdk: 'accounts.update()', method: 'POST', path: '/accounts', json: { account: '{other}', type: 'x', params: {} }, expected: { error: 'NotSupported' } },
  { sdk: 'accounts.delete()', method: 'DELETE', path: '/accounts/{other}', expected: { error: 'NotSupported' } },
  { sdk: 'squids.delete()', method: 'DELETE', path: '/squids/{squid}', expected: { keys: ['id', 'deleted'] } },
];

function expectDocumentedShape(call: SdkCall, response: TestResponse): void {
  const seen = { sdk: call.sdk, status: response.status };
  expect(seen).not.toEqual({ sdk: call.sdk, status: 404 });
  if (response.status >= 400 || 'error' in call.expected) {
    expect(seen.status).toBeGreaterThanOrEqual(400);
    expect(seen.status).toBeLessThan(500);
    const { message, param } = response.body.errors ?? {};
    // `param` is Squidship's extension on 400s (the field named); Lobstr's clients ignore it.
    const extension = param === undefined ? {} : { param: expect.any(String) };
    expect({ sdk: call.sdk, body: response.body }).toEqual({
      sdk: call.sdk,
      body: { errors: { message: expect.any(String), type: expect.any(String), code: response.status, ...extension }, detail: message },
    });
    const expectedType = 'error' in call.expected ? call.expected.error : undefined;
    if (expectedType !== undefined) expect({ sdk: call.sdk, type: response.body.errors.type }).toEqual({ sdk: call.sdk, type: expectedType });
    if (expectedType === 'NotSupported') expect(message).toMatch(new RegExp(`^Squidship does not support ${call.method} /v1/\\S+: .+\\. .+\\.$`));
    return;
  }
  if ('keys' in call.expected) {
    expect(seen).toEqual({ sdk: call.sdk, status: call.expected.status ?? 200 });
    for (const key of call.expected.keys) expect({ sdk: call.sdk, key, present: key in response.body }).toEqual({ sdk: call.sdk, key, present: true });
  }
}

describe('Lobstr SDK calls against Squidship', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers every call the SDK makes, never 404, each in its documented shape', async () => {
    const ids: Record<string, string> = { crawler: BUILT_IN_CRAWLER.id, other: UNKNOWN_ID };
    const fill = (text: string) => text.replace(/\{(crawler|squid|run|other)\}/g, (_, name: string) => ids[name] ?? `{${name}}`);
    for (const call of SDK_CALLS) {
      let response: TestResponse;
      if (call.multipart !== undefined) {
        const form = new FormData();
        for (const [name, value] of Object.entries(call.multipart)) form.append(name, typeof value === 'string' ? fill(value) : value);
        const encoded = new Request('http://127.0.0.1/', { method: 'POST', body: form });
        const bytes = Buffer.from(await encoded.arrayBuffer());
        response = await server.request(call.method, `/v1${fill(call.path)}`, bytes, { 'content-type': encoded.headers.get('content-type') ?? '' });
      } else {
        const body = call.json === undefined ? undefined : JSON.parse(fill(JSON.stringify(call.json)));
        response = await server.request(call.method, `/v1${fill(call.path)}`, body);
      }
      expectDocumentedShape(call, response);
      if (call.sdk === 'squids.create()') ids.squid = response.body.id;
      if (call.sdk === 'runs.start()') ids.run = response.body.id;
    }
  });

  it('answers the balance of a server that charges nothing and limits nothing', async () => {
    const response = await server.request('GET', '/v1/user/balance');
    expect(response.body).toMatchObject({ available: 2147483647, consumed: 0, used_slots: 0, total_available_slots: 2147483647, has_unpaid_bill: false });
  });

  it('answers the built-in crawler\'s params and attributes, the attributes without a token, and 404 for another crawler', async () => {
    expect((await server.request('GET', `/v1/crawlers/${BUILT_IN_CRAWLER.id}/params`)).body).toEqual({ task: {}, squid: { functions: {} } });
    const attributes = await server.request('GET', `/v1/crawlers/${BUILT_IN_CRAWLER.id}/attributes`, undefined, { authorization: '' });
    expect(attributes).toMatchObject({ status: 200, body: { data: [] } });
    for (const suffix of ['params', 'attributes']) {
      const unknown = await server.request('GET', `/v1/crawlers/${UNKNOWN_ID}/${suffix}`);
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ errors: { message: 'Crawler not found.', type: 'ModuleNotFound', code: 404 }, detail: 'Crawler not found.' });
    }
  });

  it('names the path and what to do instead in a NotSupported answer, after the token check', async () => {
    const empty = await server.request('POST', `/v1/squids/${UNKNOWN_ID}/empty`, { type: 'url' });
    expect(empty.body.errors.message).toBe(
      'Squidship does not support POST /v1/squids/{id}/empty: Squidship keeps no tasks on a squid, so there is nothing to empty. ' +
      'Run your own scraper and push its rows with POST /v1/runs/{id}/results (or `squidship push FILE --squid ID`). ' +
      'DELETE /v1/squids/{id} removes a squid with its runs and results.',
    );
    expect((await server.request('GET', '/v1/tasks', undefined, { authorization: '' })).status).toBe(401);
  });
});

/**
 * delivery.webhook() and delivery.test_webhook() of lobstrio-sdk 0.2.1 (src/lobstrio/client.py),
 * as httpx puts them on the wire: its default headers, then the client's `authorization`, then
 * the body's. httpx 0.28 encodes `json=` compactly; before 0.28 (the SDK takes httpx>=0.24) with
 * json.dumps' default `", "` and `": "` separators. Both are sent.
 */
describe('Lobstr SDK webhook calls, byte for byte', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  // webhook(squid, url=...) with the SDK's defaults (is_active, retry, on_done, on_error true), and test_webhook(url=...).
  const ENCODINGS = [
    {
      httpx: '0.28.1',
      configure: (url: string) => `{"webhook_fields":{"url":"${url}","is_active":true,"retry":true,"events":{"run.running":false,"run.paused":false,"run.done":true,"run.error":true}}}`,
      test: (url: string) => `{"url":"${url}"}`,
    },
    {
      httpx: '0.27.2',
      configure: (url: string) => `{"webhook_fields": {"url": "${url}", "is_active": true, "retry": true, "events": {"run.running": false, "run.paused": false, "run.done": true, "run.error": true}}}`,
      test: (url: string) => `{"url": "${url}"}`,
    },
  ];

  function sdkPost(path: string, body: string, httpx: string) {
    return sendRawRequest(server.url, [
      `POST ${path} HTTP/1.1`,
      `Host: ${new URL(server.url).host}`,
      'Accept: */*',
      'Accept-Encoding: gzip, deflate',
      'Connection: keep-alive',
      `User-Agent: python-httpx/${httpx}`,
      `authorization: Token ${server.token}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Content-Type: application/json',
    ], body);
  }

  for (const { httpx, ...encodings } of ENCODINGS) {
    it(`configures a webhook and tests it as the SDK does with httpx ${httpx}`, async () => {
      const receiver = await startWebhookReceiver();
      try {
        const squid = (await server.request('POST', '/v1/squids', { name: `sdk webhook ${httpx}` })).body.id as string;
        const [configure, test] = [encodings.configure(receiver.url), encodings.test(receiver.url)];
        const configured = await sdkPost(`/v1/delivery?squid=${squid}`, configure, httpx);
        expect(configured.status, configured.body).toBe(201);
        expect(configured.headers['content-type']).toMatch(/^application\/json/);
        // What WebhookDelivery.from_api reads: webhook_fields' url, is_active, retry and events.
        const fields = JSON.parse(configured.body).webhook_fields;
        expect(fields).toEqual({
          url: receiver.url, is_active: true, retry: true,
          events: { 'run.running': false, 'run.paused': false, 'run.done': true, 'run.error': true },
          signing_secret: expect.stringMatching(/^whsec_/),
        });
        expect((await server.request('GET', `/v1/squids/${squid}`)).body.webhook_fields).toMatchObject({ url: receiver.url, is_active: true });

        const tested = await sdkPost('/v1/delivery/test-webhook', test, httpx);
        expect(tested.status, tested.body).toBe(200);
        expect(JSON.parse(tested.body)).toMatchObject({ success: true, status_code: 200 });
        expect(receiver.received.map((received) => JSON.parse(received.body).event)).toEqual(['test']);
      } finally {
        await receiver.close();
      }
    });
  }
});
