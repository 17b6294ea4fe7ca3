// `Authorization: Token KEY` on every route except the public ones (health, OpenAPI, docs,
// signed downloads: routes that set `config: { public: true }`). The account is decorated
// onto the request; routes read it with requireAccount.
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler, RouteOptions } from 'fastify';
import type { TokenAuthenticator } from '../accounts/api-tokens.js';
import { AppError } from '../domain/app-error.js';
import type { Account } from '../domain/types.js';
import type { RequestLimits } from './rate-limits.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated account; null on public routes. */
    account: Account | null;
  }
  interface FastifyContextConfig {
    /** true: no token needed (health, docs, signed downloads). */
    public?: boolean;
  }
}

/** Lobstr's scheme is `Token KEY`; `Bearer KEY` is accepted too, for generic HTTP clients. */
const AUTH_HEADER = /^(?:Token|Bearer)\s+(\S+)\s*$/i;

export function notAuthenticated(): AppError {
  return new AppError('NotAuthenticated', 'Invalid token.', {
    status: 401,
    hint: 'Send the header "Authorization: Token <your API token>" (squidship token create prints one).',
  });
}

/** The authenticated account of the request; throws NotAuthenticated on a public route. */
export function requireAccount(request: FastifyRequest): Account {
  if (request.account === null) throw notAuthenticated();
  return request.account;
}

/** Decided once per route when it is registered, so that a request pays nothing to know it. */
function isPublicRoute(route: RouteOptions): boolean {
  if (route.config?.public === true) return true;
  return route.url === '/openapi.json' || route.url === '/docs' || route.url.startsWith('/docs/');
}

/**
 * Adds the token check, first, to the onRequest hooks of every route that is not public, as it
 * is registered (call before any route). Unknown paths run no check: they answer 404 with or
 * without a token. An address that sent too many wrong tokens is refused before its token is
 * looked at; a missing header is not counted as a guess.
 */
export function registerAuth(app: FastifyInstance, tokens: TokenAuthenticator, limits: RequestLimits): void {
  app.decorateRequest('account', null);
  const authenticate: onRequestAsyncHookHandler = async (request, reply) => {
    if (limits.refuseGuessingAddress(request, reply)) return reply;
    const match = AUTH_HEADER.exec(request.headers.authorization ?? '');
    if (!match?.[1]) throw notAuthenticated();
    const account = await tokens.authenticate(match[1]);
    if (account === null) {
      limits.recordAuthFailure(request);
      throw notAuthenticated();
    }
    request.account = account;
    if (limits.refuseAccountOverLimit(account.id, reply)) return reply;
  };
  app.addHook('onRoute', (route) => {
    if (isPublicRoute(route)) return;
    const existing = route.onRequest;
    route.onRequest = existing === undefined ? [authenticate] : [authenticate, ...(Array.isArray(existing) ? existing : [existing])];
  });
}
