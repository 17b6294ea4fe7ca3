// GET /v1/me: the authenticated account, in the fields Lobstr documents. GET /v1/user/balance:
// Squidship charges nothing, so the balance says nothing was consumed and nothing is limited.
import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app-deps.js';
import { requireAccount } from '../auth.js';
import { errorResponses } from '../schemas.js';
import { renderTime } from '../serialize.js';

export function createMeRoutes(_deps: AppDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/me', {
      schema: {
        operationId: 'getMe',
        summary: 'Get the token\'s account',
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

    app.get('/user/balance', {
      schema: {
        operationId: 'getBalance',
        summary: 'Get the account\'s balance',
        tags: ['Account'],
        description: 'Squidship charges nothing and limits no slots: `consumed` and `used_slots` are 0; `available` and ' +
          '`total_available_slots` are 2147483647 (no limit), integers as Lobstr\'s clients expect.',
        response: { 200: { type: 'object', additionalProperties: true, properties: balanceProperties }, ...errorResponses(401) },
      },
    }, async (request) => {
      requireAccount(request);
      return renderBalance();
    });
  };
}

/**
 * "No limit" as an integer: Lobstr's SDK types these as int and its CLI prints them, and code
 * that checks `available >= needed` before a run must pass (null would raise, 0 would refuse).
 * 2^31 - 1 fits every client's integer type.
 */
export const UNLIMITED = 2147483647;

const balanceProperties = {
  available: { type: 'integer' },
  consumed: { type: 'integer' },
  used_slots: { type: 'integer' },
  total_available_slots: { type: 'integer' },
} as const;

export function renderBalance() {
  return {
    id: null,
    object: 'plan',
    name: 'Squidship (self-hosted, no charges)',
    available: UNLIMITED,
    consumed: 0,
    bonus_credit: 0,
    rollover_credit: 0,
    rollover_credit_expires_at: null,
    interval: null,
    used_slots: 0,
    total_available_slots: UNLIMITED,
    has_unpaid_bill: false,
    reset_time: null,
  };
}
