// Composition root: config -> store -> channels -> worker + HTTP. The only place (with test helpers)
// that builds concrete pieces. Signals are the CLI's (`squidship serve`).
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { ensureDefaultAccount, issueApiToken, syncBootstrapToken } from './accounts/api-tokens.js';
import type { AppDeps } from './api/app-deps.js';
import { buildApp } from './api/app.js';
import { createLoggerOptions } from './api/logging.js';
import { loadConfig, type Config } from './config/config.js';
import { findUnknownSettings } from './config/unknown-settings.js';
import { loadSecretKey } from './config/secret-key-file.js';
import { AppError } from './domain/app-error.js';
import { systemClock } from './domain/clock.js';
import { createChannelRegistry } from './channels/registry.js';
import { createS3Channel } from './channels/s3/s3-channel.js';
import { createWebhookChannel } from './channels/webhook/webhook-channel.js';
import { createEgressPolicy, renderOrigin } from './egress/egress-policy.js';
import { renderRunDownloadUrl } from './delivery/download-signature.js';
import type { S3Defaults } from './channels/s3/s3-defaults.js';
import { createDeliveryWorker } from './delivery/worker.js';
import { getCsvAddonLoadError, loadCsvAddon } from './export/formats/csv/native-csv-records.js';
import { startEmbeddedS3 } from './channels/s3/embedded-server.js';
import { createMetrics } from './metrics/metrics.js';
import { startMetricsServer } from './metrics/metrics-server.js';
import { createSquidPurger } from './purge/squid-purger.js';
import { createStore } from './storage/create-store.js';
import { createSecretBox } from './storage/secret-box.js';
import { lockDataDir } from './storage/sqlite/data-dir-lock.js';
import type { Store } from './storage/store.js';

export type ProcessRole = 'all' | 'api' | 'worker';

export interface StartOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  role: ProcessRole;
  /** Where the start-up banner (token, curl line) is printed: not stdout, which carries the log. Default process.stderr. */
  out?: NodeJS.WritableStream;
}

export interface RunningSquidship {
  /** The API's base URL, or null for a worker-only process. */
  url: string | null;
  /** The worker role's /metrics server (SQUIDSHIP_METRICS_PORT), or null. */
  metricsUrl: string | null;
  /** The default S3 endpoint destinations use when they set none (the embedded one when it runs). */
  s3Endpoint: string | null;
  /** Graceful shutdown; safe to call twice. */
  stop(): Promise<void>;
}

/** Ingests open longer than this at start-up were left by a crashed process. */
const STALE_INGEST_MS = 24 * 3600 * 1000;

export async function startSquidship(options: StartOptions): Promise<RunningSquidship> {
  const config = loadConfig(options.env, options.cwd);
  const out = options.out ?? process.stderr;
  // The worker logs with the same options (level, secret redaction, format) as the HTTP app.
  const loggerOptions = createLoggerOptions(config, undefined);
  const logger = typeof loggerOptions === 'object' ? pino(loggerOptions, loggerOptions.stream) : pino({ level: config.logLevel });
  for (const warning of findUnknownSettings(options.env)) logger.warn({ event: 'config.unknown_variable' }, warning);
  const clock = systemClock;
  const stack: Array<() => Promise<void>> = [];
  const stopAll = createStopper(stack);
  try {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    if (config.databaseUrl === null) {
      const lock = await lockDataDir(config.dataDir);
      stack.push(() => lock.release());
    }
    const secretKey = await loadSecretKey(config);
    const store = await createStore({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      secretBox: createSecretBox(secretKey),
      sqliteBusyTimeoutMs: config.sqliteBusyTimeoutMs,
    });
    stack.push(() => store.close());
    await store.migrate();
    // A wrong key (a restore without secret.key) would otherwise start and answer 500 on squid listings.
    await store.verifySecretKey();
    await store.discardIngestsOpenedBefore(clock() - STALE_INGEST_MS);

    // What /readyz checks besides the database: the parts this process runs.
    const readinessChecks: Array<() => string | null> = [];
    const s3Defaults = await startS3Defaults(config, options.role, stack, { logger, readinessChecks });
    // The delivery channels: a new one is one more entry here.
    const egress = createEgressPolicy({ allow: config.egressAllow, implicitOrigins: s3Defaults.endpoint === null ? [] : [renderOrigin(s3Defaults.endpoint)] });
    const urlSigningKey = createHmac('sha256', secretKey).update('squidship download urls').digest();
    const publicUrl = config.publicUrl ?? `http://${config.host}:${config.port}`;
    const renderDownloadUrl = (runId: string, nowMs: number) =>
      renderRunDownloadUrl(publicUrl, urlSigningKey, runId, Math.floor(nowMs / 1000) + config.downloadUrlTtlSeconds);
    const channels = createChannelRegistry([
      createS3Channel({ defaults: s3Defaults, settings: config.s3, egress }),
      createWebhookChannel({ egress, timeoutMs: config.webhook.timeoutMs, renderDownloadUrl }),
    ]);
    const metrics = createMetrics({ store, clock });
    // Every role purges deleted squids: the API's deletions wake it, the interval finds the rest.
    const purger = createSquidPurger({ store, logger, batchRows: config.purge.batchRows, intervalMs: config.purge.intervalMs });
    purger.start();
    stack.push(() => purger.stop());
    const deps: AppDeps = { store, config, clock, channels, urlSigningKey, publicUrl, readinessChecks, metrics, onSquidDeleted: () => purger.wake() };

    if (options.role !== 'api') {
      const worker = createDeliveryWorker({
        store, clock, config, channels, logger, metrics,
        workerId: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
      });
      await worker.start();
      stack.push(() => worker.stop());
      readinessChecks.push(() => worker.checkHealth());
    }

    let metricsUrl: string | null = null;
    if (options.role === 'worker' && config.metricsPort !== 0) {
      const metricsServer = await startMetricsServer(metrics, { host: config.host, port: config.metricsPort });
      stack.push(() => metricsServer.close());
      metricsUrl = metricsServer.url;
    }
    let url: string | null = null;
    if (options.role !== 'worker') {
      const app = await buildApp(deps, { logger: loggerOptions });
      await app.listen({ host: config.host, port: config.port });
      stack.push(() => app.close());
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
      deps.publicUrl = config.publicUrl ?? url;
      await printBanner(store, config, url, out);
    }
    // Which CSV encoder exports use: the native one (npm install builds it) unless SQUIDSHIP_NATIVE_CSV=false, else the JS one.
    const csvEncoder = !config.nativeCsv || loadCsvAddon() === null ? 'javascript' : 'native';
    logger.info({ event: 'server.started', role: options.role, url, dialect: store.dialect, s3Endpoint: s3Defaults.endpoint, csvEncoder }, 'squidship started');
    const addonError = config.nativeCsv ? getCsvAddonLoadError() : null;
    if (addonError !== null) logger.warn({ event: 'export.native_encoder.unavailable', err: addonError }, 'the native CSV encoder is built but did not load; exports use the JavaScript encoder');
    return { url, metricsUrl, s3Endpoint: s3Defaults.endpoint, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Stops what was started, last first; later calls wait for the first. */
function createStopper(stack: Array<() => Promise<void>>): () => Promise<void> {
  let stopping: Promise<void> | null = null;
  return () => {
    stopping ??= (async () => {
      const errors: unknown[] = [];
      for (const stop of stack.reverse()) {
        try {
          await stop();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'some parts did not stop cleanly');
    })();
    return stopping;
  };
}

/** The S3 settings for destinations that set none: the embedded endpoint, or SQUIDSHIP_S3_*. */
async function startS3Defaults(
  config: Config,
  role: ProcessRole,
  stack: Array<() => Promise<void>>,
  watch: { logger: Logger; readinessChecks: Array<() => string | null> },
): Promise<S3Defaults> {
  if (!config.embeddedS3.enabled) {
    return { endpoint: config.s3.endpoint, region: config.s3.region, forcePathStyle: config.s3.forcePathStyle };
  }
  const embeddedDefaults = (endpoint: string): S3Defaults => ({ endpoint, region: config.s3.region ?? 'us-east-1', forcePathStyle: true });
  // Only an `all` process runs the embedded endpoint; split roles expect it (or a real store) to run elsewhere.
  if (role !== 'all') return embeddedDefaults(`http://${config.embeddedS3.host}:${config.embeddedS3.port}`);
  const embedded = await startEmbeddedS3({
    host: config.embeddedS3.host,
    port: config.embeddedS3.port,
    directory: join(config.dataDir, 's3'),
    buckets: [config.embeddedS3.bucket],
    onEvent: ({ type, detail }) => {
      const level = type === 'restarted' ? 'info' : 'error';
      watch.logger[level]({ event: `embedded_s3.${type}`, detail }, `the embedded S3 endpoint ${type.replace('_', ' ')}`);
    },
  }).catch((error: unknown) => {
    if (!String(error).includes('EADDRINUSE')) throw error;
    // An AppError without a hint: the CLI prints this one line, not the child's error after it.
    throw new AppError(
      'EmbeddedS3PortInUse',
      `the embedded S3 endpoint cannot listen on ${config.embeddedS3.host}:${config.embeddedS3.port}: the port is in use ` +
        '(another Squidship?). Set SQUIDSHIP_EMBEDDED_S3_PORT, or SQUIDSHIP_EMBEDDED_S3=false with SQUIDSHIP_S3_ENDPOINT',
      { cause: error },
    );
  });
  stack.push(() => embedded.stop());
  watch.readinessChecks.push(() => embedded.checkHealth());
  return embeddedDefaults(embedded.endpoint);
}

/**
 * First start with an empty database: a default account and one token, printed once (to the
 * console, never to the log). SQUIDSHIP_BOOTSTRAP_TOKEN, when set, is made valid instead; unset,
 * the token it registered at an earlier start stops working.
 */
async function printBanner(store: Store, config: Config, url: string, out: NodeJS.WritableStream): Promise<void> {
  const { account, created } = await ensureDefaultAccount(store, systemClock);
  await syncBootstrapToken(store, account, config.bootstrapToken, systemClock);
  if (config.bootstrapToken !== null) {
    if (created) out.write(`Squidship is listening on ${url} (token from SQUIDSHIP_BOOTSTRAP_TOKEN)\n`);
    return;
  }
  if (!created) return;
  const { token } = await issueApiToken(store, systemClock);
  out.write(
    [
      '',
      `Squidship is listening on ${url}`,
      `Created the default account. Its API token (shown once; make more with \`squidship token create\`):`,
      '',
      `  ${token}`,
      '',
      'Try it:',
      `  curl -H "Authorization: Token ${token}" ${url}/v1/me`,
      '',
    ].join('\n'),
  );
}
