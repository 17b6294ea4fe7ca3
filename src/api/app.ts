// Builds the Fastify app (never listens): logging, validation, body parsers, auth, the one error
// handler, the OpenAPI document (openapi.ts) and every route under /v1. main.ts and tests call buildApp.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type preValidationHookHandler, type RouteOptions } from 'fastify';
import { createTokenAuthenticator } from '../accounts/api-tokens.js';
import type { AppDeps } from './app-deps.js';
import { registerAuth } from './auth.js';
import { registerBodyParsers } from './body-parsers.js';
import { registerDashboard } from './dashboard.js';
import { applyHeadersTimeout, createConnectionOptions } from './connection-options.js';
import { createErrorHandler, echoRequestId, handleNotFound } from './errors.js';
import { createLoggerOptions } from './logging.js';
import { registerOpenApi } from './openapi.js';
import { createRequestLimits } from './rate-limits.js';
import { rejectNulCharacters } from './nul-characters.js';
import { createValidatorCompiler } from './validation.js';
import { createChannelRoutes } from './routes/channels.js';
import { createCrawlerRoutes } from './routes/crawlers.js';
import { createDeliveryRoutes } from './routes/delivery.js';
import { createDownloadRoutes } from './routes/download.js';
import { createHealthRoutes } from './routes/health.js';
import { countHttpRequests, createMetricsRoutes } from './routes/metrics.js';
import { createMeRoutes } from './routes/me.js';
import { createNotSupportedRoutes } from './routes/not-supported.js';
import { createResultRoutes } from './routes/results.js';
import { createRunDeliveriesRoutes } from './routes/run-deliveries.js';
import { createRunResultRoutes } from './routes/run-results.js';
import { createRunRoutes } from './routes/runs.js';
import { createSquidRoutes } from './routes/squids.js';

export interface BuildAppOptions {
  logger?: FastifyServerOptions['logger'] | boolean;
}

export async function buildApp(deps: AppDeps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: createLoggerOptions(deps.config, options.logger),
    bodyLimit: deps.config.maxBodyBytes,
    // A client-sent X-Request-Id is kept (it ties our log lines to theirs), else a fresh UUID.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    ...createConnectionOptions(deps.config.http),
  });
  applyHeadersTimeout(app, deps.config.http);
  app.setValidatorCompiler(createValidatorCompiler());
  app.setErrorHandler(createErrorHandler(deps.config.maxBodyBytes));
  app.setNotFoundHandler(handleNotFound);
  registerBodyParsers(app);
  app.addHook('onRoute', addEmptyBodyDefault);
  // Before the token check, so that every answer carries it, a 401 and a 404 too.
  app.addHook('onRequest', echoRequestId);
  const limits = createRequestLimits(deps.config.limits, deps.clock);
  app.addHook('onRequest', limits.limitAddress);
  registerAuth(app, createTokenAuthenticator(deps.store, deps.clock), limits);
  app.addHook('preValidation', rejectNulCharacters);
  await registerOpenApi(app, deps.config.publicUrl);

  // Before every route, so that each one (and the 404s) is counted.
  if (deps.metrics !== undefined) countHttpRequests(app, deps.metrics);
  await app.register(createHealthRoutes(deps));
  registerDashboard(app, deps.webRoot);
  if (deps.metrics !== undefined) await app.register(createMetricsRoutes(deps.metrics, deps.config));
  await app.register(async (v1) => {
    await v1.register(createMeRoutes(deps));
    await v1.register(createCrawlerRoutes());
    await v1.register(createSquidRoutes(deps));
    await v1.register(createRunRoutes(deps));
    await v1.register(createRunResultRoutes(deps));
    await v1.register(createResultRoutes(deps));
    await v1.register(createDeliveryRoutes(deps));
    await v1.register(createChannelRoutes(deps));
    await v1.register(createRunDeliveriesRoutes(deps));
    await v1.register(createDownloadRoutes(deps));
    await v1.register(createNotSupportedRoutes());
  }, { prefix: '/v1' });
  return app;
}

/**
 * A POST without a body (abort, or create with defaults) is an empty object, so that schema
 * errors name the missing field instead of "body must be object". Attached only to the routes
 * that have a body schema, so that GETs run no hook for it.
 */
function addEmptyBodyDefault(route: RouteOptions): void {
  if (route.schema?.body === undefined) return;
  const setEmptyBody: preValidationHookHandler = (request, _reply, done) => {
    if (request.body === undefined) request.body = {};
    done();
  };
  const existing = route.preValidation;
  route.preValidation = existing === undefined ? [setEmptyBody] : [setEmptyBody, ...(Array.isArray(existing) ? existing : [existing])];
}
