// Webhook events survive what a worker's death leaves behind, and the egress policy holds at
// delivery time: each test starts the workers it needs (none runs by default here).
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryChannel } from '../../../src/channels/channel.js';
import { createChannelRegistry } from '../../../src/channels/registry.js';
import { createWebhookChannel } from '../../../src/channels/webhook/webhook-channel.js';
import type { WebhookConfig } from '../../../src/channels/webhook/webhook-config.js';
import { createEgressPolicy } from '../../../src/egress/egress-policy.js';
import { createTestConfig, startDeliveryFixture, type DeliveryFixture } from '../../delivery/delivery-fixture.js';
import { pollUntil } from '../../helpers/poll-until.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';

const EVENTS = { 'run.running': true, 'run.paused': false, 'run.done': false, 'run.error': false };
const LEASE_MS = 1000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe('webhook durability and egress at delivery time', () => {
  let fixture: DeliveryFixture;
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    fixture = await startDeliveryFixture({ config: createTestConfig({ delivery: { leaseMs: LEASE_MS } }) });
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await fixture.close();
    await receiver.close();
  });

  async function configure(): Promise<{ squidId: string; secret: string }> {
    const squidId = await fixture.createSquid();
    const response = await fixture.server.request('POST', `/v1/delivery?squid=${squidId}`, { webhook_fields: { url: receiver.url, is_active: true, retry: true, events: EVENTS } });
    expect(response.status).toBe(201);
    return { squidId, secret: response.body.webhook_fields.signing_secret as string };
  }

  async function runningJob(runId: string): Promise<Json> {
    const jobs = (await fixture.server.request('GET', `/v1/runs/${runId}/deliveries`)).body.data as Json[];
    return jobs.find((job) => job.kind === 'webhook' && job.event === 'run.running')!;
  }

  it('sends an event created while no worker ran, and resends one whose worker died after sending it, with the same webhook-id', async () => {
    const { squidId, secret } = await configure();
    const runId = await fixture.startRun(squidId);
    // The job exists (enqueued with the run's start) before any worker runs.
    expect(await runningJob(runId)).toMatchObject({ status: 'pending', attempts: 0 });

    // A worker claims it, sends it, and dies (kill -9) before recording the outcome.
    const claimed = await fixture.store.claimDueDelivery('doomed-worker', Date.now(), LEASE_MS);
    expect(claimed).not.toBeNull();
    const channel = fixture.server.deps.channels.find('webhook') as DeliveryChannel<WebhookConfig>;
    const run = (await fixture.store.getRunById(runId))!;
    const squid = (await fixture.store.getSquidById(squidId))!;
    const ctx = { signal: new AbortController().signal, clock: Date.now, logger: pino({ level: 'silent' }), openExport: () => { throw new Error('no export for events'); }, recordOpenWrite: () => { throw new Error('webhooks open nothing'); }, listDeliveredFiles: async () => [] };
    await channel.deliver({ delivery: claimed as never, run, squid }, ctx);
    expect(receiver.received).toHaveLength(1);

    await fixture.startWorker();
    const job = await pollUntil(async () => {
      const current = await runningJob(runId);
      return current.status === 'succeeded' ? current : undefined;
    }, { timeoutMs: 15_000, what: 'the resend' });
    expect(job.attempt_history.map((attempt: Json) => attempt.outcome)).toEqual(['lease_expired', 'succeeded']);
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received;
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.body).toBe(first!.body);
    expect(new Webhook(secret).verify(second!.body, second!.headers as Record<string, string>)).toMatchObject({ id: runId, event: 'run.running' });
  });

  it('fails for good, with no connection attempted, when the worker\'s egress policy refuses the address', async () => {
    const { squidId } = await configure();
    const strict = createWebhookChannel({ egress: createEgressPolicy({ allow: [], implicitOrigins: [] }), timeoutMs: 1000 });
    await fixture.startWorker({ channels: createChannelRegistry([strict]) });
    const runId = await fixture.startRun(squidId);
    const job = await pollUntil(async () => {
      const current = await runningJob(runId);
      return current.status === 'failed' ? current : undefined;
    }, { timeoutMs: 15_000, what: 'the refusal' });
    expect(job).toMatchObject({ attempts: 1, last_error: { code: 'EgressRefused', retryable: false } });
    expect(job.last_error.message).toContain('SQUIDSHIP_EGRESS_ALLOW');
    expect(receiver.received).toEqual([]);
  });
});
