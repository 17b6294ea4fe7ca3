// GET /v1/crawlers and /v1/crawlers/{id}: the one built-in crawler, so that clients which list
// crawlers before creating a squid find one.
import type { FastifyPluginAsync } from 'fastify';
import { notFound } from '../../domain/app-error.js';
import { BUILT_IN_CRAWLER } from '../../domain/crawlers.js';
import { pageEnvelopeSchema, paginationQueryProperties, readPageWindow, renderPage, type PaginationQuery } from '../pagination.js';
import { crawlerSchema, errorResponses, idParamsSchema, type IdParams } from '../schemas.js';
import { serializeCrawler } from '../serialize.js';

const CRAWLERS = [BUILT_IN_CRAWLER];

export function createCrawlerRoutes(): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: PaginationQuery }>('/crawlers', {
      schema: {
        tags: ['Crawlers'],
        description: 'The crawlers squids can use: one, "Custom scraper (push results via API)".',
        querystring: { type: 'object', additionalProperties: false, properties: paginationQueryProperties },
        response: { 200: pageEnvelopeSchema(crawlerSchema), ...errorResponses(400, 401) },
      },
    }, async (request) => {
      const window = readPageWindow(request.query);
      const items = CRAWLERS.slice(window.offset, window.offset + window.limit).map(serializeCrawler);
      return renderPage(request, window, CRAWLERS.length, items);
    });

    app.get<{ Params: IdParams }>('/crawlers/:id', {
      schema: {
        tags: ['Crawlers'],
        description: 'One crawler.',
        params: idParamsSchema,
        response: { 200: crawlerSchema, ...errorResponses(401, 404) },
      },
    }, async (request) => {
      const crawler = CRAWLERS.find((candidate) => candidate.id === request.params.id.toLowerCase());
      if (!crawler) throw notFound('ModuleNotFound', 'Crawler not found.', 'id');
      return {
        ...serializeCrawler(crawler),
        input: { task: {}, squid: {} },
        result: [],
        description: 'Your own scraper pushes its results with POST /v1/runs/{id}/results.',
      };
    });
  };
}
