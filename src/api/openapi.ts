// The OpenAPI document (/openapi.json, /docs/json), generated from the routes' schemas, and the
// /docs page that renders it (swagger-ui), titled and iconed as Squidship.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { EXTENSION_TAG } from './schemas.js';

/** The /docs page's icon: a squid's head, its eyes and three arms, in one colour. */
const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><g fill="#1f6feb">
<path d="M16 2c-6 0-9 5-9 10 0 3 1 5 3 6v3c0 2-2 4-4 5 3 0 6-2 7-5 0 3 1 6 3 8 2-2 3-5 3-8 1 3 4 5 7 5-2-1-4-3-4-5v-3c2-1 3-3 3-6 0-5-3-10-9-10z"/>
</g><circle cx="12.5" cy="12" r="1.6" fill="#fff"/><circle cx="19.5" cy="12" r="1.6" fill="#fff"/></svg>`;

export async function registerOpenApi(app: FastifyInstance, publicUrl: string | null): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Squidship API',
        version: '0.1.0',
        description:
          'A self-hosted, Lobstr.io-compatible API. Paths, bodies and errors follow Lobstr\'s documentation; ' +
          `operations tagged "${EXTENSION_TAG}" (descriptions starting with "Squidship extension:") are Squidship's own. ` +
          'The Lobstr paths Squidship does not do (tasks, run tasks, website accounts, squid emptying and chains, and the delivery tests ' +
          'of channels it does not deliver to) answer 400 NotSupported or DeliveryChannelNotAvailable, naming what to do instead, ' +
          'and are not listed here: docs/lobstr-clients.md lists every call of Lobstr\'s clients.',
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      },
      // The address clients reach (SQUIDSHIP_PUBLIC_URL), else the one this document was read from.
      servers: [{ url: publicUrl ?? '/' }],
      components: {
        securitySchemes: {
          token: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Authorization: Token <API token>' },
        },
      },
      security: [{ token: [] }],
      tags: [
        { name: 'Account', description: 'The account a token belongs to, and its balance.' },
        { name: 'Crawlers', description: 'Squidship has one built-in crawler: your own scraper, which pushes its rows.' },
        { name: 'Squids', description: 'A squid is a configured scraper: its runs, results and delivery settings.' },
        { name: 'Runs', description: 'A run collects the rows a scraper pushes; completing it delivers them.' },
        { name: 'Results', description: 'Result rows, as they were pushed.' },
        { name: 'Delivery', description: 'Where a squid\'s runs are delivered (S3, webhooks), and tests of those settings.' },
        { name: 'Health', description: 'Probes for a process supervisor or load balancer; no token.' },
        { name: EXTENSION_TAG, description: 'Endpoints Lobstr does not have: pushing results, completing a run, its delivery history and re-delivery, signed downloads, webhook secrets.' },
      ],
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Squidship's name and icon, not swagger-ui's or Fastify's: BaseLayout has no top bar (the
    // one that carries their logo), and the logo the plugin would put there is ours, not Fastify's.
    uiConfig: { layout: 'BaseLayout' },
    logo: { type: 'image/svg+xml', content: FAVICON_SVG },
    theme: {
      title: 'Squidship API',
      favicon: [{ filename: 'favicon.svg', rel: 'icon', type: 'image/svg+xml', sizes: 'any', content: FAVICON_SVG }],
    },
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
}
