// Lobstr paths that Squidship does not do, answered 400 NotSupported with what to do instead:
// Lobstr's clients call them (the SDK's tasks, run tasks and website accounts; squid emptying
// and chains), and a 404 would read as a wrong base URL. Squidship runs no crawlers: the user's
// own scraper pushes its rows. docs/lobstr-clients.md lists every client call.
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { requireAccount } from '../auth.js';
import { errorResponses } from '../schemas.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface Reason {
  why: string;
  instead: string;
}

const PUSH_RESULTS = 'Run your own scraper and push its rows with POST /v1/runs/{id}/results (or `squidship push FILE --squid ID`).';

const TASKS: Reason = {
  why: 'Squidship runs no crawlers, so squids take no tasks (input URLs or parameters).',
  instead: PUSH_RESULTS,
};

const RUN_TASKS: Reason = {
  why: 'Squidship runs no tasks, so a run has none to list.',
  instead: 'GET /v1/runs/{id}/stats shows a run\'s progress and GET /v1/results?run={id} its rows.',
};

const ACCOUNTS: Reason = {
  why: 'Squidship logs in to no website, so it keeps no website accounts or cookies.',
  instead: `Your scraper handles its own logins. ${PUSH_RESULTS}`,
};

const EMPTY: Reason = {
  why: 'Squidship keeps no tasks on a squid, so there is nothing to empty.',
  instead: `${PUSH_RESULTS} DELETE /v1/squids/{id} removes a squid with its runs and results.`,
};

const CHAIN: Reason = {
  why: 'Squidship does not chain squids.',
  instead: 'Start the next squid\'s run from your own code with POST /v1/runs when a run is done.',
};

/** Paths under /v1, in Fastify's syntax. */
export const NOT_SUPPORTED: ReadonlyArray<{ method: Method; url: string; reason: Reason }> = [
  { method: 'POST', url: '/squids/:id/empty', reason: EMPTY },
  { method: 'POST', url: '/squids/:id/chain', reason: CHAIN },
  { method: 'GET', url: '/squids/:id/chain', reason: CHAIN },
  { method: 'PATCH', url: '/squids/:id/chain', reason: CHAIN },
  { method: 'DELETE', url: '/squids/:id/chain', reason: CHAIN },
  { method: 'POST', url: '/tasks', reason: TASKS },
  { method: 'GET', url: '/tasks', reason: TASKS },
  { method: 'POST', url: '/tasks/upload', reason: TASKS },
  { method: 'GET', url: '/tasks/upload/:id', reason: TASKS },
  { method: 'GET', url: '/tasks/:id', reason: TASKS },
  { method: 'DELETE', url: '/tasks/:id', reason: TASKS },
  { method: 'GET', url: '/runtasks', reason: RUN_TASKS },
  { method: 'GET', url: '/runs/:id/tasks', reason: RUN_TASKS },
  { method: 'GET', url: '/accounts', reason: ACCOUNTS },
  { method: 'POST', url: '/accounts', reason: ACCOUNTS },
  { method: 'GET', url: '/accounts/:id', reason: ACCOUNTS },
  { method: 'DELETE', url: '/accounts/:id', reason: ACCOUNTS },
  { method: 'POST', url: '/accounts/cookies', reason: ACCOUNTS },
  { method: 'GET', url: '/account_types', reason: ACCOUNTS },
  { method: 'GET', url: '/synchronize/:id', reason: ACCOUNTS },
];

export function createNotSupportedRoutes(): FastifyPluginAsync {
  return async (app) => {
    // Whatever these requests carry (JSON, a task CSV upload, cookies) is never read: the answer
    // is the same. Content-type parsers are encapsulated, so this holds for these routes only.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => {
      done(null, undefined);
    });
    for (const { method, url, reason } of NOT_SUPPORTED) {
      const message = `Squidship does not support ${method} /v1${url.replaceAll(':id', '{id}')}: ${reason.why} ${reason.instead}`;
      app.route({
        method,
        url,
        // Hidden from the API document: an operation that never answers 2xx is none of Squidship's
        // (its description there would be all error). docs/lobstr-clients.md lists every one.
        schema: { hide: true, response: errorResponses(400, 401) },
        handler: async (request) => {
          requireAccount(request);
          throw new AppError('NotSupported', message, { status: 400 });
        },
      });
    }
  };
}
