// GET /v1/crawlers and /v1/crawlers/{id} (with /params and /attributes): the one built-in crawler,
// so that clients which list crawlers before creating a squid find one. It takes no parameters,
// and its attributes are not fixed: the columns are whatever the scraper pushes.
import type { FastifyPluginAsync } from 'fastify';
import { notFound } from '../../domain/app-error.js';
import { BUILT_IN_CRAWLER, type Crawler } from '../../domain/crawlers.js';
import { pageEnvelopeSchema, paginationQueryProperties, readPageWindow, renderPage, type PaginationQuery } from '../pagination.js';
import { crawlerSchema, errorResponses, idParamsSchema, type IdParams } from '../schemas.js';
import { serializeCrawler } from '../serialize.js';

const CRAWLERS = [BUILT_IN_CRAWLER];

export function createCrawlerRoutes(): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: PaginationQuery }>('/crawlers', {
      schema: {
        operationId: 'listCrawlers',
        summary: 'List the crawlers',
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
        operationId: 'getCrawler',
        summary: 'Get a crawler',
        tags: ['Crawlers'],
        description: 'One crawler.',
        params: idParamsSchema,
        response: { 200: crawlerSchema, ...errorResponses(401, 404) },
      },
    }, async (request) => {
      const crawler = findCrawler(request.params.id);
      return {
        ...serializeCrawler(crawler),
        input: { task: {}, squid: {} },
        result: [],
        description: 'Your own scraper pushes its results with POST /v1/runs/{id}/results.',
      };
    });

    app.get<{ Params: IdParams }>('/crawlers/:id/params', {
      schema: {
        operationId: 'getCrawlerParams',
        summary: 'Get a crawler\'s parameters',
        tags: ['Crawlers'],
        description: 'The crawler\'s task and squid parameters: none for the built-in crawler (your scraper takes its own input).',
        params: idParamsSchema,
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(401, 404) },
      },
    }, async (request) => {
      findCrawler(request.params.id);
      return { task: {}, squid: { functions: {} } };
    });

    app.get<{ Params: IdParams }>('/crawlers/:id/attributes', {
      config: { public: true },
      schema: {
        operationId: 'getCrawlerAttributes',
        summary: 'Get a crawler\'s result attributes',
        tags: ['Crawlers'],
        security: [],
        description: 'The result columns the crawler always produces: none are fixed for the built-in crawler, whose columns are ' +
          'the keys of the rows your scraper pushes. Needs no token, as Lobstr documents.',
        params: idParamsSchema,
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...errorResponses(404) },
      },
    }, async (request) => {
      findCrawler(request.params.id);
      return { data: [] };
    });
  };
}

function findCrawler(id: string): Crawler {
  const crawler = CRAWLERS.find((candidate) => candidate.id === id.toLowerCase());
  if (!crawler) throw notFound('ModuleNotFound', 'Crawler not found.', 'id');
  return crawler;
}
