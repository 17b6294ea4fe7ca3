// GET /v1/channels (extension): the delivery channels this server has, in registration order,
// so that a client (the dashboard) shows one settings panel per channel without knowing the
// server's version: its fields key, test route, whether it has a rotatable secret, and the
// fields the squid view answers for it.
import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app-deps.js';
import { requireAccount } from '../auth.js';
import { errorResponses, markExtension } from '../schemas.js';

const channelSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', description: 'The delivery history\'s `kind`: `s3`, `webhook`.' },
    title: { type: 'string' },
    description: { type: 'string' },
    fields_key: { type: 'string', description: 'The key of `POST /v1/delivery` bodies and of the squid view: `s3_fields`.' },
    test_route: { type: 'string', description: '`POST /v1/delivery/<test_route>` tries a configuration.' },
    secret_route: { type: ['string', 'null'], description: '`POST /v1/squids/{id}/<secret_route>` rotates its signing secret; null when it has none.' },
    fields: { type: 'object', additionalProperties: true, description: 'JSON Schema properties of the squid view\'s `<fields_key>`.' },
  },
} as const;

export function createChannelRoutes(deps: AppDeps): FastifyPluginAsync {
  const data = deps.channels.list.map((channel) => ({
    kind: channel.kind,
    title: channel.title,
    description: channel.description,
    fields_key: channel.fieldsKey,
    test_route: channel.testRoute,
    secret_route: channel.rotateSecret === undefined ? null : `${channel.kind}-secret`,
    fields: channel.fieldsSchema.properties,
  }));
  return async (app) => {
    app.get('/channels', {
      schema: markExtension({
        operationId: 'listChannels',
        summary: 'List the server\'s delivery channels',
        description: 'The delivery channels this server has, in the order of the squid view\'s `*_fields`.',
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: channelSchema } } }, ...errorResponses(401) },
      }),
    }, async (request) => {
      requireAccount(request);
      return { data };
    });
  };
}
