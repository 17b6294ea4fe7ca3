// A real Squidship HTTP server on 127.0.0.1 (port 0) over a temp SQLite store, for API tests.
// `request` talks to it over real HTTP with the account's token unless told otherwise.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { issueApiToken } from '../../src/accounts/api-tokens.js';
import type { AppDeps } from '../../src/api/app-deps.js';
import { buildApp } from '../../src/api/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { readTestEnv } from './test-env.js';
import { systemClock, type Clock } from '../../src/domain/clock.js';
import type { DeliveryChannel } from '../../src/channels/channel.js';
import { createChannelRegistry, type ChannelRegistry } from '../../src/channels/registry.js';
import { createWebhookChannel, type WebhookChannelOptions } from '../../src/channels/webhook/webhook-channel.js';
import { createEgressPolicy, renderOrigin } from '../../src/egress/egress-policy.js';
import { createS3Channel } from '../../src/channels/s3/s3-channel.js';
import type { S3Defaults } from '../../src/channels/s3/s3-defaults.js';
import type { Account } from '../../src/domain/types.js';
import type { Store } from '../../src/storage/store.js';
import { resolveHostHermetically } from './hermetic-resolver.js';
import { createTempSqliteStore } from './temp-store.js';
import { createSquidPurger } from '../../src/purge/squid-purger.js';

export interface TestServerOptions {
  /** A store the caller owns (not closed by close()); default: a fresh temp SQLite store. */
  store?: Store;
  config?: Partial<Config>;
  s3Defaults?: S3Defaults;
  /** Channels registered after S3's (the test-only file channel). */
  extraChannels?: readonly DeliveryChannel[];
  clock?: Clock;
  /** Fastify logger options (e.g. `{ level: 'info', stream }`); default: no logs. */
  logger?: FastifyServerOptions['logger'] | boolean;
  /** The dashboard's built files (scripts/build-web.mjs); default dist/web. */
  webRoot?: string;
}

export interface TestResponse {
  status: number;
  /** Parsed JSON when the answer is JSON, else the text. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

export interface TestServer {
  url: string;
  token: string;
  account: Account;
  store: Store;
  deps: AppDeps;
  app: FastifyInstance;
  /**
   * `body`: an object/array is sent as JSON; a string or Buffer as is. `headers` override the
   * defaults (`authorization: Token <token>`, JSON content type); `authorization: ''` sends none.
   */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  createAccountWithToken(name: string): Promise<{ token: string; account: Account }>;
  close(): Promise<void>;
}

/** The channels main.ts registers (S3 with `config.s3`, webhook), then `extra`. */
export function createTestChannels(
  config: Config,
  s3Defaults?: S3Defaults,
  extra: readonly DeliveryChannel[] = [],
  webhookOptions: Pick<WebhookChannelOptions, 'renderDownloadUrl'> = {},
): ChannelRegistry {
  const defaults = s3Defaults ?? { endpoint: config.s3.endpoint, region: config.s3.region, forcePathStyle: config.s3.forcePathStyle };
  // Tests reach their endpoints on loopback: the allow list is set unless a test sets its own.
  const allow = config.egressAllow.length > 0 ? config.egressAllow : ['127.0.0.0/8', '::1/128'];
  const egress = createEgressPolicy({
    allow,
    implicitOrigins: defaults.endpoint === null ? [] : [renderOrigin(defaults.endpoint)],
    resolveHost: resolveHostHermetically,
  });
  const webhook = createWebhookChannel({ egress, timeoutMs: config.webhook.timeoutMs, ...webhookOptions });
  return createChannelRegistry([createS3Channel({ defaults, settings: config.s3, egress }), webhook, ...extra]);
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const config: Config = { ...loadConfig(readTestEnv(), tmpdir()), ...options.config };
  // Its own store waits for another connection's write lock as the server's does (main.ts).
  const temp = options.store ? null : await createTempSqliteStore({ busyTimeoutMs: config.sqliteBusyTimeoutMs });
  const store = options.store ?? temp!.store;
  const clock = options.clock ?? systemClock;
  const deps: AppDeps = {
    store,
    config,
    clock,
    channels: createTestChannels(config, options.s3Defaults, options.extraChannels),
    urlSigningKey: randomBytes(32),
    publicUrl: 'http://127.0.0.1',
    webRoot: options.webRoot,
  };
  const app = await buildApp(deps, { logger: options.logger ?? false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the test server has no TCP address');
  const url = `http://127.0.0.1:${address.port}`;
  // Signed URLs must point at the real port, known only after listen.
  deps.publicUrl = url;
  const { token, account } = await issueApiToken(store, clock);
  // As main.ts does: deleted squids' rows are purged in the background, woken by the deletion.
  const purger = createSquidPurger({ store, logger: app.log, batchRows: config.purge.batchRows, intervalMs: config.purge.intervalMs });
  purger.start();
  deps.onSquidDeleted = () => purger.wake();

  async function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse> {
    const sent: Record<string, string> = { authorization: `Token ${token}` };
    let payload: string | Blob | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Blob([new Uint8Array(body)]) : JSON.stringify(body);
      sent['content-type'] = 'application/json';
    }
    for (const [name, value] of Object.entries(headers)) {
      if (value === '') delete sent[name.toLowerCase()];
      else sent[name.toLowerCase()] = value;
    }
    const response = await fetch(url + path, { method, headers: sent, body: payload });
    const text = await response.text();
    const isJson = (response.headers.get('content-type') ?? '').includes('json');
    return { status: response.status, body: isJson && text !== '' ? JSON.parse(text) : text, headers: response.headers };
  }

  let closed = false;
  return {
    url,
    token,
    account,
    store,
    deps,
    app,
    request,
    createAccountWithToken: (name) => issueApiToken(store, clock, name),
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await purger.stop();
      await temp?.cleanup();
    },
  };
}

