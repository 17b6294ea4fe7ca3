// Composition root: config -> store -> channels -> worker + HTTP. The only place (with test helpers)
// that builds concrete pieces. Signals are the CLI's (`squidship serve`).
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
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
import { createChannelRegistry, type ChannelRegistry } from './channels/registry.js';
import { createS3Channel } from './channels/s3/s3-channel.js';
import { createWebhookChannel } from './channels/webhook/webhook-channel.js';
import { createEgressPolicy, renderOrigin } from './egress/egress-policy.js';
import { renderRunDownloadUrl } from './delivery/download-signature.js';
import type { S3Defaults } from './channels/s3/s3-defaults.js';
import { sweepOpenWrites } from './delivery/open-writes.js';
import { createDeliveryWorker } from './delivery/worker.js';
import { getCsvAddonLoadError, loadCsvAddon } from './export/formats/csv/native-csv-records.js';
import { startEmbeddedS3, type EmbeddedS3 } from './channels/s3/embedded-server.js';
import { createIngestHeartbeat } from './ingest/ingest-heartbeat.js';
import { createMetrics } from './metrics/metrics.js';
import { startMetricsServer } from './metrics/metrics-server.js';
import { startPeriodicTask } from './runtime/periodic-task.js';
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
  // What /readyz checks besides the database: the parts this process runs.
  const readinessChecks: Array<() => string | null> = [];
  let s3Start: S3DefaultsStart | null = null;
  let app: FastifyInstance | null = null;
  try {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    if (config.databaseUrl === null) {
      const lock = await lockDataDir(config.dataDir);
      stack.push(() => lock.release());
    }
    // Started first: the embedded endpoint's own process boots (about a quarter of a start)
    // while this one opens the store and builds the app.
    s3Start = beginS3Defaults(config, options.role, { logger, readinessChecks });
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
    startIngestCleanup(store, config, stack, { clock, logger });
    const s3Defaults = s3Start.known ?? (await awaitS3Defaults(s3Start, stack));
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
    const ingestHeartbeat = createIngestHeartbeat({ store, clock, intervalMs: config.cleanup.ingestHeartbeatMs, logger });
    stack.push(async () => ingestHeartbeat.stop());
    const deps: AppDeps = { store, config, clock, channels, urlSigningKey, publicUrl, readinessChecks, metrics, ingestHeartbeat, onSquidDeleted: () => purger.wake() };

    // Built, with every route's schema compiled (ready), while the embedded endpoint boots.
    app = options.role === 'worker' ? null : await buildApp(deps, { logger: loggerOptions });
    await app?.ready();
    // The endpoint serves before the worker delivers to it or the API says it listens.
    await awaitS3Defaults(s3Start, stack);

    if (options.role !== 'api') {
      const worker = createDeliveryWorker({
        store, clock, config, channels, logger, metrics,
        workerId: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
      });
      await worker.start();
      stack.push(() => worker.stop());
      startOpenWriteCleanup({ store, channels, clock, logger, intervalMs: config.cleanup.intervalMs }, stack);
      readinessChecks.push(() => worker.checkHealth());
    }

    let metricsUrl: string | null = null;
    if (options.role === 'worker' && config.metricsPort !== 0) {
      const metricsServer = await startMetricsServer(metrics, { host: config.host, port: config.metricsPort });
      stack.push(() => metricsServer.close());
      metricsUrl = metricsServer.url;
    }
    let url: string | null = null;
    if (app !== null) {
      const listening = app;
      await listening.listen({ host: config.host, port: config.port });
      stack.push(() => listening.close());
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
    // An embedded endpoint still starting is stopped too, once it has started (or failed to).
    if (s3Start !== null) await awaitS3Defaults(s3Start, stack).catch(() => undefined);
    // Built (and its schemas compiled) but not listening yet: not on the stack.
    if (app !== null && !app.server.listening) await app.close();
    await stopAll();
    throw error;
  }
}

/**
 * Every process sweeps the ingests whose heartbeat stopped (their process died mid-push), at
 * start and every SQUIDSHIP_CLEANUP_INTERVAL_MS; the store's claim makes concurrent sweepers
 * (scale-out) safe. A live push elsewhere keeps its heartbeat fresh and is never taken.
 */
function startIngestCleanup(store: Store, config: Config, stack: Array<() => Promise<void>>, use: { clock: () => number; logger: Logger }): void {
  const sweep = startPeriodicTask({
    name: 'ingest.sweep',
    intervalMs: config.cleanup.intervalMs,
    logger: use.logger,
    async run() {
      const nowMs = use.clock();
      const discarded = await store.discardStaleIngests({ heartbeatBeforeMs: nowMs - config.cleanup.ingestStaleMs, nowMs });
      if (discarded > 0) use.logger.info({ event: 'ingest.stale.discarded', ingests: discarded }, 'ingest.stale.discarded');
    },
  });
  stack.push(() => sweep.stop());
}

/**
 * Worker processes close, every SQUIDSHIP_CLEANUP_INTERVAL_MS, what attempts of jobs no one
 * holds left open at their destinations (S3: uploads whose abort failed in an outage, or of a
 * killed worker whose job has not been retried yet).
 */
function startOpenWriteCleanup(
  deps: { store: Store; channels: ChannelRegistry; clock: () => number; logger: Logger; intervalMs: number },
  stack: Array<() => Promise<void>>,
): void {
  const stopping = new AbortController();
  const sweep = startPeriodicTask({
    name: 'delivery.open_writes.sweep',
    intervalMs: deps.intervalMs,
    logger: deps.logger,
    run: async () => void (await sweepOpenWrites({ ...deps, signal: stopping.signal, limit: OPEN_WRITES_PER_SWEEP })),
  });
  stack.push(async () => {
    stopping.abort();
    await sweep.stop();
  });
}

/** Records closed per sweep: a backlog is worked off over several sweeps, not in one long one. */
const OPEN_WRITES_PER_SWEEP = 100;

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

/** The S3 settings for destinations that set none, and the embedded endpoint's start, if any. */
interface S3DefaultsStart {
  /** Known before the embedded endpoint listens, unless its port is 0 (chosen by the system). */
  known: S3Defaults | null;
  started: Promise<{ defaults: S3Defaults; embedded: EmbeddedS3 | null }>;
  /** Set once its stop is on the stack. */
  awaited: Promise<S3Defaults> | null;
}

/** Starts the embedded endpoint (an `all` process's) without waiting for it; or the SQUIDSHIP_S3_* settings. */
function beginS3Defaults(config: Config, role: ProcessRole, watch: { logger: Logger; readinessChecks: Array<() => string | null> }): S3DefaultsStart {
  const defaultsAt = (endpoint: string): S3Defaults => ({ endpoint, region: config.s3.region ?? 'us-east-1', forcePathStyle: true });
  const known = (defaults: S3Defaults): S3DefaultsStart => ({ known: defaults, started: Promise.resolve({ defaults, embedded: null }), awaited: null });
  if (!config.embeddedS3.enabled) return known({ endpoint: config.s3.endpoint, region: config.s3.region, forcePathStyle: config.s3.forcePathStyle });
  const { host, port } = config.embeddedS3;
  // Only an `all` process runs the embedded endpoint; split roles expect it (or a real store) to run elsewhere.
  if (role !== 'all') return known(defaultsAt(`http://${host}:${port}`));
  const started = startEmbeddedS3({
    host,
    port,
    directory: join(config.dataDir, 's3'),
    buckets: [config.embeddedS3.bucket],
    onEvent: ({ type, detail }) => {
      const level = type === 'restarted' ? 'info' : 'error';
      watch.logger[level]({ event: `embedded_s3.${type}`, detail }, `the embedded S3 endpoint ${type.replace('_', ' ')}`);
    },
  }).then(
    (embedded) => {
      watch.readinessChecks.push(() => embedded.checkHealth());
      return { defaults: defaultsAt(embedded.endpoint), embedded };
    },
    (error: unknown) => {
      if (!String(error).includes('EADDRINUSE')) throw error;
      // An AppError without a hint: the CLI prints this one line, not the child's error after it.
      throw new AppError(
        'EmbeddedS3PortInUse',
        `the embedded S3 endpoint cannot listen on ${host}:${port}: the port is in use ` +
          '(another Squidship?). Set SQUIDSHIP_EMBEDDED_S3_PORT, or SQUIDSHIP_EMBEDDED_S3=false with SQUIDSHIP_S3_ENDPOINT',
        { cause: error },
      );
    },
  );
  // Handled where it is awaited; a start that fails first must not also be an unhandled rejection.
  started.catch(() => undefined);
  return { known: port === 0 ? null : defaultsAt(`http://${formatHostForUrl(host)}:${port}`), started, awaited: null };
}

/** Waits for the embedded endpoint (once) and puts its stop on the stack. */
function awaitS3Defaults(start: S3DefaultsStart, stack: Array<() => Promise<void>>): Promise<S3Defaults> {
  start.awaited ??= start.started.then(({ defaults, embedded }) => {
    if (embedded !== null) stack.push(() => embedded.stop());
    return defaults;
  });
  return start.awaited;
}

function formatHostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
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
      `Open ${url}/ (the dashboard) and paste it, or try the API:`,
      `  curl -H "Authorization: Token ${token}" ${url}/v1/me`,
      '',
    ].join('\n'),
  );
}
