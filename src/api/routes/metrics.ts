// GET /metrics: the process's Prometheus metrics (text format), public like the health checks;
// expose the port to the scraper only. Counts every answered request by its route template.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config/config.js';
import type { Metrics } from '../../metrics/metrics.js';
import { selectProbeLogLevel } from '../logging.js';

export function createMetricsRoutes(metrics: Metrics, config: Config): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', {
      logLevel: selectProbeLogLevel(config),
      config: { public: true },
      schema: { hide: true },
    }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  };
}

/** Counts requests by route template (never the raw URL: ids would make a series each). */
export function countHttpRequests(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.recordHttpRequest({ method: request.method, route, status: reply.statusCode });
  });
}
