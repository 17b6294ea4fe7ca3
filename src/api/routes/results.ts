// GET /v1/results: a squid's or a run's committed rows (exactly one of the two), paginated. Rows
// are written from their stored text, so that every number is the literal that was pushed.
import type { FastifyPluginAsync } from 'fastify';
import { badRequest } from '../../domain/app-error.js';
import type { ResultFilter } from '../../storage/store.js';
import type { AppDeps } from '../app-deps.js';
import { requireAccount } from '../auth.js';
import { type PageEnvelope, pageEnvelopeSchema, paginationQueryProperties, readPageWindow, renderPage, type PaginationQuery } from '../pagination.js';
import { errorResponses, resultSchema } from '../schemas.js';
import { serializeResultJson } from '../serialize.js';
import { runNotFound } from './runs.js';
import { squidNotFound } from './squids.js';

const EXACTLY_ONE = "You must provide either 'squid' or 'run' parameter, not both or neither";

/** The page envelope's JSON with each row's JSON text in `data`, as is; `data` last, as the schema has it. */
function renderPageJson(envelope: PageEnvelope<string>): string {
  const { data, ...head } = envelope;
  return `${JSON.stringify(head).slice(0, -1)},"data":[${data.join(',')}]}`;
}

export function createResultRoutes(deps: AppDeps): FastifyPluginAsync {
  const { store } = deps;
  return async (app) => {
    app.get<{ Querystring: PaginationQuery & { squid?: string; run?: string } }>('/results', {
      schema: {
        operationId: 'listResults',
        summary: 'List result rows',
        tags: ['Results'],
        description: 'Result rows in push order, of a squid (`squid`) or of a run (`run`): exactly one of the two.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { squid: { type: 'string' }, run: { type: 'string' }, ...paginationQueryProperties },
        },
        response: { 200: pageEnvelopeSchema(resultSchema), ...errorResponses(400, 401, 404) },
      },
    }, async (request, reply) => {
      const account = requireAccount(request);
      const { squid: squidId, run: runId } = request.query;
      if (Boolean(squidId) === Boolean(runId)) {
        throw badRequest(squidId ? 'InvalidParam' : 'ParamsNeeded', EXACTLY_ONE, 'squid,run');
      }
      const filter: ResultFilter = {};
      if (squidId) {
        const squid = await store.getSquid(account.id, squidId.toLowerCase());
        if (squid === null) throw squidNotFound();
        filter.squidId = squid.id;
      } else if (runId) {
        const run = await store.getRun(account.id, runId.toLowerCase());
        if (run === null) throw runNotFound();
        filter.runId = run.id;
      }
      const window = readPageWindow(request.query);
      const page = await store.listResults(account.id, filter, window);
      const envelope = renderPage(request, window, page.total, page.items.map(serializeResultJson));
      // Sent as text, past the schema's serializer: it would write the rows' numbers as JS numbers.
      return reply.type('application/json').send(renderPageJson(envelope));
    });
  };
}
