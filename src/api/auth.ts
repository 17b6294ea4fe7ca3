// `Authorization: Token KEY` on every route except the public ones (health, OpenAPI, docs,
// signed downloads: routes that set `config: { public: true }`). The account is decorated
// onto the request; routes read it with requireAccount.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hashApiToken } from '../accounts/api-tokens.js';
import { AppError } from '../domain/app-error.js';
import type { Account } from '../domain/types.js';
import type { Store } from '../storage/store.js';

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

function isPublicRoute(request: FastifyRequest): boolean {
  if (request.is404) return true; // unknown paths answer 404 with or without a token
  if (request.routeOptions.config.public === true) return true;
  const url = request.routeOptions.url ?? '';
  return url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/');
}

export function registerAuth(app: FastifyInstance, store: Store): void {
  app.decorateRequest('account', null);
  app.addHook('onRequest', async (request) => {
    if (isPublicRoute(request)) return;
    const match = AUTH_HEADER.exec(request.headers.authorization ?? '');
    if (!match?.[1]) throw notAuthenticated();
    const account = await store.findAccountByTokenHash(hashApiToken(match[1]));
    if (account === null) throw notAuthenticated();
    request.account = account;
  });
}
