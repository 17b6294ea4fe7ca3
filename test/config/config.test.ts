import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({}, '/srv');
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8080);
    expect(config.dataDir).toBe('/srv/data');
    expect(config.databaseUrl).toBeNull();
    expect(config.embeddedS3).toMatchObject({ enabled: true, port: 4569, bucket: 'my-bucket' });
    expect(config.s3.partSizeBytes).toBe(8 * 1024 * 1024);
    expect(config.s3.queueSize).toBe(4);
  });

  it('reports every bad variable at once, each naming the variable and the fix', () => {
    const problems = problemsOf({ SQUIDSHIP_PORT: 'eighty', SQUIDSHIP_LOG_LEVEL: 'loud', SQUIDSHIP_S3_PART_SIZE_BYTES: '1024', SQUIDSHIP_S3_ENDPOINT: 'ftp://x' });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/^SQUIDSHIP_PORT=eighty is invalid: set a whole number from 0 to 65535/m);
    expect(problems.join('\n')).toMatch(/SQUIDSHIP_LOG_LEVEL=loud is invalid: set one of fatal, error/);
    expect(problems.join('\n')).toMatch(/SQUIDSHIP_S3_PART_SIZE_BYTES=1024 is invalid.*5 MiB/);
    expect(problems.join('\n')).toMatch(/SQUIDSHIP_S3_ENDPOINT=ftp:\/\/x is invalid: set an http/);
  });

  it('lets the CSV format use its native encoder unless SQUIDSHIP_NATIVE_CSV is false', () => {
    expect(loadConfig({}, '/srv').nativeCsv).toBe(true);
    expect(loadConfig({ SQUIDSHIP_NATIVE_CSV: 'false' }, '/srv').nativeCsv).toBe(false);
    expect(problemsOf({ SQUIDSHIP_NATIVE_CSV: 'maybe' })).toHaveLength(1);
  });

  it('reads the connection timeouts, rate limits and caps, 0 turning a limit off', () => {
    const defaults = loadConfig({}, '/srv');
    expect(defaults.http).toEqual({ idleTimeoutMs: 60_000, headersTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000, trustProxy: false });
    expect(defaults.limits).toEqual({
      requestsPerTokenPerMinute: 60_000,
      requestsPerIpPerMinute: 120_000,
      authFailuresPerIpPerMinute: 100,
      maxSquidsPerAccount: 0,
      maxConcurrentPushesPerAccount: 0,
      maxRowsPerRun: 0,
    });
    const set = loadConfig({ SQUIDSHIP_RATE_LIMIT_PER_TOKEN: '0', SQUIDSHIP_MAX_ROWS_PER_RUN: '1000000', SQUIDSHIP_TRUST_PROXY: 'true' }, '/srv');
    expect(set.limits).toMatchObject({ requestsPerTokenPerMinute: 0, maxRowsPerRun: 1_000_000 });
    expect(set.http.trustProxy).toBe(true);
    expect(problemsOf({ SQUIDSHIP_RATE_LIMIT_AUTH_FAILURES_PER_IP: '-1', SQUIDSHIP_HTTP_HEADERS_TIMEOUT_MS: '10' })).toHaveLength(2);
  });

  it('retries deliveries for a 24-hour window with no attempt cap, and still starts with an old attempt count', () => {
    expect(loadConfig({}, '/srv').delivery).toMatchObject({ retryWindowMs: 86_400_000, maxAttempts: 0, backoffMaxMs: 300_000 });
    // A config written when SQUIDSHIP_DELIVERY_MAX_ATTEMPTS was the only budget keeps working, as a cap.
    expect(loadConfig({ SQUIDSHIP_DELIVERY_MAX_ATTEMPTS: '8', SQUIDSHIP_DELIVERY_RETRY_WINDOW_MS: '60000' }, '/srv').delivery).toMatchObject({ maxAttempts: 8, retryWindowMs: 60_000 });
    expect(problemsOf({ SQUIDSHIP_DELIVERY_RETRY_WINDOW_MS: '0' })).toEqual([expect.stringMatching(/^SQUIDSHIP_DELIVERY_RETRY_WINDOW_MS=0 is invalid: set a whole number from 1000/)]);
  });

  it('refuses a bootstrap token shorter than 32 characters (its bare SHA-256 is stored)', () => {
    expect(problemsOf({ SQUIDSHIP_BOOTSTRAP_TOKEN: 'a'.repeat(31) })).toEqual([expect.stringMatching(/^SQUIDSHIP_BOOTSTRAP_TOKEN is invalid: set 32 to 200/)]);
    expect(loadConfig({ SQUIDSHIP_BOOTSTRAP_TOKEN: 'a'.repeat(32) }, '/srv').bootstrapToken).toBe('a'.repeat(32));
  });

  it('limits the nesting of result rows to 64 levels unless SQUIDSHIP_MAX_ROW_DEPTH says otherwise, up to 1000', () => {
    expect(loadConfig({}, '/srv').maxRowDepth).toBe(64);
    expect(loadConfig({ SQUIDSHIP_MAX_ROW_DEPTH: '200' }, '/srv').maxRowDepth).toBe(200);
    expect(problemsOf({ SQUIDSHIP_MAX_ROW_DEPTH: '1001' })).toEqual([
      'SQUIDSHIP_MAX_ROW_DEPTH=1001 is invalid: set a whole number from 1 to 1000 (levels of nesting; readers refuse rows deeper than 1000)',
    ]);
  });

  it('sweeps leftovers every minute and takes a push for dead after 5 minutes without a heartbeat, at least 3 heartbeats', () => {
    expect(loadConfig({}, '/srv').cleanup).toEqual({ intervalMs: 60_000, ingestHeartbeatMs: 30_000, ingestStaleMs: 300_000 });
    const short = { SQUIDSHIP_CLEANUP_INTERVAL_MS: '250', SQUIDSHIP_INGEST_HEARTBEAT_MS: '400', SQUIDSHIP_INGEST_STALE_MS: '1200' };
    expect(loadConfig(short, '/srv').cleanup).toEqual({ intervalMs: 250, ingestHeartbeatMs: 400, ingestStaleMs: 1200 });
    expect(problemsOf({ ...short, SQUIDSHIP_INGEST_STALE_MS: '1199' })).toEqual(['SQUIDSHIP_INGEST_STALE_MS must be at least 3 times SQUIDSHIP_INGEST_HEARTBEAT_MS']);
  });

  it('turns the embedded S3 endpoint off when an endpoint is configured', () => {
    const config = loadConfig({ SQUIDSHIP_S3_ENDPOINT: 'http://minio:9000/' }, '/srv');
    expect(config.s3.endpoint).toBe('http://minio:9000');
    expect(config.embeddedS3.enabled).toBe(false);
  });

  it('requires a shared secret key with PostgreSQL, and accepts hex or base64 keys', () => {
    expect(problemsOf({ SQUIDSHIP_DATABASE_URL: 'postgres://db/squidship' })).toEqual([
      expect.stringMatching(/^SQUIDSHIP_SECRET_KEY is required with SQUIDSHIP_DATABASE_URL/),
    ]);
    const hex = 'ab'.repeat(32);
    expect(loadConfig({ SQUIDSHIP_DATABASE_URL: 'postgres://db/s', SQUIDSHIP_SECRET_KEY: hex }, '/').secretKey?.toString('hex')).toBe(hex);
    expect(loadConfig({ SQUIDSHIP_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }, '/').secretKey).toEqual(Buffer.alloc(32, 7));
    expect(problemsOf({ SQUIDSHIP_SECRET_KEY: 'short' })).toEqual([expect.stringMatching(/^SQUIDSHIP_SECRET_KEY is invalid: set 32 random bytes/)]);
  });

  it('rejects a non-PostgreSQL database URL and a malformed bootstrap token', () => {
    expect(problemsOf({ SQUIDSHIP_DATABASE_URL: 'mysql://db', SQUIDSHIP_BOOTSTRAP_TOKEN: 'x y' })).toEqual([
      expect.stringMatching(/^SQUIDSHIP_DATABASE_URL is invalid: set a postgres:\/\//),
      expect.stringMatching(/^SQUIDSHIP_BOOTSTRAP_TOKEN is invalid/),
    ]);
  });
});
