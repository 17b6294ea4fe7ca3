// POST /v1/delivery?squid=ID (configure a squid's delivery through one of the registered
// channels) and POST /v1/delivery/test-* (try a configuration). Lobstr channels that no
// registered channel implements answer a clear 400 and store nothing, never a fake success.
import type { FastifyPluginAsync } from 'fastify';
import type { DeliveryChannel } from '../../channels/channel.js';
import type { AppDeps } from '../app-deps.js';
import { requireAccount } from '../auth.js';
import { asObject, channelNotAvailable, extractChannelFields } from '../channel-fields.js';
import { AppError } from '../../domain/app-error.js';
import { errorResponses, idParamsSchema, markExtension, type IdParams } from '../schemas.js';
import { squidNotFound } from './squids.js';

/** Lobstr's test routes, by the channel each tests; those no registered channel owns answer 400. */
export const LOBSTR_TEST_ROUTES: Record<string, string> = {
  'test-email': 'email',
  'test-googlesheet': 'Google Sheets',
  'test-webhook': 'webhook',
  'test-sftp': 'SFTP',
};

const probeResultSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    success: { type: 'boolean' },
    status_code: { type: ['integer', 'null'] },
    error: {
      type: 'object',
      additionalProperties: true,
      properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: ['string', 'null'] } },
    },
  },
} as const;

export function createDeliveryRoutes(deps: AppDeps): FastifyPluginAsync {
  const { channels } = deps;
  const fieldsKeys = channels.list.map((channel) => channel.fieldsKey);
  const fieldsDocs = Object.fromEntries(channels.list.map((c) => [c.fieldsKey, { type: 'object', description: c.fieldsDescription, additionalProperties: true }]));
  const fieldsAnswers = Object.fromEntries(fieldsKeys.map((key) => [key, { type: 'object', additionalProperties: true }]));
  const names = channels.list.map((channel) => channel.title).join(', ');
  return async (app) => {
    app.post<{ Querystring: { squid: string } }>('/delivery', {
      schema: {
        operationId: 'configureDelivery',
        summary: 'Configure a squid\'s delivery',
        tags: ['Delivery'],
        description:
          `Configure a squid's delivery (${names}). Accepts \`{"<channel>_fields": {...}}\` or the flat dotted form \`{"<channel>_fields.<field>": ...}\` (not both), one channel per request: ${fieldsKeys.join(', ')}. ` +
          'A new POST replaces the configuration; `is_active: false` keeps it but stops deliveries. Secrets are answered masked but for their last 4 characters. ' +
          'Other Lobstr channels (SFTP, Google Sheets, email) answer 400 DeliveryChannelNotAvailable until Squidship has them.',
        querystring: { type: 'object', required: ['squid'], properties: { squid: { type: 'string' } } },
        body: { type: 'object', additionalProperties: true, properties: fieldsDocs },
        response: { 201: { type: 'object', additionalProperties: true, properties: fieldsAnswers }, ...errorResponses(400, 401, 404) },
      },
    }, async (request, reply) => {
      const account = requireAccount(request);
      const { channel, fields } = extractChannelFields(channels, request.body);
      const parsed = channel.parseFields(fields, { prefix: `${channel.fieldsKey}.`, mode: 'configure' });
      const squid = await deps.store.getSquid(account.id, request.query.squid.toLowerCase());
      if (squid === null) throw squidNotFound();
      const previous = (await deps.store.listDestinations(squid.id)).find((destination) => destination.kind === channel.kind);
      const prepared = channel.prepareConfig === undefined ? { config: parsed.config, revealed: {} } : await channel.prepareConfig(parsed.config, previous?.config ?? null);
      const destination = await deps.store.putDestination(squid.id, channel.kind, parsed.isActive ?? false, prepared.config, deps.clock());
      const logged = { squidId: squid.id, kind: channel.kind, ...channel.describeForLog(destination.config, null), isActive: destination.isActive };
      request.log.info(logged, 'delivery.configured');
      return reply.status(201).send({ [channel.fieldsKey]: { ...channel.serializeFields(destination.config, destination.isActive), ...prepared.revealed } });
    });

    for (const channel of channels.list) registerTestRoute(app, deps, channel);
    for (const channel of channels.list) {
      const rotate = channel.rotateSecret?.bind(channel);
      if (rotate !== undefined) registerRotateRoute(app, deps, channel, rotate);
    }

    const built = new Set(channels.list.map((channel) => channel.testRoute));
    for (const [route, channel] of Object.entries(LOBSTR_TEST_ROUTES)) {
      if (built.has(route)) continue;
      app.post(`/delivery/${route}`, {
        schema: {
          // Never answers 2xx, so it is no operation of Squidship's API document; docs/lobstr-clients.md lists it.
          hide: true,
          tags: ['Delivery'],
          description: `Not available: Squidship does not deliver to ${channel} yet. Answers 400 DeliveryChannelNotAvailable.`,
          response: errorResponses(400, 401),
        },
      }, async (request) => {
        requireAccount(request);
        throw channelNotAvailable(channels, channel);
      });
    }
  };
}

type App = Parameters<FastifyPluginAsync>[0];

/** 'test-s3' -> 'testS3': the OpenAPI operationId of a route generated per channel. */
function toOperationId(kebab: string): string {
  return kebab.replace(/-(\w)/g, (_match, letter: string) => letter.toUpperCase());
}

/** POST /v1/delivery/<testRoute>: the channel's probe, through the code its deliveries use. */
function registerTestRoute(app: App, deps: AppDeps, channel: DeliveryChannel): void {
  const event = `delivery.${channel.testRoute.replace(/-/g, '_')}`;
  app.post<{ Querystring: { squid?: string } }>(`/delivery/${channel.testRoute}`, {
    schema: {
      operationId: toOperationId(channel.testRoute),
      summary: `Test ${channel.title} settings`,
      tags: ['Delivery'],
      description:
        `${channel.testDescription} Squidship extension: with \`?squid=ID\`, secrets sent back as the squid view masks them are ` +
        'the squid\'s stored ones (a form tests its saved keys without holding them).',
      querystring: { type: 'object', additionalProperties: false, properties: { squid: { type: 'string' } } },
      body: { type: 'object', additionalProperties: true, properties: channel.testBodyProperties },
      response: { 200: probeResultSchema, ...errorResponses(400, 401, 404) },
    },
  }, async (request) => {
    const account = requireAccount(request);
    const parsed = channel.parseFields(asObject(request.body), { prefix: '', mode: 'test' });
    const config = request.query.squid === undefined ? parsed.config : await withStoredSecrets(deps, account.id, request.query.squid, channel, parsed.config);
    const result = await channel.test(config, { clock: deps.clock });
    request.log.info({ ...channel.describeForLog(config, null), success: result.success }, event);
    return result;
  });
}

/** The config under test completed by the squid's stored one (its masked secrets), as configure does. */
async function withStoredSecrets(deps: AppDeps, accountId: string, squidId: string, channel: DeliveryChannel, config: unknown): Promise<unknown> {
  const squid = await deps.store.getSquid(accountId, squidId.toLowerCase());
  if (squid === null) throw squidNotFound();
  const previous = (await deps.store.listDestinations(squid.id)).find((destination) => destination.kind === channel.kind);
  if (previous === undefined || channel.prepareConfig === undefined) return config;
  return (await channel.prepareConfig(config, previous.config)).config;
}

/** POST /v1/squids/{id}/<kind>-secret: a new signing secret, answered once (extension). */
function registerRotateRoute(app: App, deps: AppDeps, channel: DeliveryChannel, rotate: NonNullable<DeliveryChannel['rotateSecret']>): void {
  app.post<{ Params: IdParams }>(`/squids/:id/${channel.kind}-secret`, {
    schema: markExtension({
      operationId: toOperationId(`rotate-${channel.kind}-secret`),
      summary: `Rotate a squid's ${channel.title} signing secret`,
      description: `Rotate the squid's ${channel.title} signing secret: the new one is answered once, in \`${channel.fieldsKey}.signing_secret\`, and signs every event sent from now on. 404 when the squid has no ${channel.fieldsKey}.`,
      params: idParamsSchema,
      response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(401, 404) },
    }),
  }, async (request) => {
    const account = requireAccount(request);
    const squid = await deps.store.getSquid(account.id, request.params.id.toLowerCase());
    if (squid === null) throw squidNotFound();
    const current = (await deps.store.listDestinations(squid.id)).find((destination) => destination.kind === channel.kind);
    if (current === undefined) throw new AppError('DeliveryNotConfigured', `The squid has no ${channel.fieldsKey}: configure it first.`, { status: 404, param: channel.fieldsKey });
    const rotated = rotate(current.config);
    const destination = await deps.store.putDestination(squid.id, channel.kind, current.isActive, rotated.config, deps.clock());
    request.log.info({ squidId: squid.id, kind: channel.kind }, 'delivery.secret.rotated');
    return { [channel.fieldsKey]: { ...channel.serializeFields(destination.config, destination.isActive), ...rotated.revealed } };
  });
}
