// Rate limits over real HTTP: per account, per client address, and failed token checks per
// address. The clock is the test's, so that a window ends without waiting a minute.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type AccountLimits } from '../../src/config/config.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const DEFAULT_LIMITS = loadConfig({}, '/').limits;

function throttled(seconds: number) {
  const message = `Request was throttled. Expected available in ${seconds} seconds.`;
  return { errors: { message, type: 'RateLimitExceeded', code: 429 }, detail: message };
}

describe('rate limits', () => {
  let server: TestServer;
  let nowMs = 1_800_000_000_000;
  afterEach(async () => {
    await server?.close();
  });

  async function start(limits: Partial<AccountLimits>): Promise<TestServer> {
    server = await startTestServer({ config: { limits: { ...DEFAULT_LIMITS, ...limits } }, clock: () => nowMs });
    return server;
  }

  it('gives each account its requests a minute with X-RateLimit headers, then 429 with Retry-After', async () => {
    await start({ requestsPerTokenPerMinute: 3, requestsPerIpPerMinute: 0 });
    for (const remaining of [2, 1, 0]) {
      const response = await server.request('GET', '/v1/me');
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-limit')).toBe('3');
      expect(response.headers.get('x-ratelimit-remaining')).toBe(String(remaining));
      expect(response.headers.get('x-ratelimit-reset')).toBe(String(Math.ceil((nowMs + 60_000) / 1000)));
    }
    nowMs += 20_000;
    const refused = await server.request('GET', '/v1/squids');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(throttled(40));
    expect(refused.headers.get('retry-after')).toBe('40');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    // Another account has its own budget.
    const other = await server.createAccountWithToken('other');
    expect((await server.request('GET', '/v1/me', undefined, { authorization: `Token ${other.token}` })).status).toBe(200);
    nowMs += 40_000;
    expect((await server.request('GET', '/v1/me')).status).toBe(200);
  });

  it('limits failed token checks per address: then even a right token gets 429 until the window ends', async () => {
    await start({ authFailuresPerIpPerMinute: 3, requestsPerIpPerMinute: 0, requestsPerTokenPerMinute: 0 });
    // No header at all is not a guess.
    for (let i = 0; i < 5; i += 1) expect((await server.request('GET', '/v1/me', undefined, { authorization: '' })).status).toBe(401);
    for (let i = 0; i < 3; i += 1) {
      expect((await server.request('GET', '/v1/me', undefined, { authorization: `Token wrong-${i}` })).status).toBe(401);
    }
    const refused = await server.request('GET', '/v1/me');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(throttled(60));
    expect(refused.headers.get('retry-after')).toBe('60');
    // Public routes are not behind the token check.
    expect((await server.request('GET', '/healthz', undefined, { authorization: '' })).status).toBe(200);
    nowMs += 60_000;
    expect((await server.request('GET', '/v1/me')).status).toBe(200);
  });

  it('limits requests per address on every route but the health probes', async () => {
    await start({ requestsPerIpPerMinute: 4, requestsPerTokenPerMinute: 0 });
    expect((await server.request('GET', '/v1/me')).status).toBe(200);
    expect((await server.request('GET', '/v1/nothing-here')).status).toBe(404);
    expect((await server.request('GET', '/openapi.json')).status).toBe(200);
    expect((await server.request('GET', '/v1/me', undefined, { authorization: 'Token wrong' })).status).toBe(401);
    const refused = await server.request('GET', '/v1/me');
    expect(refused.status).toBe(429);
    expect(refused.body.errors.type).toBe('RateLimitExceeded');
    expect((await server.request('GET', '/v1/nothing-here')).status).toBe(429);
    for (let i = 0; i < 10; i += 1) expect((await server.request('GET', '/healthz')).status).toBe(200);
    expect((await server.request('GET', '/readyz')).status).toBe(200);
  });

  it('limits nothing when every limit is 0, and limits failed tokens by default', async () => {
    await start({ requestsPerTokenPerMinute: 0, requestsPerIpPerMinute: 0, authFailuresPerIpPerMinute: 0 });
    for (let i = 0; i < 150; i += 1) expect((await server.request('GET', '/v1/me', undefined, { authorization: 'Token wrong' })).status).toBe(401);
    expect((await server.request('GET', '/v1/me')).headers.get('x-ratelimit-limit')).toBeNull();
    await server.close();
    server = await startTestServer({ clock: () => nowMs });
    expect((await server.request('GET', '/v1/me')).headers.get('x-ratelimit-limit')).toBe('60000');
    const statuses: number[] = [];
    for (let i = 0; i < 101; i += 1) statuses.push((await server.request('GET', '/v1/me', undefined, { authorization: 'Token wrong' })).status);
    expect(statuses.slice(0, 100).every((status) => status === 401)).toBe(true);
    expect(statuses[100]).toBe(429);
  });
});
