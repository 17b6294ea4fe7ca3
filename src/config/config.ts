// Configuration: every setting comes from a SQUIDSHIP_* environment variable declared once in
// SETTINGS, read by loadConfig(env), which is pure and reports every bad variable at once.
// docs/configuration.md is rendered from SETTINGS (npm run docs:config), so the two cannot drift.
import { isAbsolute, resolve } from 'node:path';
import { parseCidrList } from '../egress/egress-policy.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** null: embedded SQLite at <dataDir>/squidship.db. */
  databaseUrl: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** auto: pretty when stdout is a terminal, JSON otherwise. */
  logFormat: 'auto' | 'pretty' | 'json';
  bootstrapToken: string | null;
  /** 32-byte key (from base64 or 64 hex chars); null: generated into <dataDir>/secret.key. */
  secretKey: Buffer | null;
  /** Base of URLs Squidship hands out (signed downloads); null: the listening address. */
  publicUrl: string | null;
  /** Largest JSON request body (the NDJSON results endpoint streams and has no total limit). */
  maxBodyBytes: number;
  /** Largest single result row (one NDJSON line or one array element), in bytes. */
  maxRowBytes: number;
  /** Most levels of nesting in a result row (the row itself is level 1). */
  maxRowDepth: number;
  downloadUrlTtlSeconds: number;
  s3: {
    /** Server-wide default endpoint for destinations that set none (null: AWS). */
    endpoint: string | null;
    region: string | null;
    forcePathStyle: boolean | null;
    /** Multipart part size; S3 requires at least 5 MiB for every part but the last. */
    partSizeBytes: number;
    /** Parts in flight at once per upload. */
    queueSize: number;
    /** Connection and request timeout for the test-s3 probe. */
    probeTimeoutMs: number;
    /** Per-request timeout for delivery uploads (a stalled socket becomes a retryable error). */
    requestTimeoutMs: number;
  };
  embeddedS3: {
    enabled: boolean;
    host: string;
    port: number;
    bucket: string;
  };
  delivery: {
    /** Transient failures are retried until this long after the job's first attempt. */
    retryWindowMs: number;
    /** An extra cap on attempts; 0: none (the retry window alone decides). */
    maxAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    leaseMs: number;
    /** File deliveries (`file` jobs: an export written) one worker process runs at once. */
    concurrency: number;
    /** Event jobs (every event but `file`) in flight at once, apart from `concurrency`. */
    eventConcurrency: number;
    /** Safety-net poll; workers are woken at once when a run completes. */
    pollIntervalMs: number;
  };
  /** Deleted squids' rows are removed in the background, this many per transaction. */
  purge: { batchRows: number; intervalMs: number };
  /** How long a SQLite write waits for another process's write lock before answering 503. */
  sqliteBusyTimeoutMs: number;
  shutdownTimeoutMs: number;
  cleanup: CleanupSettings;
  http: HttpLimits;
  limits: AccountLimits;
  /** Port of the worker role's /metrics server; 0: none (the API roles answer /metrics on their port). */
  metricsPort: number;
  /** Use the native CSV encoder when it is built (false: the JavaScript one, same bytes). */
  nativeCsv: boolean;
  /** CIDR blocks of loopback/private addresses channels may connect to (SQUIDSHIP_EGRESS_ALLOW). */
  egressAllow: string[];
  webhook: { timeoutMs: number };
}

/** Cleaning up after processes that died mid-push or mid-delivery (issue 15, item 5). */
export interface CleanupSettings {
  /** How often each process sweeps: stale ingests, and open writes of attempts no one holds. */
  intervalMs: number;
  /** How often a process touches the heartbeat of its own open ingests. */
  ingestHeartbeatMs: number;
  /** An open ingest whose heartbeat is older than this belongs to a dead process: discarded. */
  ingestStaleMs: number;
}

/** Connection timeouts of the API server (0: off). */
export interface HttpLimits {
  /** A socket with no bytes either way for this long is closed (a stalled body, an idle client). */
  idleTimeoutMs: number;
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** How long a kept-alive connection waits for its next request. */
  keepAliveTimeoutMs: number;
  /** Read the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean;
}

/** Request rates (per minute) and per-account caps; 0 turns each one off. */
export interface AccountLimits {
  requestsPerTokenPerMinute: number;
  requestsPerIpPerMinute: number;
  authFailuresPerIpPerMinute: number;
  maxSquidsPerAccount: number;
  maxConcurrentPushesPerAccount: number;
  maxRowsPerRun: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const MIB = 1024 * 1024;

/** A setting's value kind: what the reader accepts, and what the docs say it accepts. */
export type SettingKind =
  | { kind: 'string'; default: string }
  | { kind: 'int'; default: number; min: number; max: number; hint: string }
  | { kind: 'bool'; default: boolean }
  | { kind: 'choice'; default: string; choices: readonly string[] }
  | { kind: 'optional-bool' | 'optional-string' | 'url' | 'database-url' | 'token' | 'secret-key'; default: null };

/** `defaultText` describes a default that is not a plain value (computed, generated, unset). */
export type Setting = SettingKind & { description: string; defaultText?: string };

const createMsSetting = (min: number, max: number, fallback: number, description: string) =>
  ({ kind: 'int', default: fallback, min, max, hint: 'milliseconds', description }) as const;

export const SETTINGS = {
  SQUIDSHIP_HOST: { kind: 'string', default: '127.0.0.1', description: 'Address the API listens on (`0.0.0.0` behind a load balancer).' },
  SQUIDSHIP_PORT: { kind: 'int', default: 8080, min: 0, max: 65535, hint: 'a TCP port', description: 'API port.' },
  SQUIDSHIP_DATA_DIR: { kind: 'string', default: './data', description: 'Local folder for the SQLite database, the generated secret key and the embedded S3 data; relative to the working directory.' },
  SQUIDSHIP_DATABASE_URL: { kind: 'database-url', default: null, defaultText: 'unset: embedded SQLite at `<data dir>/squidship.db`', description: 'A `postgres://` URL switches to PostgreSQL, which several processes can share.' },
  SQUIDSHIP_SECRET_KEY: { kind: 'secret-key', default: null, defaultText: 'generated into `<data dir>/secret.key` (mode 0600)', description: 'Encrypts stored secrets (AES-256-GCM) and signs download URLs. Required with `SQUIDSHIP_DATABASE_URL`: every process sharing a database needs the same key (`openssl rand -hex 32`).' },
  SQUIDSHIP_BOOTSTRAP_TOKEN: { kind: 'token', default: null, defaultText: 'unset', description: 'An API token made valid for the default account at start (scripts, containers).' },
  SQUIDSHIP_PUBLIC_URL: { kind: 'url', default: null, defaultText: 'the listening address', description: 'Base of the URLs Squidship hands out (signed downloads): the load balancer\'s address, not one process\'s.' },
  SQUIDSHIP_LOG_LEVEL: { kind: 'choice', default: 'info', choices: LOG_LEVELS, description: 'Least severe log level written (on stdout).' },
  SQUIDSHIP_LOG_FORMAT: { kind: 'choice', default: 'auto', choices: ['auto', 'pretty', 'json'], description: 'Log lines: `json` (one object a line, for collectors), `pretty` (for people), `auto`: pretty when stdout is a terminal, JSON otherwise.' },
  SQUIDSHIP_MAX_BODY_BYTES: { kind: 'int', default: 64 * MIB, min: 1024, max: 1024 * MIB, hint: 'bytes', description: 'Largest JSON request body (NDJSON result uploads are streamed and have no total limit).' },
  SQUIDSHIP_MAX_ROW_BYTES: { kind: 'int', default: MIB, min: 64, max: 64 * MIB, hint: 'bytes', description: 'Largest single result row (one NDJSON line or one array element).' },
  SQUIDSHIP_MAX_ROW_DEPTH: { kind: 'int', default: 64, min: 1, max: 1000, hint: 'levels of nesting; readers refuse rows deeper than 1000', description: 'Deepest nesting of objects and arrays in a result row (the row itself is level 1); deeper rows are refused with a 400.' },
  SQUIDSHIP_DOWNLOAD_URL_TTL_SECONDS: { kind: 'int', default: 3600, min: 1, max: 7 * 24 * 3600, hint: 'seconds', description: 'Lifetime of a signed download URL.' },
  SQUIDSHIP_S3_ENDPOINT: { kind: 'url', default: null, defaultText: 'unset (AWS)', description: 'Default endpoint for destinations that set none (MinIO, R2, ...); setting it turns the embedded endpoint off.' },
  SQUIDSHIP_S3_REGION: { kind: 'optional-string', default: null, defaultText: 'unset', description: 'Default region; unset on AWS, the bucket\'s region is discovered.' },
  SQUIDSHIP_S3_FORCE_PATH_STYLE: { kind: 'optional-bool', default: null, defaultText: 'unset', description: 'Default path-style addressing (custom endpoints default to path style).' },
  SQUIDSHIP_S3_PART_SIZE_BYTES: { kind: 'int', default: 8 * MIB, min: 5 * MIB, max: 5 * 1024 * MIB, hint: 'S3 parts are 5 MiB to 5 GiB', description: 'Multipart part size; S3 requires at least 5 MiB for every part but the last.' },
  SQUIDSHIP_S3_QUEUE_SIZE: { kind: 'int', default: 4, min: 1, max: 64, hint: 'parts in flight', description: 'Parts in flight at once per upload.' },
  SQUIDSHIP_S3_PROBE_TIMEOUT_MS: createMsSetting(100, 120_000, 5000, 'Connection and request timeout of `POST /v1/delivery/test-s3`.'),
  SQUIDSHIP_S3_REQUEST_TIMEOUT_MS: createMsSetting(1000, 3_600_000, 120_000, 'Per-request timeout of delivery uploads (a stalled socket becomes a retryable error).'),
  SQUIDSHIP_EMBEDDED_S3: { kind: 'optional-bool', default: null, defaultText: '`true` unless `SQUIDSHIP_S3_ENDPOINT` is set', description: 'Run the embedded S3-compatible endpoint on 127.0.0.1, for trying Squidship out.' },
  SQUIDSHIP_EMBEDDED_S3_PORT: { kind: 'int', default: 4569, min: 0, max: 65535, hint: 'a TCP port', description: 'Port of the embedded endpoint.' },
  SQUIDSHIP_EMBEDDED_S3_BUCKET: { kind: 'string', default: 'my-bucket', description: 'The bucket the embedded endpoint creates.' },
  SQUIDSHIP_DELIVERY_RETRY_WINDOW_MS: createMsSetting(1000, 30 * 86_400_000, 86_400_000, 'How long transient failures (S3 5xx, timeouts, an unreachable endpoint; webhooks with `retry: true`) are retried, from the delivery\'s first attempt; then it fails for good (`export_failed`). Permanent errors stop at once.'),
  SQUIDSHIP_DELIVERY_MAX_ATTEMPTS: { kind: 'int', default: 0, min: 0, max: 1_000_000, hint: 'attempts; 0: no cap', description: 'An extra cap: attempts after which a delivery fails for good even inside the retry window. `0`: none, the window alone decides.' },
  SQUIDSHIP_DELIVERY_BACKOFF_BASE_MS: createMsSetting(1, 3_600_000, 2000, 'First retry delay (doubles each attempt, full jitter).'),
  SQUIDSHIP_DELIVERY_BACKOFF_MAX_MS: createMsSetting(1, 86_400_000, 300_000, 'Longest retry delay; at least `SQUIDSHIP_DELIVERY_BACKOFF_BASE_MS`.'),
  SQUIDSHIP_DELIVERY_LEASE_MS: createMsSetting(1000, 3_600_000, 60_000, 'How long a worker holds a delivery without renewing it: a dead worker\'s deliveries wait this long before another worker takes them.'),
  SQUIDSHIP_DELIVERY_CONCURRENCY: { kind: 'int', default: 2, min: 1, max: 64, hint: 'deliveries at once', description: 'File deliveries (an export written to S3...) one worker process runs at once.' },
  SQUIDSHIP_DELIVERY_EVENT_CONCURRENCY: { kind: 'int', default: 16, min: 1, max: 256, hint: 'events at once', description: 'Events (webhooks: `run.running`, `run.done`...) one worker process sends at once, beside its file deliveries: each is one small request that mostly waits on its endpoint.' },
  SQUIDSHIP_DELIVERY_POLL_INTERVAL_MS: createMsSetting(10, 3_600_000, 30_000, 'Safety-net poll; workers are woken at once when a run completes.'),
  SQUIDSHIP_PURGE_BATCH_ROWS: { kind: 'int', default: 2000, min: 1, max: 1_000_000, hint: 'rows per transaction', description: 'A deleted squid\'s rows are removed in the background in transactions of at most this many rows (with SQLite each one holds the write lock, and the event loop, while it runs: a few milliseconds at the default).' },
  SQUIDSHIP_PURGE_INTERVAL_MS: createMsSetting(10, 3_600_000, 10_000, 'How often a process looks for deleted squids to purge; a deletion wakes its own process at once, this finds those of other processes and resumes purges a restart cut short.'),
  SQUIDSHIP_SQLITE_BUSY_TIMEOUT_MS: createMsSetting(0, 60_000, 50, 'How long a write waits for the SQLite write lock that another process (a shell, a backup script) holds before the request answers 503 `DatabaseBusy` with `Retry-After`. SQLite waits synchronously, blocking every request meanwhile: keep it short.'),
  SQUIDSHIP_SHUTDOWN_TIMEOUT_MS: createMsSetting(0, 3_600_000, 30_000, 'How long shutdown waits for in-flight uploads before aborting them; keep it below your orchestrator\'s kill grace period.'),
  SQUIDSHIP_CLEANUP_INTERVAL_MS: createMsSetting(100, 3_600_000, 60_000, 'How often each process sweeps up what dead processes left: the rows of pushes whose heartbeat stopped (`SQUIDSHIP_INGEST_STALE_MS`), and multipart uploads of delivery attempts that failed or died and that no later attempt closed.'),
  SQUIDSHIP_INGEST_HEARTBEAT_MS: createMsSetting(100, 600_000, 30_000, 'How often a process marks the pushes it is still receiving as alive (one UPDATE for all of them).'),
  SQUIDSHIP_INGEST_STALE_MS: createMsSetting(1000, 86_400_000, 300_000, 'A push not marked alive for this long belongs to a process that died: its uncommitted rows are deleted. At least 3 times `SQUIDSHIP_INGEST_HEARTBEAT_MS`.'),
  SQUIDSHIP_HTTP_IDLE_TIMEOUT_MS: createMsSetting(0, 3_600_000, 60_000, 'A connection with no bytes either way for this long is closed: an idle client, a request body that stalls. 0: never.'),
  SQUIDSHIP_HTTP_HEADERS_TIMEOUT_MS: createMsSetting(1000, 3_600_000, 30_000, 'Time a client has to send a request\'s headers (slow clients holding connections open).'),
  SQUIDSHIP_HTTP_KEEP_ALIVE_TIMEOUT_MS: createMsSetting(1000, 3_600_000, 72_000, 'How long a kept-alive connection waits for its next request; above your load balancer\'s idle timeout.'),
  SQUIDSHIP_TRUST_PROXY: { kind: 'bool', default: false, description: 'Take the client address (per-address limits, logs) from the last `X-Forwarded-For` entry, the one the load balancer in front added. Set it only behind one proxy that sets that header, or clients choose their own address.' },
  SQUIDSHIP_RATE_LIMIT_PER_TOKEN: { kind: 'int', default: 60_000, min: 0, max: 10_000_000, hint: 'requests a minute; 0: off', description: 'Requests a minute one account may make (all its tokens together); beyond it, 429 `RateLimitExceeded` with `Retry-After`.' },
  SQUIDSHIP_RATE_LIMIT_PER_IP: { kind: 'int', default: 120_000, min: 0, max: 10_000_000, hint: 'requests a minute; 0: off', description: 'Requests a minute from one client address (every route but /healthz and /readyz).' },
  SQUIDSHIP_RATE_LIMIT_AUTH_FAILURES_PER_IP: { kind: 'int', default: 100, min: 0, max: 10_000_000, hint: 'failures a minute; 0: off', description: 'Failed token checks a minute from one client address; beyond it the address gets 429 on every authenticated route until the minute ends (against token guessing).' },
  SQUIDSHIP_MAX_SQUIDS_PER_ACCOUNT: { kind: 'int', default: 0, min: 0, max: 10_000_000, hint: 'squids; 0: no cap', description: 'Squids one account may have; creating one more answers 400 `SlotsLimitExceeded`.' },
  SQUIDSHIP_MAX_CONCURRENT_PUSHES_PER_ACCOUNT: { kind: 'int', default: 0, min: 0, max: 10_000, hint: 'pushes at once; 0: no cap', description: 'Result pushes (`POST /v1/runs/{id}/results`) one account may have in flight at once; one more answers 429 `ConcurrencyLimitExceeded`.' },
  SQUIDSHIP_MAX_ROWS_PER_RUN: { kind: 'int', default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, hint: 'rows; 0: no cap', description: 'Rows one run may hold; a push that would go past it answers 400 `UsageLimitExceeded` and stores none of its rows.' },
  SQUIDSHIP_METRICS_PORT: { kind: 'int', default: 0, min: 0, max: 65535, hint: 'a TCP port', description: 'Port on which a `--role worker` process answers `GET /metrics` (`0`: it does not); the other roles answer `/metrics` on the API port.' },
  SQUIDSHIP_NATIVE_CSV: { kind: 'bool', default: true, description: 'Use the native CSV encoder when it is built (`false`: the JavaScript encoder, same bytes).' },
  SQUIDSHIP_EGRESS_ALLOW: { kind: 'optional-string', default: null, defaultText: 'unset: no loopback or private address', description: 'Comma-separated CIDR blocks of loopback or private addresses that webhook URLs and S3 endpoints may reach (`127.0.0.1/32,10.0.0.0/8`). Link-local and metadata addresses are refused whatever it says; the embedded S3 endpoint and `SQUIDSHIP_S3_ENDPOINT` are always allowed.' },
  SQUIDSHIP_WEBHOOK_TIMEOUT_MS: createMsSetting(100, 120_000, 10_000, 'How long a webhook endpoint has to answer one event before the attempt counts as a timeout.'),
} as const satisfies Record<`SQUIDSHIP_${string}`, Setting>;

type SettingName = keyof typeof SETTINGS;
type NameOfKind<K extends SettingKind['kind']> = { [N in SettingName]: (typeof SETTINGS)[N]['kind'] extends K ? N : never }[SettingName];

export function loadConfig(env: Env, cwd: string): Config {
  const problems: string[] = [];
  const read = createReader(env, problems);

  const explicitEmbedded = read.optionalBool('SQUIDSHIP_EMBEDDED_S3');
  const s3Endpoint = read.url('SQUIDSHIP_S3_ENDPOINT');
  const dataDir = read.string('SQUIDSHIP_DATA_DIR');
  const partSizeBytes = read.int('SQUIDSHIP_S3_PART_SIZE_BYTES');
  const config: Config = {
    host: read.string('SQUIDSHIP_HOST'),
    port: read.int('SQUIDSHIP_PORT'),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    databaseUrl: read.databaseUrl('SQUIDSHIP_DATABASE_URL'),
    logLevel: read.choice('SQUIDSHIP_LOG_LEVEL'),
    logFormat: read.choice('SQUIDSHIP_LOG_FORMAT'),
    bootstrapToken: read.token('SQUIDSHIP_BOOTSTRAP_TOKEN'),
    secretKey: read.secretKey('SQUIDSHIP_SECRET_KEY'),
    publicUrl: read.url('SQUIDSHIP_PUBLIC_URL'),
    maxBodyBytes: read.int('SQUIDSHIP_MAX_BODY_BYTES'),
    maxRowBytes: read.int('SQUIDSHIP_MAX_ROW_BYTES'),
    maxRowDepth: read.int('SQUIDSHIP_MAX_ROW_DEPTH'),
    downloadUrlTtlSeconds: read.int('SQUIDSHIP_DOWNLOAD_URL_TTL_SECONDS'),
    s3: {
      endpoint: s3Endpoint,
      region: read.optionalString('SQUIDSHIP_S3_REGION'),
      forcePathStyle: read.optionalBool('SQUIDSHIP_S3_FORCE_PATH_STYLE'),
      partSizeBytes,
      queueSize: read.int('SQUIDSHIP_S3_QUEUE_SIZE'),
      probeTimeoutMs: read.int('SQUIDSHIP_S3_PROBE_TIMEOUT_MS'),
      requestTimeoutMs: read.int('SQUIDSHIP_S3_REQUEST_TIMEOUT_MS'),
    },
    embeddedS3: {
      // The embedded endpoint is for trying Squidship out; an explicit endpoint turns it off.
      enabled: explicitEmbedded ?? s3Endpoint === null,
      host: '127.0.0.1',
      port: read.int('SQUIDSHIP_EMBEDDED_S3_PORT'),
      bucket: read.string('SQUIDSHIP_EMBEDDED_S3_BUCKET'),
    },
    delivery: {
      retryWindowMs: read.int('SQUIDSHIP_DELIVERY_RETRY_WINDOW_MS'),
      maxAttempts: read.int('SQUIDSHIP_DELIVERY_MAX_ATTEMPTS'),
      backoffBaseMs: read.int('SQUIDSHIP_DELIVERY_BACKOFF_BASE_MS'),
      backoffMaxMs: read.int('SQUIDSHIP_DELIVERY_BACKOFF_MAX_MS'),
      leaseMs: read.int('SQUIDSHIP_DELIVERY_LEASE_MS'),
      concurrency: read.int('SQUIDSHIP_DELIVERY_CONCURRENCY'),
      eventConcurrency: read.int('SQUIDSHIP_DELIVERY_EVENT_CONCURRENCY'),
      pollIntervalMs: read.int('SQUIDSHIP_DELIVERY_POLL_INTERVAL_MS'),
    },
    purge: { batchRows: read.int('SQUIDSHIP_PURGE_BATCH_ROWS'), intervalMs: read.int('SQUIDSHIP_PURGE_INTERVAL_MS') },
    sqliteBusyTimeoutMs: read.int('SQUIDSHIP_SQLITE_BUSY_TIMEOUT_MS'),
    shutdownTimeoutMs: read.int('SQUIDSHIP_SHUTDOWN_TIMEOUT_MS'),
    cleanup: {
      intervalMs: read.int('SQUIDSHIP_CLEANUP_INTERVAL_MS'),
      ingestHeartbeatMs: read.int('SQUIDSHIP_INGEST_HEARTBEAT_MS'),
      ingestStaleMs: read.int('SQUIDSHIP_INGEST_STALE_MS'),
    },
    http: {
      idleTimeoutMs: read.int('SQUIDSHIP_HTTP_IDLE_TIMEOUT_MS'),
      headersTimeoutMs: read.int('SQUIDSHIP_HTTP_HEADERS_TIMEOUT_MS'),
      keepAliveTimeoutMs: read.int('SQUIDSHIP_HTTP_KEEP_ALIVE_TIMEOUT_MS'),
      trustProxy: read.bool('SQUIDSHIP_TRUST_PROXY'),
    },
    limits: {
      requestsPerTokenPerMinute: read.int('SQUIDSHIP_RATE_LIMIT_PER_TOKEN'),
      requestsPerIpPerMinute: read.int('SQUIDSHIP_RATE_LIMIT_PER_IP'),
      authFailuresPerIpPerMinute: read.int('SQUIDSHIP_RATE_LIMIT_AUTH_FAILURES_PER_IP'),
      maxSquidsPerAccount: read.int('SQUIDSHIP_MAX_SQUIDS_PER_ACCOUNT'),
      maxConcurrentPushesPerAccount: read.int('SQUIDSHIP_MAX_CONCURRENT_PUSHES_PER_ACCOUNT'),
      maxRowsPerRun: read.int('SQUIDSHIP_MAX_ROWS_PER_RUN'),
    },
    nativeCsv: read.bool('SQUIDSHIP_NATIVE_CSV'),
    egressAllow: readCidrList(read.optionalString('SQUIDSHIP_EGRESS_ALLOW'), problems),
    webhook: { timeoutMs: read.int('SQUIDSHIP_WEBHOOK_TIMEOUT_MS') },
    metricsPort: read.int('SQUIDSHIP_METRICS_PORT'),
  };
  if (config.databaseUrl !== null && (env.SQUIDSHIP_SECRET_KEY ?? '').trim() === '') {
    // A key generated into one machine's data folder would not decrypt what another machine stored.
    problems.push('SQUIDSHIP_SECRET_KEY is required with SQUIDSHIP_DATABASE_URL: every process sharing the database needs the same key (openssl rand -hex 32)');
  }
  if (config.delivery.backoffMaxMs < config.delivery.backoffBaseMs) {
    problems.push('SQUIDSHIP_DELIVERY_BACKOFF_MAX_MS must be at least SQUIDSHIP_DELIVERY_BACKOFF_BASE_MS');
  }
  if (config.cleanup.ingestStaleMs < 3 * config.cleanup.ingestHeartbeatMs) {
    // A heartbeat late once (a busy database, a long GC) must not cost a live push its rows.
    problems.push('SQUIDSHIP_INGEST_STALE_MS must be at least 3 times SQUIDSHIP_INGEST_HEARTBEAT_MS');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readCidrList(text: string | null, problems: string[]): string[] {
  if (text === null) return [];
  try {
    return parseCidrList(text);
  } catch (error) {
    problems.push(`SQUIDSHIP_EGRESS_ALLOW is invalid: ${(error as Error).message}`);
    return [];
  }
}

function createReader(env: Env, problems: string[]) {
  const raw = (name: SettingName): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const readBool = (name: NameOfKind<'bool' | 'optional-bool'>): boolean | null => {
    const value = raw(name)?.toLowerCase();
    if (value === undefined) return null;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    problems.push(`${name}=${value} is invalid: set true or false`);
    return null;
  };
  return {
    string(name: NameOfKind<'string'>): string {
      return raw(name) ?? SETTINGS[name].default;
    },
    optionalString(name: NameOfKind<'optional-string'>): string | null {
      return raw(name) ?? null;
    },
    int(name: NameOfKind<'int'>): number {
      const { default: fallback, min, max, hint } = SETTINGS[name];
      const value = raw(name);
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
        problems.push(`${name}=${value} is invalid: set a whole number from ${min} to ${max} (${hint})`);
        return fallback;
      }
      return n;
    },
    bool(name: NameOfKind<'bool'>): boolean {
      return readBool(name) ?? SETTINGS[name].default;
    },
    optionalBool(name: NameOfKind<'optional-bool'>): boolean | null {
      return readBool(name);
    },
    choice<N extends NameOfKind<'choice'>>(name: N): (typeof SETTINGS)[N]['choices'][number] {
      const { default: fallback, choices } = SETTINGS[name];
      const value = raw(name);
      if (value === undefined) return fallback;
      const chosen = choices.find((choice) => choice === value);
      if (chosen !== undefined) return chosen;
      problems.push(`${name}=${value} is invalid: set one of ${choices.join(', ')}`);
      return fallback;
    },
    url(name: NameOfKind<'url'>): string | null {
      const value = raw(name);
      if (value === undefined) return null;
      try {
        const url = new URL(value);
        if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '');
      } catch {
        // Falls through to the problem below: the value is not a URL at all.
      }
      problems.push(`${name}=${value} is invalid: set an http:// or https:// URL`);
      return null;
    },
    databaseUrl(name: NameOfKind<'database-url'>): string | null {
      const value = raw(name);
      if (value === undefined) return null;
      if (/^postgres(ql)?:\/\//.test(value)) return value;
      problems.push(`${name} is invalid: set a postgres://user@host:5432/database URL, or unset it for the embedded SQLite`);
      return null;
    },
    token(name: NameOfKind<'token'>): string | null {
      const value = raw(name);
      if (value === undefined) return null;
      if (/^[A-Za-z0-9_-]{32,200}$/.test(value)) return value;
      problems.push(`${name} is invalid: set 32 to 200 letters, digits, '-' or '_' (a short token can be found from its stored SHA-256; openssl rand -hex 20)`);
      return null;
    },
    secretKey(name: NameOfKind<'secret-key'>): Buffer | null {
      const value = raw(name);
      if (value === undefined) return null;
      const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
      if (key.length === 32) return key;
      problems.push(`${name} is invalid: set 32 random bytes as 64 hex characters or base64 (openssl rand -hex 32)`);
      return null;
    },
  };
}
