// Liveness and readiness, public: /healthz says the process answers, /readyz that the database does.
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import type { AppDeps } from '../app-deps.js';
import { errorResponses } from '../schemas.js';

const okSchema = { type: 'object', properties: { status: { type: 'string' } } } as const;

export function createHealthRoutes(deps: AppDeps): FastifyPluginAsync {
  return async (app) => {
    // Probes hit these every few seconds: their request lines would drown the log at info.
    app.get('/healthz', {
      logLevel: 'warn',
      config: { public: true },
      schema: { tags: ['Health'], security: [], description: 'The process is alive.', response: { 200: okSchema } },
    }, async () => ({ status: 'ok' }));

    app.get('/readyz', {
      logLevel: 'warn',
      config: { public: true },
      schema: { tags: ['Health'], security: [], description: 'The database answers.', response: { 200: okSchema, ...errorResponses(503) } },
    }, async () => {
      try {
        await deps.store.ping();
      } catch (error) {
        throw new AppError('DatabaseUnavailable', 'The database does not answer.', { status: 503, retryable: true, cause: error });
      }
      return { status: 'ok' };
    });
  };
}
