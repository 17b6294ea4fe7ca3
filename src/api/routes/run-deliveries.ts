// GET /v1/runs/{id}/deliveries (each delivery of a run with its attempts) and
// POST /v1/runs/{id}/deliveries (deliver a finished run again): Squidship extensions.
// Each job shows what its channel tells of its target (S3: the bucket and the object key);
// destination secrets never appear here.
import type { FastifyPluginAsync } from 'fastify';
import type { DeliveryChannel } from '../../channels/channel.js';
import type { ChannelRegistry } from '../../channels/registry.js';
import type { DeliveryAttempt, DeliveryError } from '../../domain/types.js';
import { redeliverRun } from '../../delivery/complete-run.js';
import { retryDeadlineMs } from '../../delivery/retry-policy.js';
import type { DeliveryWithAttempts } from '../../storage/store.js';
import type { AppDeps } from '../app-deps.js';
import { requireAccount } from '../auth.js';
import { errorResponses, idParamsSchema, markExtension, type IdParams } from '../schemas.js';
import { renderTime } from '../serialize.js';
import { runNotFound } from './runs.js';

const nullableString = { type: ['string', 'null'] } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;

const deliveryErrorSchema = {
  type: ['object', 'null'],
  additionalProperties: true,
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    hint: nullableString,
    status_code: nullableInteger,
    retryable: { type: 'boolean' },
  },
} as const;

/** The job schema: the channels' target properties (S3: bucket, key) sit after `status`. */
function createDeliverySchema(channels: ChannelRegistry) {
  const jobTarget = Object.assign({}, ...channels.list.map((channel) => channel.historySchema.job)) as Record<string, unknown>;
  const attemptTarget = Object.assign({}, ...channels.list.map((channel) => channel.historySchema.attempt)) as Record<string, unknown>;
  return {
    type: 'object',
    additionalProperties: true,
    properties: {
      id: { type: 'string' },
      object: { type: 'string' },
      run: { type: 'string' },
      squid: { type: 'string' },
      kind: { type: 'string' },
      event: { type: 'string', description: 'What made the job: `file` (the run ended: deliver its export file), `run.running` (the run started), `run.done` / `run.error` (the run was finalised: done or aborted / export_failed).' },
      round: { type: 'integer' },
      status: { type: 'string', enum: ['pending', 'running', 'succeeded', 'failed'] },
      ...jobTarget,
      attempts: { type: 'integer' },
      next_attempt_at: { ...nullableString, description: 'While pending or running: when the next attempt is due (after a retryable failure, the backoff\'s time). null once finished.' },
      retry_until: {
        ...nullableString,
        description:
          'While pending or running, once attempted: the end of the retry window (first attempt + `SQUIDSHIP_DELIVERY_RETRY_WINDOW_MS`). No retry is due after it; a retryable failure at or after it is final. null before the first attempt and once finished.',
      },
      last_error: deliveryErrorSchema,
      created_at: { type: 'string' },
      finished_at: nullableString,
      attempt_history: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: true,
          properties: {
            number: { type: 'integer' },
            started_at: { type: 'string' },
            ended_at: nullableString,
            outcome: nullableString,
            error: deliveryErrorSchema,
            rows: nullableInteger,
            bytes: nullableInteger,
            ...attemptTarget,
            etag: nullableString,
            endpoint_status: { ...nullableInteger, description: 'HTTP channels (webhook): the status the endpoint answered; null when it did not answer.' },
            latency_ms: { type: 'integer', description: 'HTTP channels: from the request to the answer (or the failure).' },
            response_excerpt: { ...nullableString, description: 'HTTP channels: the first 1 KiB of the answer body.' },
          },
        },
      },
    },
  };
}

export function createRunDeliveriesRoutes(deps: AppDeps): FastifyPluginAsync {
  const { channels } = deps;
  // This process's setting: a worker configured otherwise decides by its own (keep them equal).
  const { retryWindowMs } = deps.config.delivery;
  const deliveryListSchema = { type: 'object', properties: { data: { type: 'array', items: createDeliverySchema(channels) } } };
  return async (app) => {
    app.get<{ Params: IdParams }>('/runs/:id/deliveries', {
      schema: markExtension({
        operationId: 'listRunDeliveries',
        summary: 'List a run\'s deliveries',
        description:
          'Every delivery of the run (one per destination and round, oldest first) with its attempts: times, outcome, error with a hint, rows, bytes, object key and ETag.',
        params: idParamsSchema,
        response: { 200: deliveryListSchema, ...errorResponses(401, 404) },
      }),
    }, async (request) => {
      const account = requireAccount(request);
      const run = await requireRun(deps, account.id, request.params.id);
      const deliveries = await deps.store.listRunDeliveries(account.id, run.id);
      return { data: deliveries.map((delivery) => serializeDelivery(delivery, channels.find(delivery.kind), retryWindowMs)) };
    });

    app.post<{ Params: IdParams }>('/runs/:id/deliveries', {
      schema: markExtension({
        operationId: 'redeliverRun',
        summary: 'Deliver a finished run again',
        description:
          'Deliver a finished run again to its squid\'s current active destinations (a new round; same object key, so the object is overwritten). ' +
          'Answers 202 with the new deliveries; 409 RunNotFinished or DeliveryInProgress; 400 NoActiveDestination.',
        params: idParamsSchema,
        response: { 202: deliveryListSchema, ...errorResponses(400, 401, 404, 409) },
      }),
    }, async (request, reply) => {
      const account = requireAccount(request);
      const run = await requireRun(deps, account.id, request.params.id);
      const deliveries = await redeliverRun(deps, { accountId: account.id, run, nowMs: deps.clock() });
      request.log.info({ runId: run.id, deliveries: deliveries.length }, 'delivery.redelivery.enqueued');
      const data = deliveries.map((delivery) => serializeDelivery({ ...delivery, attemptList: [] }, channels.find(delivery.kind), retryWindowMs));
      return reply.status(202).send({ data });
    });
  };
}

async function requireRun(deps: AppDeps, accountId: string, runId: string) {
  const run = await deps.store.getRun(accountId, runId.toLowerCase());
  if (run === null) throw runNotFound();
  return run;
}

/** `channel`: the job's, when still registered; else the job shows no target. */
export function serializeDelivery(delivery: DeliveryWithAttempts, channel: DeliveryChannel | undefined, retryWindowMs: number) {
  const unfinished = delivery.status === 'pending' || delivery.status === 'running';
  const retryUntilMs = unfinished && delivery.firstAttemptAtMs !== null ? retryDeadlineMs(delivery.firstAttemptAtMs, retryWindowMs) : null;
  return {
    id: delivery.id,
    object: 'delivery',
    run: delivery.runId,
    squid: delivery.squidId,
    kind: delivery.kind,
    event: delivery.event,
    round: delivery.round,
    status: delivery.status,
    ...channel?.renderJobTarget(delivery.config, delivery.target),
    attempts: delivery.attempts,
    next_attempt_at: unfinished ? renderTime(delivery.nextAttemptAtMs) : null,
    retry_until: renderTime(retryUntilMs),
    last_error: serializeDeliveryError(delivery.lastError),
    created_at: renderTime(delivery.createdAtMs),
    finished_at: renderTime(delivery.finishedAtMs),
    attempt_history: delivery.attemptList.map((attempt) => serializeAttempt(attempt, channel)),
  };
}

function serializeAttempt(attempt: DeliveryAttempt, channel: DeliveryChannel | undefined) {
  return {
    number: attempt.number,
    started_at: renderTime(attempt.startedAtMs),
    ended_at: renderTime(attempt.endedAtMs),
    outcome: attempt.outcome,
    error: serializeDeliveryError(attempt.error),
    rows: attempt.rows,
    bytes: attempt.bytes,
    ...channel?.renderAttemptTarget(attempt.target),
    etag: attempt.etag,
    ...(attempt.endpoint === null
      ? {}
      : { endpoint_status: attempt.endpoint.statusCode, latency_ms: attempt.endpoint.latencyMs, response_excerpt: attempt.endpoint.bodyExcerpt }),
  };
}

function serializeDeliveryError(error: DeliveryError | null) {
  if (error === null) return null;
  return { code: error.code, message: error.message, hint: error.hint, status_code: error.statusCode, retryable: error.retryable };
}
