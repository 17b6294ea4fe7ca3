// GET /v1/runs/{id}/deliveries (each delivery of a run with its attempts) and
// POST /v1/runs/{id}/deliveries (deliver a finished run again): Squidship extensions.
// Destination secrets never appear here: only the bucket and the object key.
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import type { DeliveryAttempt, DeliveryError } from '../../domain/types.js';
import { planDeliveries } from '../../delivery/plan-deliveries.js';
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

const deliverySchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    object: { type: 'string' },
    run: { type: 'string' },
    squid: { type: 'string' },
    kind: { type: 'string' },
    round: { type: 'integer' },
    status: { type: 'string', enum: ['pending', 'running', 'succeeded', 'failed'] },
    bucket: { type: 'string' },
    key: { type: 'string' },
    attempts: { type: 'integer' },
    next_attempt_at: nullableString,
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
          key: { type: 'string' },
          etag: nullableString,
        },
      },
    },
  },
} as const;

const deliveryListSchema = { type: 'object', properties: { data: { type: 'array', items: deliverySchema } } } as const;

export function createRunDeliveriesRoutes(deps: AppDeps): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: IdParams }>('/runs/:id/deliveries', {
      schema: markExtension({
        tags: ['Runs'],
        description:
          'Every delivery of the run (one per destination and round, oldest first) with its attempts: times, outcome, error with a hint, rows, bytes, object key and ETag.',
        params: idParamsSchema,
        response: { 200: deliveryListSchema, ...errorResponses(401, 404) },
      }),
    }, async (request) => {
      const account = requireAccount(request);
      const run = await requireRun(deps, account.id, request.params.id);
      const deliveries = await deps.store.listRunDeliveries(account.id, run.id);
      return { data: deliveries.map(serializeDelivery) };
    });

    app.post<{ Params: IdParams }>('/runs/:id/deliveries', {
      schema: markExtension({
        tags: ['Runs'],
        description:
          'Deliver a finished run again to its squid\'s current active destinations (a new round; same object key, so the object is overwritten). ' +
          'Answers 202 with the new deliveries; 409 RunNotFinished or DeliveryInProgress; 400 NoActiveDestination.',
        params: idParamsSchema,
        response: { 202: deliveryListSchema, ...errorResponses(400, 401, 404, 409) },
      }),
    }, async (request, reply) => {
      const account = requireAccount(request);
      const run = await requireRun(deps, account.id, request.params.id);
      const destinations = await deps.store.listDestinations(run.squidId);
      if (!destinations.some((destination) => destination.isActive && destination.kind === 's3')) {
        throw new AppError('NoActiveDestination', 'The squid has no active delivery: configure one with POST /v1/delivery?squid=<id> and is_active true.', { status: 400 });
      }
      const deliveries = await deps.store.enqueueRedelivery(account.id, run.id, deps.clock(), planDeliveries);
      request.log.info({ runId: run.id, deliveries: deliveries.length }, 'delivery.redelivery.enqueued');
      return reply.status(202).send({ data: deliveries.map((delivery) => serializeDelivery({ ...delivery, attemptList: [] })) });
    });
  };
}

async function requireRun(deps: AppDeps, accountId: string, runId: string) {
  const run = await deps.store.getRun(accountId, runId.toLowerCase());
  if (run === null) throw runNotFound();
  return run;
}

export function serializeDelivery(delivery: DeliveryWithAttempts) {
  const unfinished = delivery.status === 'pending' || delivery.status === 'running';
  return {
    id: delivery.id,
    object: 'delivery',
    run: delivery.runId,
    squid: delivery.squidId,
    kind: delivery.kind,
    round: delivery.round,
    status: delivery.status,
    bucket: delivery.config.bucket,
    key: delivery.objectKey,
    attempts: delivery.attempts,
    next_attempt_at: unfinished ? renderTime(delivery.nextAttemptAtMs) : null,
    last_error: serializeDeliveryError(delivery.lastError),
    created_at: renderTime(delivery.createdAtMs),
    finished_at: renderTime(delivery.finishedAtMs),
    attempt_history: delivery.attemptList.map(serializeAttempt),
  };
}

function serializeAttempt(attempt: DeliveryAttempt) {
  return {
    number: attempt.number,
    started_at: renderTime(attempt.startedAtMs),
    ended_at: renderTime(attempt.endedAtMs),
    outcome: attempt.outcome,
    error: serializeDeliveryError(attempt.error),
    rows: attempt.rows,
    bytes: attempt.bytes,
    key: attempt.objectKey,
    etag: attempt.etag,
  };
}

function serializeDeliveryError(error: DeliveryError | null) {
  if (error === null) return null;
  return { code: error.code, message: error.message, hint: error.hint, status_code: error.statusCode, retryable: error.retryable };
}
