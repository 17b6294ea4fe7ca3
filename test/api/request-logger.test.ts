// request.log (Fastify's own request logger, with Squidship's logger options): the lines it
// writes carry the request id and have secrets redacted, and the levels below the configured one
// are silent.
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createLoggerOptions } from '../../src/api/logging.js';
import { loadConfig } from '../../src/config/config.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

function collectLines(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, stream };
}

/** A Fastify app with Squidship's logger options at `level`, whose one route runs `log` with request.log. */
async function appLogging(level: 'warn' | 'info', stream: Writable, log: (request: FastifyRequest) => void): Promise<FastifyInstance> {
  const options = createLoggerOptions(loadConfig({ SQUIDSHIP_LOG_LEVEL: level }, process.cwd()), { stream });
  const app = Fastify({ logger: options, requestIdHeader: 'x-request-id' });
  app.get('/log', (request) => {
    log(request);
    return {};
  });
  await app.ready();
  return app;
}

describe('request logger', () => {
  let server: TestServer | null = null;
  let app: FastifyInstance | null = null;
  afterEach(async () => {
    await server?.close();
    await app?.close();
    server = null;
    app = null;
  });

  it('at warn writes warn and error lines with the request id and secrets redacted, nothing below', async () => {
    const { lines, stream } = collectLines();
    app = await appLogging('warn', stream, (request) => {
      request.log.info({ token: 'SECRET-info' }, 'not written');
      request.log.debug('not written');
      request.log.warn({ aws_secret_key: 'SECRET-warn', nested: { token: 'SECRET-nested' } }, 'written');
      request.log.child({ deliveryId: 'd1' }).error('from a child');
    });
    await app.inject({ method: 'GET', url: '/log', headers: { 'x-request-id': 'req-1' } });
    expect(lines).toMatchObject([
      { level: 40, reqId: 'req-1', msg: 'written', aws_secret_key: '[Redacted]', nested: { token: '[Redacted]' } },
      { level: 50, reqId: 'req-1', deliveryId: 'd1', msg: 'from a child' },
    ]);
    expect(lines).toHaveLength(2);
    expect(JSON.stringify(lines)).not.toContain('SECRET');
  });

  it('follows the level: silent below it, and a level set on the request logger applies to it alone', async () => {
    const { lines, stream } = collectLines();
    app = await appLogging('warn', stream, (request) => {
      expect(request.log.level).toBe('warn');
      request.log.level = 'debug';
      request.log.debug('now written');
      app!.log.debug('still not written');
    });
    await app.inject({ method: 'GET', url: '/log', headers: { 'x-request-id': 'req-2' } });
    // The request's own lines follow its level from then on (its completion at info too).
    expect(lines).toContainEqual(expect.objectContaining({ level: 20, reqId: 'req-2', msg: 'now written' }));
    expect(lines.map((line) => line.msg)).not.toContain('still not written');
    expect(lines.every((line) => line.reqId === 'req-2')).toBe(true);
  });

  it('at info writes every request line with the request id', async () => {
    const { lines, stream } = collectLines();
    app = await appLogging('info', stream, (request) => request.log.info('written'));
    await app.inject({ method: 'GET', url: '/log', headers: { 'x-request-id': 'req-3' } });
    expect(lines.map((line) => [line.reqId, line.msg])).toEqual([
      ['req-3', 'incoming request'],
      ['req-3', 'written'],
      ['req-3', 'request completed'],
    ]);
  });

  it('logs a server error at warn with the request id the client sent', async () => {
    const { lines, stream } = collectLines();
    server = await startTestServer({ logger: { level: 'warn', stream } });
    const ok = await server.request('GET', '/v1/me');
    expect(ok.status).toBe(200);
    expect(lines).toEqual([]);
    await server.store.close();
    const failed = await server.request('GET', '/readyz', undefined, { authorization: '', 'x-request-id': 'req-failing' });
    expect(failed.status).toBe(503);
    expect(lines).toMatchObject([{ level: 50, reqId: 'req-failing', msg: 'request.failed' }]);
  });

  it('does not log health checks at info, but a request to the API', async () => {
    const { lines, stream } = collectLines();
    server = await startTestServer({ logger: { level: 'info', stream } });
    expect((await server.request('GET', '/healthz', undefined, { authorization: '' })).status).toBe(200);
    expect((await server.request('GET', '/readyz', undefined, { authorization: '' })).status).toBe(200);
    const requestLines = () => lines.filter((line) => line.reqId !== undefined).map((line) => line.msg);
    expect(requestLines()).toEqual([]);
    await server.request('GET', '/v1/me');
    expect(requestLines()).toEqual(['incoming request', 'request completed']);
  });
});
