// POST /v1/delivery/test-webhook: one signed `test` event, answered in Lobstr's shape
// (`success`, `status_code`) plus Squidship's diagnostics. The egress policy refuses first (400).
import { randomBytes } from 'node:crypto';
import type { EgressPolicy } from '../../egress/egress-policy.js';
import { classifyWebhookError } from './classify-webhook-error.js';
import { sendWebhook, WebhookSendError } from './send-webhook.js';
import { createWebhookSecret, signWebhook } from './sign-webhook.js';
import { renderLobstrTimestamp } from './webhook-payload.js';

export interface ProbeWebhookInput {
  url: string;
  egress: EgressPolicy;
  timeoutMs: number;
  now: () => number;
}

export async function probeWebhook(input: ProbeWebhookInput): Promise<Record<string, unknown>> {
  await input.egress.assertUrlAllowed(new URL(input.url));
  // A test has no squid, so no squid secret: it is signed with a one-off secret, answered here.
  const secret = createWebhookSecret();
  const nowMs = input.now();
  const body = JSON.stringify({ id: null, object: 'run', event: 'test', squid: null, timestamp: renderLobstrTimestamp(nowMs), squidship: { test: true } });
  const headers = signWebhook(secret, `msg_test_${randomBytes(12).toString('hex')}`, Math.floor(nowMs / 1000), body);
  try {
    const answer = await sendWebhook({ url: input.url, headers, body, timeoutMs: input.timeoutMs, egress: input.egress, now: input.now });
    return { success: true, status_code: answer.statusCode, signing_secret: secret };
  } catch (error) {
    if (!(error instanceof WebhookSendError)) throw error;
    const { code, message, hint } = classifyWebhookError(error, { retry: true });
    return { success: false, status_code: error.answer.statusCode, error: { code, message, hint } };
  }
}
