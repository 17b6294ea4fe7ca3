// request.log above info builds pino's child only when a line is written: the lines it writes
// are the child's own (request id, redaction), and the levels below are silent.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createLoggerOptions } from '../../src/api/logging.js';
import { createRequestLogger } from '../../src/api/request-logger.js';
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

function squidshipLogger(level: 'warn' | 'info', stream: Writable): pino.Logger {
  const options = createLoggerOptions(loadConfig({ SQUIDSHIP_LOG_LEVEL: level }, process.cwd()), undefined);
  return pino(options as pino.LoggerOptions, stream);
}

function callFactory(parent: pino.Logger, reqId: string) {
  return createRequestLogger.call(null as never, parent, { reqId }, {}, null as never);
}

describe('request logger', () => {
  let server: TestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('at warn writes warn and error lines with the request id and secrets redacted, nothing below', () => {
    const { lines, stream } = collectLines();
    const log = callFactory(squidshipLogger('warn', stream), 'req-1');
    log.info({ token: 'SECRET-info' }, 'not written');
    log.debug('not written');
    expect(lines).toEqual([]);
    log.warn({ aws_secret_key: 'SECRET-warn', nested: { token: 'SECRET-nested' } }, 'written');
    log.child({ deliveryId: 'd1' }).error('from a child');
    expect(lines).toMatchObject([
      { level: 40, reqId: 'req-1', msg: 'written', aws_secret_key: '[Redacted]', nested: { token: '[Redacted]' } },
      { level: 50, reqId: 'req-1', deliveryId: 'd1', msg: 'from a child' },
    ]);
    expect(JSON.stringify(lines)).not.toContain('SECRET');
  });

  it('follows the level: silent below it, and a level set on the request logger applies to it alone', () => {
    const { lines, stream } = collectLines();
    const parent = squidshipLogger('warn', stream);
    const log = callFactory(parent, 'req-2');
    expect(log.level).toBe('warn');
    log.level = 'debug';
    log.debug('now written');
    parent.debug('still not written');
    expect(lines).toMatchObject([{ level: 20, reqId: 'req-2', msg: 'now written' }]);
  });

  it('at info answers pino\'s own child, which every request line goes through', () => {
    const { lines, stream } = collectLines();
    const log = callFactory(squidshipLogger('info', stream), 'req-3') as pino.Logger;
    expect(log.bindings()).toEqual({ reqId: 'req-3' });
    log.info('written');
    expect(lines).toMatchObject([{ level: 30, reqId: 'req-3', msg: 'written' }]);
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
});
