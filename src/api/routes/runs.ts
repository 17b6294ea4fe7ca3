// Runs: start, list, get, stats, and the two ways a run ends: abort (Lobstr) and complete (ours).
// Both end through the complete-run service, which names the export file and plans the run's jobs
// (enqueued in the same transaction as the run's end); a start enqueues its run.running jobs.
import type { FastifyPluginAsync } from 'fastify';
import { badRequest, notFound } from '../../domain/app-error.js';
import type { Account, Run } from '../../domain/types.js';
import { completeRun, startRun } from '../../delivery/complete-run.js';
import type { AppDeps } from '../app-deps.js';
import { requireAccount } from '../auth.js';
import { pageEnvelopeSchema, paginationQueryProperties, readPageWindow, renderPage, type PaginationQuery } from '../pagination.js';
import { errorResponses, idParamsSchema, markExtension, runSchema, type IdParams } from '../schemas.js';
import { serializeRun, serializeRunStats } from '../serialize.js';
import { squidNotFound } from './squids.js';

export function runNotFound() {
  return notFound('RunDoesNotExist', 'Run not found.', 'run');
}

export function createRunRoutes(deps: AppDeps): FastifyPluginAsync {
  const { store, clock } = deps;

  async function loadRun(account: Account, runId: string): Promise<Run> {
    const run = await store.getRun(account.id, runId.toLowerCase());
    if (run === null) throw runNotFound();
    return run;
  }

  /** Ends a running run; a run that is not running answers 409 RunNotRunning (from the store). */
  async function endRun(account: Account, runId: string, reason: 'tasks_done' | 'aborted') {
    const run = await loadRun(account, runId);
    const squid = await store.getSquid(account.id, run.squidId);
    if (squid === null) throw runNotFound();
    const ended = await completeRun(deps, { accountId: account.id, run, squid, reason, nowMs: clock() });
    return serializeRun(ended.run, clock());
  }

  return async (app) => {
    app.post<{ Body: { squid: string } }>('/runs', {
      schema: {
        operationId: 'startRun',
        summary: 'Start a run',
        tags: ['Runs'],
        description: 'Starts a run of the squid; it accepts results until it is completed or aborted. One active run per squid (RunInProgress).',
        body: { type: 'object', required: ['squid'], additionalProperties: false, properties: { squid: { type: 'string' } } },
        response: { 200: runSchema, ...errorResponses(400, 401, 404) },
      },
    }, async (request) => {
      const account = requireAccount(request);
      const squid = await store.getSquid(account.id, request.body.squid.toLowerCase());
      if (squid === null) throw squidNotFound();
      const run = await startRun(deps, { accountId: account.id, squidId: squid.id, nowMs: clock() });
      return serializeRun(run, clock());
    });

    app.get<{ Querystring: PaginationQuery & { squid?: string } }>('/runs', {
      schema: {
        operationId: 'listRuns',
        summary: 'List a squid\'s runs',
        tags: ['Runs'],
        description: 'The squid\'s runs, newest first.',
        querystring: { type: 'object', additionalProperties: false, properties: { squid: { type: 'string' }, ...paginationQueryProperties } },
        response: { 200: pageEnvelopeSchema(runSchema), ...errorResponses(400, 401, 404) },
      },
    }, async (request) => {
      const account = requireAccount(request);
      if (!request.query.squid) throw badRequest('ParamsNeeded', 'A required parameter squid is missing.', 'squid');
      const squid = await store.getSquid(account.id, request.query.squid.toLowerCase());
      if (squid === null) throw squidNotFound();
      const window = readPageWindow(request.query);
      const page = await store.listRuns(account.id, squid.id, window);
      const nowMs = clock();
      return renderPage(request, window, page.total, page.items.map((run) => serializeRun(run, nowMs)));
    });

    app.get<{ Params: IdParams }>('/runs/:id', {
      schema: { operationId: 'getRun', summary: 'Get a run', tags: ['Runs'], description: 'One run.', params: idParamsSchema, response: { 200: runSchema, ...errorResponses(401, 404) } },
    }, async (request) => serializeRun(await loadRun(requireAccount(request), request.params.id), clock()));

    app.get<{ Params: IdParams }>('/runs/:id/stats', {
      schema: {
        operationId: 'getRunStats',
        summary: 'Get a run\'s progress',
        tags: ['Runs'],
        description: 'Progress of a run. Squidship runs no tasks: task counts are 0 and `percent_done` is 0% until the run is done.',
        params: idParamsSchema,
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(401, 404) },
      },
    }, async (request) => serializeRunStats(await loadRun(requireAccount(request), request.params.id), clock()));

    app.post<{ Params: IdParams }>('/runs/:id/abort', {
      schema: {
        operationId: 'abortRun',
        summary: 'Abort a run',
        tags: ['Runs'],
        description: 'Aborts a running run. The results pushed so far are kept and delivered (status `uploading`, then `aborted`). ' +
          'A run that is not running answers 409 RunNotRunning.',
        params: idParamsSchema,
        response: { 200: runSchema, ...errorResponses(401, 404, 409) },
      },
    }, async (request) => endRun(requireAccount(request), request.params.id, 'aborted'));

    app.post<{ Params: IdParams }>('/runs/:id/complete', {
      schema: markExtension({
        operationId: 'completeRun',
        summary: 'Complete a run',
        description: 'the scraper says the run is finished. The run moves through `uploading` (while its deliveries run) to `done` ' +
          'with done_reason `tasks_done`. A run that is not running answers 409 RunNotRunning.',
        params: idParamsSchema,
        response: { 200: runSchema, ...errorResponses(401, 404, 409) },
      }),
    }, async (request) => endRun(requireAccount(request), request.params.id, 'tasks_done'));
  };
}
