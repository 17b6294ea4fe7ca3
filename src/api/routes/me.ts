// GET /v1/me: the authenticated account, in the fields Lobstr documents.
import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app-deps.js';
import { requireAccount } from '../auth.js';
import { errorResponses } from '../schemas.js';
import { renderTime } from '../serialize.js';

export function createMeRoutes(_deps: AppDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/me', {
      schema: {
        tags: ['Account'],
        description: 'The account the token belongs to.',
        response: {
          200: { type: 'object', additionalProperties: true, properties: { id: { type: 'string' }, email: { type: 'string' } } },
          ...errorResponses(401),
        },
      },
    }, async (request) => {
      const account = requireAccount(request);
      return {
        id: account.id,
        first_name: account.name,
        last_name: '',
        email: account.email,
        email_verified: true,
        is_active: true,
        date_joined: renderTime(account.createdAtMs),
        plan: [],
        login_count: 0,
        profile_image: null,
        is_staff: false,
        credit_interval: null,
      };
    });
  };
}
