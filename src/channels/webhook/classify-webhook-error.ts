// The one reader of webhook failures: what the endpoint did, retryable or not, with a hint.
// `retry: false` makes every failure final (one attempt, as Lobstr documents it).
import type { DeliveryError } from '../../domain/types.js';
import { WebhookSendError } from './send-webhook.js';

/** The endpoint says it is gone for good: the webhook is turned off (see DeliveryError). */
const GONE = 410;

export function classifyWebhookError(error: unknown, options: { retry: boolean }): DeliveryError {
  const detail = describeFailure(error);
  return { ...detail, retryable: detail.retryable && options.retry };
}

function describeFailure(error: unknown): DeliveryError {
  if (!(error instanceof WebhookSendError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { code: 'InternalError', message, hint: null, statusCode: null, retryable: true };
  }
  const statusCode = error.answer.statusCode;
  switch (error.reason) {
    case 'egress':
      return { code: 'EgressRefused', message: error.message, hint: 'Point the webhook at a public address, or ask the operator to allow this one (SQUIDSHIP_EGRESS_ALLOW).', statusCode: null, retryable: false };
    case 'timeout':
      return { code: 'EndpointTimeout', message: error.message, hint: 'Answer 2xx at once and do the work after (SQUIDSHIP_WEBHOOK_TIMEOUT_MS sets the wait).', statusCode: null, retryable: true };
    case 'connection':
      return { code: 'EndpointUnreachable', message: `cannot reach the endpoint: ${error.message}`, hint: 'Check that the URL\'s host resolves and its server is listening (and its TLS certificate is valid).', statusCode: null, retryable: true };
    case 'aborted':
      return { code: 'AttemptInterrupted', message: error.message, hint: null, statusCode: null, retryable: true };
    case 'status':
      if (statusCode === GONE) {
        return { code: 'EndpointGone', message: 'the endpoint answered 410 Gone: the webhook is now deactivated', hint: 'Fix the endpoint, then configure webhook_fields again with is_active true.', statusCode, retryable: false, deactivatesDestination: true };
      }
      return { code: 'EndpointStatus', message: `the endpoint answered ${statusCode}`, hint: 'The endpoint must answer 2xx to acknowledge an event.', statusCode, retryable: true };
  }
}
