// The webhook channel against the shared channel contract, as an event channel (its jobs send
// run events and write no file; see channel-contract.ts for why the file cases do not apply):
// a loopback receiver that acknowledges with 200, answers 503 to break it, and `retry: false`
// to make that final.
import { createTestConfig, startDeliveryFixture } from '../../delivery/delivery-fixture.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { describeEventChannelContract } from '../channel-contract.js';

const EVENTS = { 'run.running': true, 'run.paused': false, 'run.done': true, 'run.error': true };

describeEventChannelContract('webhook', async () => {
  const fixture = await startDeliveryFixture({ config: createTestConfig() });
  await fixture.startWorker();
  const receiver = await startWebhookReceiver();
  const fields = (overrides: Record<string, unknown> = {}) => ({ url: receiver.url, is_active: true, retry: true, events: EVENTS, ...overrides });
  return {
    fixture,
    fieldsKey: 'webhook_fields',
    testRoute: 'test-webhook',
    events: ['run.running', 'run.done'],
    fields: () => fields(),
    testBody: () => ({ url: receiver.url }),
    async receivedFor(job) {
      // Every send of a job carries the same webhook-id; only what the receiver acknowledged counts.
      return receiver.received
        .filter((received) => received.headers['webhook-id'] === `msg_${job.id as string}` && received.answer === 200)
        .map((received) => {
          const body = JSON.parse(received.body) as { id: string; event: string };
          return { runId: body.id, event: body.event };
        });
    },
    async breakForGood() {
      receiver.fallback = 503;
      return fields({ retry: false });
    },
    async breakOnce() {
      receiver.script([503]);
      return { fields: fields(), heal: async () => undefined };
    },
    reset: async () => {
      receiver.fallback = 200;
    },
    async close() {
      await fixture.close();
      await receiver.close();
    },
  };
});
