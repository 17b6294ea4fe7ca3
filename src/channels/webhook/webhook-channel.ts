// The webhook channel: Lobstr's `webhook_fields` in, one signed POST per run event out
// (run.running when a run starts, run.done / run.error when it is finalised). Each job is one
// event; its `webhook-id` comes from the job id, so every retry carries the same one.
import type { EgressPolicy } from '../../egress/egress-policy.js';
import { DeliveryFailure, RUN_DONE_EVENT, RUN_ERROR_EVENT, RUN_RUNNING_EVENT, type DeliveryChannel, type RevealedSecret } from '../channel.js';
import { maskSecret } from '../mask-secret.js';
import { classifyWebhookError } from './classify-webhook-error.js';
import { parseWebhookFields } from './parse-webhook-fields.js';
import { probeWebhook } from './probe-webhook.js';
import { sendWebhook, WebhookSendError } from './send-webhook.js';
import { createWebhookSecret, renderWebhookId, signWebhook } from './sign-webhook.js';
import { WEBHOOK_EVENTS, type WebhookConfig } from './webhook-config.js';
import { renderWebhookPayload } from './webhook-payload.js';

export interface WebhookChannelOptions {
  egress: EgressPolicy;
  timeoutMs: number;
  /** A signed download link to a run's export, valid from `nowMs` (run.done's `download_url`). */
  renderDownloadUrl?: (runId: string, nowMs: number) => string;
}

/** run.paused is accepted and stored, but Squidship's runs never pause: it never fires. */
const FIRING_EVENTS = [RUN_RUNNING_EVENT, RUN_DONE_EVENT, RUN_ERROR_EVENT] as const;
const BOOLEAN = { type: 'boolean' };
const EVENTS_SCHEMA = {
  type: 'object',
  properties: Object.fromEntries(WEBHOOK_EVENTS.map((event) => [event, BOOLEAN])),
};

export function createWebhookChannel({ egress, timeoutMs, renderDownloadUrl }: WebhookChannelOptions): DeliveryChannel<WebhookConfig> {
  return {
    kind: 'webhook',
    fieldsKey: 'webhook_fields',
    testRoute: 'test-webhook',
    title: 'webhook',
    description: 'an HTTP endpoint told of run events',
    testDescription:
      'Test a webhook URL: POSTs a signed `test` event. Always 200: `{"success": true, "status_code": <endpoint status>, "signing_secret"}` ' +
      '(the one-off secret the test was signed with) or `{"success": false, "status_code": <status or null>, "error": {"code", "message", "hint"}}`. ' +
      'A URL the egress policy refuses answers 400 EgressRefused.',
    testBodyProperties: { url: { type: 'string' } },
    fieldsDescription:
      'url (required), is_active (required), retry (required), events (required: an object of run.running, run.paused, run.done, run.error booleans). ' +
      'The first configure of a squid answers its `signing_secret` (Standard Webhooks, `whsec_...`) once.',
    fieldsSchema: {
      description: 'Webhook delivery settings; `signing_secret` is masked but for its last 4 characters.',
      properties: { url: { type: 'string' }, is_active: BOOLEAN, retry: BOOLEAN, events: EVENTS_SCHEMA, signing_secret: { type: ['string', 'null'] } },
    },
    parseFields: (fields, options) => parseWebhookFields(fields, options),
    async prepareConfig(config, previous): Promise<RevealedSecret<WebhookConfig>> {
      await egress.assertUrlAllowed(new URL(config.url));
      if (previous?.secret) return { config: { ...config, secret: previous.secret }, revealed: {} };
      const secret = createWebhookSecret();
      return { config: { ...config, secret }, revealed: { signing_secret: secret } };
    },
    rotateSecret(config) {
      const secret = createWebhookSecret();
      return { config: { ...config, secret }, revealed: { signing_secret: secret } };
    },
    serializeFields: (config, isActive) => ({
      url: config.url,
      is_active: isActive,
      retry: config.retry,
      events: config.events,
      signing_secret: maskSecret(config.secret),
    }),
    events: (config) => FIRING_EVENTS.filter((event) => config.events[event]),
    planTarget: () => null,
    test: (config, ctx) => probeWebhook({ url: config.url, egress, timeoutMs, now: ctx.clock }),
    async deliver({ delivery, run, squid }, ctx) {
      if (delivery.config.secret === null) throw new Error(`webhook delivery ${delivery.id} has no signing secret`);
      const isDone = delivery.event === RUN_DONE_EVENT;
      const files = isDone ? await ctx.listDeliveredFiles() : null;
      const downloadUrl = isDone && run.exportFileName !== null ? (renderDownloadUrl?.(run.id, ctx.clock()) ?? null) : null;
      const body = renderWebhookPayload({ event: delivery.event, run, squid, atMs: delivery.createdAtMs, files, downloadUrl });
      const headers = signWebhook(delivery.config.secret, renderWebhookId(delivery.id), Math.floor(ctx.clock() / 1000), body);
      try {
        const endpoint = await sendWebhook({ url: delivery.config.url, headers, body, timeoutMs, egress, signal: ctx.signal, now: ctx.clock });
        return { rows: 0, bytes: Buffer.byteLength(body), etag: null, endpoint };
      } catch (error) {
        if (!(error instanceof WebhookSendError)) throw error;
        throw new DeliveryFailure(classifyWebhookError(error, delivery.config), { cause: error, endpoint: error.answer });
      }
    },
    classify: (error, config) => classifyWebhookError(error, config),
    describeForLog: (config) => ({ url: new URL(config.url).origin }),
    renderJobTarget: (config) => ({ url: config.url }),
    renderAttemptTarget: () => ({}),
    // An event is sent, not stored anywhere a receiver could fetch it again.
    describeLocation: () => ({}),
    historySchema: { job: { url: { type: 'string' } }, attempt: {} },
  };
}
