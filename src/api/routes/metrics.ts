// GET /metrics: the process's Prometheus metrics (text format), public like the health checks;
// expose the port to the scraper only. Counts every answered request by its route template.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../metrics/metrics.js';

export function createMetricsRoutes(metrics: Metrics): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', {
      // Scraped every few seconds: its request lines would drown the log at info.
      logLevel: 'warn',
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
