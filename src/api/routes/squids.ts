// Squids: create, list, get, update (POST, as Lobstr does) and delete, all scoped to the account.
import type { FastifyPluginAsync } from 'fastify';
import { badRequest, notFound } from '../../domain/app-error.js';
import { BUILT_IN_CRAWLER } from '../../domain/crawlers.js';
import type { HexId, Squid } from '../../domain/types.js';
import type { SquidPatch, Store } from '../../storage/store.js';
import type { ChannelRegistry } from '../../channels/registry.js';
import { requireSquidSlot } from '../account-caps.js';
import type { AppDeps } from '../app-deps.js';
import { requireAccount } from '../auth.js';
import { pageEnvelopeSchema, paginationQueryProperties, readPageWindow, renderPage, type PaginationQuery } from '../pagination.js';
import { createSquidSchema, errorResponses, idParamsSchema, type IdParams } from '../schemas.js';
import { serializeSquid } from '../serialize.js';

/** Lobstr fields that mean nothing without crawlers, schedules or accounts: a 400, never ignored. */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  params: 'Squidship runs no crawlers, so there are no crawler parameters: your own scraper pushes its results with POST /v1/runs/{id}/results.',
  accounts: 'Squidship does not manage website accounts.',
  cron_expression: 'Squidship does not schedule runs: start one with POST /v1/runs.',
  timezone: 'Squidship does not schedule runs: start one with POST /v1/runs.',
  to_complete: 'Squidship runs no tasks.',
  run_notify: 'Squidship sends no email notifications.',
};

const unsupportedProperties = Object.fromEntries(
  Object.keys(UNSUPPORTED_FIELDS).map((field) => [field, { description: 'Lobstr field not supported by Squidship: answers 400.' }]),
);

export function rejectUnsupportedFields(body: object | undefined): void {
  for (const field of Object.keys(body ?? {})) {
    const reason = UNSUPPORTED_FIELDS[field];
    if (reason !== undefined) throw badRequest('InvalidParam', `Squidship does not support '${field}': ${reason}`, field);
  }
}

const nameSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;

interface CreateBody {
  crawler?: string;
  name?: string;
}

interface UpdateBody {
  name?: string;
  is_active?: boolean;
  export_unique_results?: boolean;
  no_line_breaks?: boolean;
  concurrency?: number;
}

const DEFAULT_NAME_PREFIX = 'Custom scraper';

/** "Custom scraper (N)" with N one more than the highest already used in the account. */
async function pickDefaultName(store: Store, accountId: HexId): Promise<string> {
  const names = await store.listSquidNamesStartingWith(accountId, `${DEFAULT_NAME_PREFIX} (`);
  const used = names.map((name) => /^Custom scraper \((\d+)\)$/.exec(name)?.[1]).filter((n) => n !== undefined).map(Number);
  return `${DEFAULT_NAME_PREFIX} (${Math.max(0, ...used) + 1})`;
}

/** The view of a squid just read or written: one store read for its runs and destinations. */
export async function loadSquidView(store: Store, channels: ChannelRegistry, squid: Squid) {
  const summary = await store.getSquidSummary(squid.accountId, squid.id);
  // Deleted meanwhile: what it was, with nothing attached (as the separate reads answered).
  return serializeSquid(summary ?? { squid, lastRun: null, totalRuns: 0, destinations: [] }, channels);
}

export function squidNotFound() {
  return notFound('SquidDoesNotExistException', 'Squid not found.', 'squid');
}

export function createSquidRoutes(deps: AppDeps): FastifyPluginAsync {
  const { store, clock } = deps;
  const squidSchema = createSquidSchema(deps.channels);
  return async (app) => {
    app.post<{ Body: CreateBody | undefined }>('/squids', {
      schema: {
        operationId: 'createSquid',
        summary: 'Create a squid',
        tags: ['Squids'],
        description: 'Creates a squid. `crawler` defaults to the built-in crawler; `name` to "Custom scraper (N)".',
        body: { type: 'object', additionalProperties: false, properties: { crawler: { type: 'string' }, name: nameSchema, ...unsupportedProperties } },
        response: { 200: squidSchema, ...errorResponses(400, 401, 404) },
      },
    }, async (request) => {
      const account = requireAccount(request);
      const body = request.body ?? {};
      rejectUnsupportedFields(body);
      const crawlerId = (body.crawler ?? BUILT_IN_CRAWLER.id).toLowerCase();
      if (crawlerId !== BUILT_IN_CRAWLER.id) throw notFound('ModuleNotFound', `Crawler ${body.crawler} not found.`, 'crawler');
      await requireSquidSlot(store, account.id, deps.config.limits.maxSquidsPerAccount);
      const name = body.name ?? (await pickDefaultName(store, account.id));
      const squid = await store.createSquid({ accountId: account.id, crawlerId, name, nowMs: clock() });
      return loadSquidView(store, deps.channels, squid);
    });

    app.get<{ Querystring: PaginationQuery & { name?: string } }>('/squids', {
      schema: {
        operationId: 'listSquids',
        summary: 'List squids',
        tags: ['Squids'],
        description: 'The account\'s squids, oldest first; `name` matches case-insensitively anywhere in the name.',
        querystring: { type: 'object', additionalProperties: false, properties: { name: { type: 'string' }, ...paginationQueryProperties } },
        response: { 200: pageEnvelopeSchema(squidSchema), ...errorResponses(400, 401) },
      },
    }, async (request) => {
      const account = requireAccount(request);
      const window = readPageWindow(request.query);
      const nameContains = request.query.name === undefined || request.query.name === '' ? undefined : request.query.name;
      const page = await store.listSquids(account.id, { nameContains }, window);
      const data = await Promise.all(page.items.map((squid) => loadSquidView(store, deps.channels, squid)));
      return renderPage(request, window, page.total, data);
    });

    app.get<{ Params: IdParams }>('/squids/:id', {
      schema: { operationId: 'getSquid', summary: 'Get a squid', tags: ['Squids'], description: 'One squid, with its delivery settings (`*_fields`).', params: idParamsSchema, response: { 200: squidSchema, ...errorResponses(401, 404) } },
    }, async (request) => {
      const summary = await store.getSquidSummary(requireAccount(request).id, request.params.id.toLowerCase());
      if (summary === null) throw squidNotFound();
      return serializeSquid(summary, deps.channels);
    });

    app.post<{ Params: IdParams; Body: UpdateBody | undefined }>('/squids/:id', {
      schema: {
        operationId: 'updateSquid',
        summary: 'Update a squid',
        tags: ['Squids'],
        description: 'Updates a squid\'s settings (POST, as Lobstr does). Answers the whole squid.',
        params: idParamsSchema,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            name: nameSchema,
            is_active: { type: 'boolean' },
            export_unique_results: { type: 'boolean', description: 'Exports drop duplicate rows.' },
            no_line_breaks: { type: 'boolean', description: 'Exports replace line breaks inside values with spaces.' },
            concurrency: { type: 'integer', minimum: 1, maximum: 20 },
            ...unsupportedProperties,
          },
        },
        response: { 200: squidSchema, ...errorResponses(400, 401, 404) },
      },
    }, async (request) => {
      const account = requireAccount(request);
      const body = request.body ?? {};
      rejectUnsupportedFields(body);
      const patch: SquidPatch = {
        name: body.name,
        isActive: body.is_active,
        exportUniqueResults: body.export_unique_results,
        noLineBreaks: body.no_line_breaks,
        concurrency: body.concurrency,
      };
      const squid = await store.updateSquid(account.id, request.params.id.toLowerCase(), dropUndefined(patch));
      if (squid === null) throw squidNotFound();
      return loadSquidView(store, deps.channels, squid);
    });

    app.delete<{ Params: IdParams }>('/squids/:id', {
      schema: {
        operationId: 'deleteSquid',
        summary: 'Delete a squid',
        tags: ['Squids'],
        description: 'Deletes a squid with its runs, results and delivery settings. It is gone from every read at once (its name is free again) and its pending deliveries are cancelled; its rows are removed in the background.',
        params: idParamsSchema,
        response: {
          200: { type: 'object', properties: { id: { type: 'string' }, object: { type: 'string' }, deleted: { type: 'boolean' } } },
          ...errorResponses(401, 404),
        },
      },
    }, async (request) => {
      const id = request.params.id.toLowerCase();
      const deleted = await store.deleteSquid(requireAccount(request).id, id, deps.clock());
      if (!deleted) throw squidNotFound();
      deps.onSquidDeleted?.();
      return { id, object: 'squid', deleted: true };
    });
  };
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
