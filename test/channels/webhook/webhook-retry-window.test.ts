// Webhooks with `retry: true` follow the deliveries' retry window (issue 15, item 6): an endpoint
// down for longer than the old 8 attempts still gets its event once it is back, and one that
// stays down fails for good when the window ends. Real server, worker and loopback receiver.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestConfig, startDeliveryFixture, type DeliveryFixture } from '../../delivery/delivery-fixture.js';
import { pollUntil } from '../../helpers/poll-until.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';

const WINDOW_MS = 4000;
const EVENTS = { 'run.running': false, 'run.paused': false, 'run.done': true, 'run.error': true };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe('webhook retries within the retry window', () => {
  let fixture: DeliveryFixture;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // No attempt cap: the window alone decides, as by default.
    const config = createTestConfig({ delivery: { maxAttempts: 0, retryWindowMs: WINDOW_MS, backoffBaseMs: 10, backoffMaxMs: 40 } });
    fixture = await startDeliveryFixture({ config });
    await fixture.startWorker();
  });
  afterEach(async () => {
    await receiver?.close();
  });
  afterAll(async () => {
    await fixture.close();
  });

  async function deliverRunDoneTo(configure: (receiver: WebhookReceiver) => void): Promise<string> {
    receiver = await startWebhookReceiver();
    configure(receiver);
    const squidId = await fixture.createSquid();
    const fields = { url: receiver.url, is_active: true, retry: true, events: EVENTS };
    expect((await fixture.server.request('POST', `/v1/delivery?squid=${squidId}`, { webhook_fields: fields })).status).toBe(201);
    const runId = await fixture.startRun(squidId);
    expect((await fixture.completeRun(runId)).status).toBe(200);
    return runId;
  }

  async function waitForRunDone(runId: string, status: string): Promise<Json> {
    let last: Json[] = [];
    return pollUntil(async () => {
      last = (await fixture.server.request('GET', `/v1/runs/${runId}/deliveries`)).body.data as Json[];
      return last.find((job) => job.kind === 'webhook' && job.event === 'run.done' && job.status === status);
    }, { timeoutMs: 30_000, what: () => `run.done ${status}; jobs: ${JSON.stringify(last)}` });
  }

  it('keeps retrying past the old 8 attempts and delivers once the endpoint answers', async () => {
    const runId = await deliverRunDoneTo((r) => r.script(Array.from({ length: 12 }, () => 503)));
    const job = await waitForRunDone(runId, 'succeeded');
    expect(job.attempts).toBe(13);
    expect(job.attempt_history.slice(0, 12).every((attempt: Json) => attempt.outcome === 'retrying' && attempt.endpoint_status === 503)).toBe(true);
    expect(job.attempt_history[12]).toMatchObject({ outcome: 'succeeded', endpoint_status: 200 });
    expect(new Set(receiver.received.map((received) => received.headers['webhook-id'])).size).toBe(1);
  });

  it('fails for good at the end of the window when the endpoint stays down', async () => {
    const runId = await deliverRunDoneTo((r) => (r.fallback = 503));
    const job = await waitForRunDone(runId, 'failed');
    expect(job).toMatchObject({ next_attempt_at: null, retry_until: null, last_error: { code: 'EndpointStatus', status_code: 503, retryable: true } });
    const firstStartedMs = Date.parse(job.attempt_history[0].started_at as string);
    const endedMs = job.attempt_history.map((attempt: Json) => Date.parse(attempt.ended_at as string));
    expect(endedMs.at(-1)).toBeGreaterThanOrEqual(firstStartedMs + WINDOW_MS);
    expect(job.attempt_history.at(-1).outcome).toBe('failed');
    expect(job.attempts).toBe(receiver.received.length);
  });
});
