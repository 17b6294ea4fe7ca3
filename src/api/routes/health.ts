// Liveness and readiness, public: /healthz says the process answers, /readyz that the database does
// and so does every part this process runs (the worker loop, the embedded S3 endpoint).
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import type { AppDeps } from '../app-deps.js';
import { renderErrorBody, type ErrorBody } from '../errors.js';
import { selectProbeLogLevel } from '../logging.js';
import { errorResponses } from '../schemas.js';

const okSchema = { type: 'object', properties: { status: { type: 'string' } } } as const;

export function createHealthRoutes(deps: AppDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', {
      logLevel: selectProbeLogLevel(deps.config),
      config: { public: true },
      schema: { operationId: 'getLiveness', summary: 'Liveness probe', tags: ['Health'], security: [], description: 'The process is alive.', response: { 200: okSchema } },
    }, async () => ({ status: 'ok' }));

    app.get<{ Reply: { status: string } | ErrorBody }>('/readyz', {
      logLevel: selectProbeLogLevel(deps.config),
      config: { public: true },
      schema: { operationId: 'getReadiness', summary: 'Readiness probe', tags: ['Health'], security: [], description: 'The database answers, and so does every part this process runs (its worker loop, the embedded S3 endpoint).', response: { 200: okSchema, ...errorResponses(503) } },
    }, async (request, reply) => {
      try {
        await deps.store.ping();
      } catch (error) {
        throw new AppError('DatabaseUnavailable', 'The database does not answer.', { status: 503, retryable: true, cause: error });
      }
      const problems = (deps.readinessChecks ?? []).map((check) => check()).filter((problem) => problem !== null);
      if (problems.length === 0) return { status: 'ok' };
      // Not a secret and what an operator acts on, so the answer says it (unlike other 5xx).
      const message = `Not ready: ${problems.join('; ')}.`;
      request.log.warn({ problems }, 'readiness.failed');
      return reply.status(503).send(renderErrorBody(503, 'NotReady', message));
    });
  };
}
