// The webhook channel end to end, all real: a Squidship server and delivery workers over a temp
// store, and an HTTP receiver on loopback that verifies signatures with the `standardwebhooks`
// package, as a user's receiver would.
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestConfig, lobstrS3Fields, startDeliveryFixture, type DeliveryFixture } from '../../delivery/delivery-fixture.js';
import { pollUntil } from '../../helpers/poll-until.js';
import { TEST_BUCKET } from '../../helpers/s3rver.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';

const ALL_EVENTS = { 'run.running': true, 'run.paused': true, 'run.done': true, 'run.error': true };
// Short, for the hang case; long enough for a receiver that reads the run before answering on
// a loaded machine (at 300 ms, run.running timed out with the load average at 14 on 2 cores).
const TIMEOUT_MS = 1000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe('webhook channel', () => {
  let fixture: DeliveryFixture;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    const base = createTestConfig({ delivery: { backoffBaseMs: 10, backoffMaxMs: 20 } });
    fixture = await startDeliveryFixture({ config: { ...base, webhook: { timeoutMs: TIMEOUT_MS } } });
    await fixture.startWorker();
  });
  afterEach(async () => {
    await receiver?.close();
  });
  afterAll(async () => {
    await fixture.close();
  });

  const request = (method: string, path: string, body?: unknown) => fixture.server.request(method, path, body);

  async function configure(fields: Json = {}): Promise<{ squidId: string; secret: string }> {
    receiver = await startWebhookReceiver();
    const squidId = await fixture.createSquid();
    const body = { webhook_fields: { url: receiver.url, is_active: true, retry: true, events: ALL_EVENTS, ...fields } };
    const response = await request('POST', `/v1/delivery?squid=${squidId}`, body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return { squidId, secret: response.body.webhook_fields.signing_secret as string };
  }

  async function finishRun(squidId: string, rows: object[] = [{ a: 1 }]): Promise<string> {
    const runId = await fixture.startRun(squidId);
    await fixture.pushRows(runId, rows);
    expect((await fixture.completeRun(runId)).status).toBe(200);
    return runId;
  }

  async function webhookJobs(runId: string): Promise<Json[]> {
    return ((await request('GET', `/v1/runs/${runId}/deliveries`)).body.data as Json[]).filter((job) => job.kind === 'webhook');
  }

  async function waitForJob(runId: string, event: string, status: string): Promise<Json> {
    let last: Json[] = [];
    return pollUntil(async () => {
      last = await webhookJobs(runId);
      return last.find((job) => job.event === event && job.status === status);
    }, { timeoutMs: 15_000, what: () => `${event} ${status}; jobs: ${JSON.stringify(last)}` });
  }

  function receivedEvent(event: string): Json {
    const bodies = receiver.received.map((received) => JSON.parse(received.body) as Json);
    const found = bodies.filter((body) => body.event === event).at(-1);
    if (found === undefined) throw new Error(`no ${event} received: ${JSON.stringify(bodies)}`);
    return found;
  }

  function verify(secret: string, index: number): Json {
    const received = receiver.received[index]!;
    return new Webhook(secret).verify(received.body, received.headers as Record<string, string>) as Json;
  }

  it('answers the signing secret once, keeps it on a new POST, masks it on the squid, and rotates it', async () => {
    const { squidId, secret } = await configure();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const again = await request('POST', `/v1/delivery?squid=${squidId}`, { webhook_fields: { url: receiver.url, is_active: false, retry: false, events: ALL_EVENTS } });
    expect(again.status).toBe(201);
    expect(again.body.webhook_fields).toEqual({ url: receiver.url, is_active: false, retry: false, events: ALL_EVENTS, signing_secret: `${'*'.repeat(secret.length - 4)}${secret.slice(-4)}` });
    const squid = await request('GET', `/v1/squids/${squidId}`);
    expect(squid.body.webhook_fields).toEqual(again.body.webhook_fields);
    const rotated = await request('POST', `/v1/squids/${squidId}/webhook-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.webhook_fields.signing_secret).toMatch(/^whsec_/);
    expect(rotated.body.webhook_fields.signing_secret).not.toBe(secret);
    expect(JSON.stringify((await request('GET', `/v1/squids/${squidId}`)).body)).not.toContain(rotated.body.webhook_fields.signing_secret);
  });

  it('sends run.running and run.done in Lobstr\'s payload, signed, run.done once the file delivery is over', async () => {
    const { squidId, secret } = await configure({ events: { ...ALL_EVENTS, 'run.error': false } });
    expect((await fixture.configureS3(squidId, { s3_fields: lobstrS3Fields('hooks') })).status).toBe(201);
    const statusAtReceipt: string[] = [];
    receiver.onRequest = async (received) => {
      const runId = (JSON.parse(received.body) as Json).id as string;
      statusAtReceipt.push((await request('GET', `/v1/runs/${runId}`)).body.status as string);
    };
    const runId = await finishRun(squidId, [{ a: 1 }, { a: 2 }]);
    await waitForJob(runId, 'run.done', 'succeeded');
    expect(receiver.received.map((received) => (JSON.parse(received.body) as Json).event)).toEqual(['run.running', 'run.done']);
    const done = verify(secret, 1);
    expect(Object.keys(done)).toEqual(['id', 'object', 'event', 'squid', 'timestamp', 'squidship']);
    const squidName = (await request('GET', `/v1/squids/${squidId}`)).body.name;
    expect(done).toMatchObject({ id: runId, object: 'run', event: 'run.done', squid: { id: squidId, name: squidName } });
    expect(done.timestamp).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/);
    const [fileJob] = (await request('GET', `/v1/runs/${runId}/deliveries`)).body.data.filter((job: Json) => job.event === 'file') as Json[];
    expect(fileJob!.key).toMatch(/^hooks\/.+\.csv$/);
    expect(done.squidship).toEqual({
      status: 'done', done_reason: 'tasks_done', total_results: 2, export_done: true,
      files: [{ kind: 's3', location: { bucket: TEST_BUCKET, key: fileJob!.key } }],
      download_url: expect.stringMatching(new RegExp(`^${fixture.server.url}/v1/runs/${runId}/export\\.csv\\?expires=\\d+&signature=[0-9a-f]{64}$`)),
    });
    // Both places named hold the same bytes, fetched as a receiver would, without a token.
    const downloaded = Buffer.from(await (await fetch(done.squidship.download_url as string)).arrayBuffer());
    expect(downloaded.equals(await fixture.readObject(fileJob!.key as string))).toBe(true);
    expect(verify(secret, 0)).toMatchObject({ id: runId, event: 'run.running' });
    expect(statusAtReceipt[1]).toBe('done');
    expect(receiver.received[1]!.headers['content-type']).toBe('application/json');
    const job = await waitForJob(runId, 'run.done', 'succeeded');
    expect(job.attempt_history[0]).toMatchObject({ outcome: 'succeeded', endpoint_status: 200, latency_ms: expect.any(Number) });
    expect(Buffer.byteLength(job.attempt_history[0].response_excerpt as string)).toBe(1024);

    // A re-delivery's run.done names the files of its own round.
    expect((await request('POST', `/v1/runs/${runId}/deliveries`)).status).toBe(202);
    await pollUntil(async () => (await webhookJobs(runId)).find((candidate) => candidate.event === 'run.done' && candidate.round === 2 && candidate.status === 'succeeded'), { timeoutMs: 15_000, what: 'run.done of round 2' });
    const again = JSON.parse(receiver.received.at(-1)!.body) as Json;
    expect(again.squidship.files).toEqual([{ kind: 's3', location: { bucket: TEST_BUCKET, key: fileJob!.key } }]);
  });

  it('signs with a tampered body failing verification', async () => {
    const { squidId, secret } = await configure();
    const runId = await finishRun(squidId);
    await waitForJob(runId, 'run.done', 'succeeded');
    const received = receiver.received[0]!;
    expect(() => new Webhook(secret).verify(received.body.replace('run.', 'run,'), received.headers as Record<string, string>)).toThrow();
  });

  it('sends run.done with the status aborted for an aborted run, and run.error when the export fails', async () => {
    const { squidId } = await configure();
    const runId = await fixture.startRun(squidId);
    expect((await request('POST', `/v1/runs/${runId}/abort`)).status).toBe(200);
    await waitForJob(runId, 'run.done', 'succeeded');
    expect(receivedEvent('run.done').squidship).toMatchObject({ status: 'aborted', done_reason: 'aborted', files: [] });

    expect((await fixture.configureS3(squidId, { s3_fields: { ...lobstrS3Fields(), bucket: 'no-such-bucket-here' } })).status).toBe(201);
    const failed = await finishRun(squidId);
    await waitForJob(failed, 'run.error', 'succeeded');
    expect(receivedEvent('run.error')).toMatchObject({ id: failed, squidship: { done_reason: 'export_failed' } });
    expect((await webhookJobs(failed)).map((job) => job.event)).toEqual(['run.running', 'run.error']);
  });

  it('retries a 500, a timeout and a reset with the same webhook-id, then succeeds', async () => {
    const { squidId, secret } = await configure({ events: { ...ALL_EVENTS, 'run.running': false } });
    receiver.script([500, 'hang', 'reset']);
    const runId = await finishRun(squidId);
    const job = await waitForJob(runId, 'run.done', 'succeeded');
    expect(job.attempts).toBe(4);
    expect(job.attempt_history.map((attempt: Json) => [attempt.outcome, attempt.endpoint_status, attempt.error?.code ?? null])).toEqual([
      ['retrying', 500, 'EndpointStatus'],
      ['retrying', null, 'EndpointTimeout'],
      ['retrying', null, 'EndpointUnreachable'],
      ['succeeded', 200, null],
    ]);
    expect(new Set(receiver.received.map((received) => received.headers['webhook-id'])).size).toBe(1);
    expect(verify(secret, 3)).toMatchObject({ event: 'run.done' });
  });

  it('makes one attempt with retry false', async () => {
    const { squidId } = await configure({ retry: false, events: { ...ALL_EVENTS, 'run.running': false } });
    receiver.script([503]);
    const runId = await finishRun(squidId);
    const job = await waitForJob(runId, 'run.done', 'failed');
    expect(job).toMatchObject({ attempts: 1, last_error: { code: 'EndpointStatus', status_code: 503, retryable: false } });
    expect(receiver.received).toHaveLength(1);
  });

  it('turns the webhook off on 410 and says so in the history', async () => {
    const { squidId } = await configure({ events: { ...ALL_EVENTS, 'run.running': false } });
    receiver.script([410]);
    const runId = await finishRun(squidId);
    const job = await waitForJob(runId, 'run.done', 'failed');
    expect(job.last_error).toMatchObject({ code: 'EndpointGone', status_code: 410, retryable: false });
    expect(job.last_error.message).toContain('deactivated');
    await pollUntil(async () => (await request('GET', `/v1/squids/${squidId}`)).body.webhook_fields.is_active === false, { timeoutMs: 5000, what: 'the webhook to be off' });
    const next = await finishRun(squidId);
    expect(await webhookJobs(next)).toEqual([]);
  });

  it('test-webhook sends a signed test event and answers Lobstr\'s shape with diagnostics', async () => {
    receiver = await startWebhookReceiver();
    const ok = await request('POST', '/v1/delivery/test-webhook', { url: receiver.url });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ success: true, status_code: 200 });
    expect(new Webhook(ok.body.signing_secret as string).verify(receiver.received[0]!.body, receiver.received[0]!.headers as Record<string, string>)).toMatchObject({ event: 'test' });
    receiver.script([404]);
    expect((await request('POST', '/v1/delivery/test-webhook', { url: receiver.url })).body).toMatchObject({ success: false, status_code: 404, error: { code: 'EndpointStatus' } });
    const refused = await request('POST', '/v1/delivery/test-webhook', { url: 'http://127.0.0.1:1/hook' });
    expect(refused.body).toMatchObject({ success: false, status_code: null, error: { code: 'EndpointUnreachable', message: expect.stringContaining('ECONNREFUSED') } });
  });

  it('rejects invalid fields with 400 and stores nothing; takes the dotted form with events as an object', async () => {
    receiver = await startWebhookReceiver();
    const squidId = await fixture.createSquid();
    const good = { url: receiver.url, is_active: true, retry: true, events: ALL_EVENTS };
    const cases: [Json, string, string][] = [
      [{ ...good, events: undefined }, 'ParamsNeeded', 'webhook_fields.events'],
      [{ ...good, events: [] }, 'InvalidParamType', 'webhook_fields.events'],
      [{ ...good, events: { ...ALL_EVENTS, 'run.done': 'yes' } }, 'InvalidParamType', 'webhook_fields.events.run.done'],
      [{ ...good, events: { 'run.running': true, 'run.paused': true, 'run.done': true } }, 'ParamsNeeded', 'webhook_fields.events.run.error'],
      [{ ...good, events: { ...ALL_EVENTS, 'run.started': true } }, 'InvalidParam', 'webhook_fields.events.run.started'],
      [{ ...good, retry: undefined }, 'ParamsNeeded', 'webhook_fields.retry'],
      [{ ...good, is_active: 'true' }, 'InvalidParamType', 'webhook_fields.is_active'],
      [{ ...good, url: 'ftp://example.com/x' }, 'InvalidParameterValue', 'webhook_fields.url'],
      [{ ...good, url: 'not a url' }, 'InvalidParameterValue', 'webhook_fields.url'],
      [{ ...good, url: undefined }, 'ParamsNeeded', 'webhook_fields.url'],
    ];
    for (const [fields, type, param] of cases) {
      const response = await request('POST', `/v1/delivery?squid=${squidId}`, { webhook_fields: fields });
      expect({ param, status: response.status, type: response.body.errors?.type }).toEqual({ param, status: 400, type });
      expect(response.body.errors.message).toContain(param);
    }
    expect(await fixture.store.listDestinations(squidId)).toEqual([]);
    const dotted = await request('POST', `/v1/delivery?squid=${squidId}`, {
      'webhook_fields.url': receiver.url, 'webhook_fields.is_active': true, 'webhook_fields.retry': false, 'webhook_fields.events': ALL_EVENTS,
    });
    expect(dotted.status).toBe(201);
    expect(dotted.body.webhook_fields).toMatchObject({ url: receiver.url, retry: false, events: ALL_EVENTS, signing_secret: expect.stringMatching(/^whsec_/) });
  });

  it('refuses what the egress policy refuses: 400 at configure and test time, a permanent failure at delivery', async () => {
    receiver = await startWebhookReceiver();
    const squidId = await fixture.createSquid();
    const metadata = { url: 'http://169.254.169.254/latest/meta-data', is_active: true, retry: true, events: ALL_EVENTS };
    const configured = await request('POST', `/v1/delivery?squid=${squidId}`, { webhook_fields: metadata });
    expect(configured.status).toBe(400);
    expect(configured.body.errors.type).toBe('EgressRefused');
    expect(await fixture.store.listDestinations(squidId)).toEqual([]);
    const tested = await request('POST', '/v1/delivery/test-webhook', { url: 'http://[fe80::1]:8080/hook' });
    expect(tested.status).toBe(400);
    expect(tested.body.errors.type).toBe('EgressRefused');
  });
});

