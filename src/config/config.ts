// Configuration: every setting comes from a SQUIDSHIP_* environment variable, read by
// loadConfig(env), which is pure and reports every bad variable at once.
import { isAbsolute, resolve } from 'node:path';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** null: embedded SQLite at <dataDir>/squidship.db. */
  databaseUrl: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bootstrapToken: string | null;
  /** 32-byte key (from base64 or 64 hex chars); null: generated into <dataDir>/secret.key. */
  secretKey: Buffer | null;
  /** Base of URLs Squidship hands out (signed downloads); null: the listening address. */
  publicUrl: string | null;
  /** Largest JSON request body (the NDJSON results endpoint streams and has no total limit). */
  maxBodyBytes: number;
  /** Largest single result row (one NDJSON line or one array element), in bytes. */
  maxRowBytes: number;
  downloadUrlTtlSeconds: number;
  /** Whether the CSV format may use its optional native encoder (the same bytes; off to run the JS encoder alone). */
  nativeCsv: boolean;
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
    maxAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    leaseMs: number;
    /** Deliveries one worker process runs at once. */
    concurrency: number;
    /** Safety-net poll; workers are woken at once when a run completes. */
    pollIntervalMs: number;
  };
  shutdownTimeoutMs: number;
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

export function loadConfig(env: Env, cwd: string): Config {
  const problems: string[] = [];
  const read = createReader(env, problems);

  const explicitEmbedded = read.bool('SQUIDSHIP_EMBEDDED_S3', null);
  const s3Endpoint = read.url('SQUIDSHIP_S3_ENDPOINT');
  const dataDir = read.string('SQUIDSHIP_DATA_DIR', './data');
  const partSizeBytes = read.int('SQUIDSHIP_S3_PART_SIZE_BYTES', 8 * MIB, 5 * MIB, 5 * 1024 * MIB, 'S3 parts are 5 MiB to 5 GiB');
  const config: Config = {
    host: read.string('SQUIDSHIP_HOST', '127.0.0.1'),
    port: read.int('SQUIDSHIP_PORT', 8080, 0, 65535, 'a TCP port'),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    databaseUrl: read.databaseUrl('SQUIDSHIP_DATABASE_URL'),
    logLevel: read.oneOf('SQUIDSHIP_LOG_LEVEL', LOG_LEVELS, 'info'),
    bootstrapToken: read.token('SQUIDSHIP_BOOTSTRAP_TOKEN'),
    secretKey: read.secretKey('SQUIDSHIP_SECRET_KEY'),
    publicUrl: read.url('SQUIDSHIP_PUBLIC_URL'),
    maxBodyBytes: read.int('SQUIDSHIP_MAX_BODY_BYTES', 64 * MIB, 1024, 1024 * MIB, 'bytes'),
    maxRowBytes: read.int('SQUIDSHIP_MAX_ROW_BYTES', MIB, 64, 64 * MIB, 'bytes'),
    downloadUrlTtlSeconds: read.int('SQUIDSHIP_DOWNLOAD_URL_TTL_SECONDS', 3600, 1, 7 * 24 * 3600, 'seconds'),
    nativeCsv: read.bool('SQUIDSHIP_NATIVE_CSV', true) ?? true,
    s3: {
      endpoint: s3Endpoint,
      region: read.optionalString('SQUIDSHIP_S3_REGION'),
      forcePathStyle: read.bool('SQUIDSHIP_S3_FORCE_PATH_STYLE', null),
      partSizeBytes,
      queueSize: read.int('SQUIDSHIP_S3_QUEUE_SIZE', 4, 1, 64, 'parts in flight'),
      probeTimeoutMs: read.int('SQUIDSHIP_S3_PROBE_TIMEOUT_MS', 5000, 100, 120_000, 'milliseconds'),
      requestTimeoutMs: read.int('SQUIDSHIP_S3_REQUEST_TIMEOUT_MS', 120_000, 1000, 3_600_000, 'milliseconds'),
    },
    embeddedS3: {
      // The embedded endpoint is for trying Squidship out; an explicit endpoint turns it off.
      enabled: explicitEmbedded ?? s3Endpoint === null,
      host: '127.0.0.1',
      port: read.int('SQUIDSHIP_EMBEDDED_S3_PORT', 4569, 0, 65535, 'a TCP port'),
      bucket: read.string('SQUIDSHIP_EMBEDDED_S3_BUCKET', 'my-bucket'),
    },
    delivery: {
      maxAttempts: read.int('SQUIDSHIP_DELIVERY_MAX_ATTEMPTS', 8, 1, 100, 'attempts'),
      backoffBaseMs: read.int('SQUIDSHIP_DELIVERY_BACKOFF_BASE_MS', 2000, 1, 3_600_000, 'milliseconds'),
      backoffMaxMs: read.int('SQUIDSHIP_DELIVERY_BACKOFF_MAX_MS', 300_000, 1, 86_400_000, 'milliseconds'),
      leaseMs: read.int('SQUIDSHIP_DELIVERY_LEASE_MS', 60_000, 1000, 3_600_000, 'milliseconds'),
      concurrency: read.int('SQUIDSHIP_DELIVERY_CONCURRENCY', 2, 1, 64, 'deliveries at once'),
      pollIntervalMs: read.int('SQUIDSHIP_DELIVERY_POLL_INTERVAL_MS', 30_000, 10, 3_600_000, 'milliseconds'),
    },
    shutdownTimeoutMs: read.int('SQUIDSHIP_SHUTDOWN_TIMEOUT_MS', 30_000, 0, 3_600_000, 'milliseconds'),
  };
  if (config.databaseUrl !== null && (env.SQUIDSHIP_SECRET_KEY ?? '').trim() === '') {
    // A key generated into one machine's data folder would not decrypt what another machine stored.
    problems.push('SQUIDSHIP_SECRET_KEY is required with SQUIDSHIP_DATABASE_URL: every process sharing the database needs the same key (openssl rand -hex 32)');
  }
  if (config.delivery.backoffMaxMs < config.delivery.backoffBaseMs) {
    problems.push('SQUIDSHIP_DELIVERY_BACKOFF_MAX_MS must be at least SQUIDSHIP_DELIVERY_BACKOFF_BASE_MS');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function createReader(env: Env, problems: string[]) {
  const raw = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  return {
    string(name: string, fallback: string): string {
      return raw(name) ?? fallback;
    },
    optionalString(name: string): string | null {
      return raw(name) ?? null;
    },
    int(name: string, fallback: number, min: number, max: number, what: string): number {
      const value = raw(name);
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
        problems.push(`${name}=${value} is invalid: set a whole number from ${min} to ${max} (${what})`);
        return fallback;
      }
      return n;
    },
    bool(name: string, fallback: boolean | null): boolean | null {
      const value = raw(name)?.toLowerCase();
      if (value === undefined) return fallback;
      if (['true', '1', 'yes', 'on'].includes(value)) return true;
      if (['false', '0', 'no', 'off'].includes(value)) return false;
      problems.push(`${name}=${value} is invalid: set true or false`);
      return fallback;
    },
    oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
      const value = raw(name);
      if (value === undefined) return fallback;
      if ((allowed as readonly string[]).includes(value)) return value as T;
      problems.push(`${name}=${value} is invalid: set one of ${allowed.join(', ')}`);
      return fallback;
    },
    url(name: string): string | null {
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
    databaseUrl(name: string): string | null {
      const value = raw(name);
      if (value === undefined) return null;
      if (/^postgres(ql)?:\/\//.test(value)) return value;
      problems.push(`${name} is invalid: set a postgres://user@host:5432/database URL, or unset it for the embedded SQLite`);
      return null;
    },
    token(name: string): string | null {
      const value = raw(name);
      if (value === undefined) return null;
      if (/^[A-Za-z0-9_-]{20,200}$/.test(value)) return value;
      problems.push(`${name} is invalid: set 20 to 200 characters of letters, digits, '-' or '_'`);
      return null;
    },
    secretKey(name: string): Buffer | null {
      const value = raw(name);
      if (value === undefined) return null;
      const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
      if (key.length === 32) return key;
      problems.push(`${name} is invalid: set 32 random bytes as 64 hex characters or base64 (openssl rand -hex 32)`);
      return null;
    },
  };
}
