// Events have worker slots of their own (SQUIDSHIP_DELIVERY_EVENT_CONCURRENCY) beside the file
// deliveries' (SQUIDSHIP_DELIVERY_CONCURRENCY), and a run's events still reach a receiver in the
// order they happened: an event waits while an earlier one of its run and destination is unfinished.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestConfig, startDeliveryFixture, type DeliveryFixture } from '../../delivery/delivery-fixture.js';
import { pollUntil } from '../../helpers/poll-until.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';

const EVENTS = { 'run.running': true, 'run.paused': false, 'run.done': true, 'run.error': true };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe('webhook event slots and order', () => {
  let fixture: DeliveryFixture;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // One file slot: events sent side by side prove they do not use it.
    const base = createTestConfig({ delivery: { concurrency: 1 } });
    fixture = await startDeliveryFixture({ config: { ...base, delivery: { ...base.delivery, eventConcurrency: 8 } } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await fixture.close();
    await receiver.close();
  });

  async function configureSquid(): Promise<string> {
    const squidId = await fixture.createSquid();
    const response = await fixture.server.request('POST', `/v1/delivery?squid=${squidId}`, { webhook_fields: { url: receiver.url, is_active: true, retry: true, events: EVENTS } });
    expect(response.status).toBe(201);
    return squidId;
  }

  const eventsReceived = (): string[] => receiver.received.map((received) => {
    const body = JSON.parse(received.body) as Json;
    return `${body.id as string} ${body.event as string}`;
  });

  it('sends a later run\'s event while one is in flight, and a run\'s run.done only after its run.running', async () => {
    // Queued before any worker runs, oldest first: A run.running, A run.done, B run.running.
    const [squidA, squidB] = [await configureSquid(), await configureSquid()];
    const runA = await fixture.startRun(squidA);
    expect((await fixture.completeRun(runA)).status).toBe(200);
    const runB = await fixture.startRun(squidB);

    // A's run.running is answered only once B's run.running has arrived: the worker had to take
    // B's (queued after A's run.done) meanwhile, in a second event slot, and leave A's run.done.
    let seenWhileHeld: string[] = [];
    receiver.onRequest = async (received) => {
      const body = JSON.parse(received.body) as Json;
      if (body.id !== runA || body.event !== 'run.running') return;
      await pollUntil(() => eventsReceived().includes(`${runB} run.running`), { timeoutMs: 10_000, what: 'B\'s run.running while A\'s is held' });
      seenWhileHeld = eventsReceived();
    };
    await fixture.startWorker();
    await pollUntil(() => eventsReceived().includes(`${runA} run.done`), { timeoutMs: 15_000, what: () => `A's run.done; received ${JSON.stringify(eventsReceived())}` });

    expect(seenWhileHeld).toEqual([`${runA} run.running`, `${runB} run.running`]);
    expect(eventsReceived()).toEqual([`${runA} run.running`, `${runB} run.running`, `${runA} run.done`]);
  });
});
