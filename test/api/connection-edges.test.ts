// The server's edges below the routes, over raw sockets on loopback: idle, stalled and kept-alive
// connections are closed; what Node and Fastify reject before a route runs (malformed HTTP,
// oversized headers, a URL that does not decode, an over-long path parameter) answers in the
// error shape; a client that hangs up mid-push is logged at info.
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type HttpLimits } from '../../src/config/config.js';
import { pollUntil } from '../helpers/poll-until.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const DEFAULT_HTTP = loadConfig({}, '/').http;

function openSocket(url: string): Promise<Socket> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection, and how long that took. */
function readUntilClosed(socket: Socket, timeoutMs: number): Promise<{ text: string; elapsedMs: number }> {
  const startedMs = Date.now();
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms; received: ${JSON.stringify(text)}`));
    }, timeoutMs);
    socket.once('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ text, elapsedMs: Date.now() - startedMs });
    });
  });
}

async function sendRaw(url: string, request: string): Promise<{ status: number; body: unknown }> {
  const socket = await openSocket(url);
  const closed = readUntilClosed(socket, 5000);
  socket.write(request);
  const { text } = await closed;
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  return { status, body: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) };
}

function errorBody(status: number, type: string, message: string) {
  return { errors: { message, type, code: status }, detail: message };
}

describe('connection edges', () => {
  let server: TestServer;
  afterEach(async () => {
    await server?.close();
  });

  async function start(http: Partial<HttpLimits> = {}, logger?: object): Promise<TestServer> {
    server = await startTestServer({ config: { http: { ...DEFAULT_HTTP, ...http } }, logger });
    return server;
  }

  async function startRun(): Promise<string> {
    const squid = await server.request('POST', '/v1/squids', { name: 'edges' });
    const run = await server.request('POST', '/v1/runs', { squid: squid.body.id });
    return run.body.id as string;
  }

  it('closes a connection whose headers stop halfway', async () => {
    await start({ idleTimeoutMs: 300 });
    const socket = await openSocket(server.url);
    const closed = readUntilClosed(socket, 5000);
    socket.write('GET /v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect((await closed).elapsedMs).toBeLessThan(3000);
  });

  it('closes a push whose NDJSON body stalls, and stores none of its rows', async () => {
    await start({ idleTimeoutMs: 300 });
    const runId = await startRun();
    const socket = await openSocket(server.url);
    const closed = readUntilClosed(socket, 5000);
    const line = '{"title":"a"}\n';
    socket.write(
      `POST /v1/runs/${runId}/results HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token ${server.token}\r\n` +
        `Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n${line.length.toString(16)}\r\n${line}\r\n`,
    );
    expect((await closed).elapsedMs).toBeLessThan(3000);
    const run = await pollUntil(async () => {
      const answer = await server.request('GET', `/v1/runs/${runId}`);
      return answer.status === 200 && answer.body;
    }, { timeoutMs: 5000, what: 'the run' });
    expect(run.total_results).toBe(0);
  });

  it('answers 408 in the error shape to a client that trickles its headers past the headers timeout', async () => {
    await start({ headersTimeoutMs: 600 });
    const socket = await openSocket(server.url);
    const closed = readUntilClosed(socket, 5000);
    socket.write('GET /v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // A byte every 100 ms: never idle, never done.
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write('X');
    }, 100);
    try {
      const { text, elapsedMs } = await closed;
      expect(text).toMatch(/^HTTP\/1\.1 408/);
      expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual(errorBody(408, 'RequestTimeout', 'The request was not received in time.'));
      expect(elapsedMs).toBeLessThan(3000);
    } finally {
      clearInterval(trickle);
    }
  });

  it('closes a kept-alive connection that sends no next request', async () => {
    await start({ keepAliveTimeoutMs: 300 });
    const socket = await openSocket(server.url);
    const closed = readUntilClosed(socket, 5000);
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const { text, elapsedMs } = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(elapsedMs).toBeLessThan(3000);
  });

  it('answers malformed HTTP and oversized headers in the error shape', async () => {
    await start();
    expect(await sendRaw(server.url, 'NOT HTTP AT ALL\r\n\r\n')).toEqual({
      status: 400,
      body: errorBody(400, 'BadEncoding', 'The request is not valid HTTP.'),
    });
    expect(await sendRaw(server.url, `GET /v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toEqual({
      status: 431,
      body: errorBody(431, 'InvalidParameterValue', 'The request headers are too large.'),
    });
  });

  it('answers a URL that does not decode and an over-long path parameter in the error shape', async () => {
    await start();
    const auth = `Authorization: Token ${server.token}\r\n`;
    expect(await sendRaw(server.url, `GET /v1/squids/%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Connection: close\r\n\r\n`)).toEqual({
      status: 400,
      body: errorBody(400, 'BadEncoding', 'The request URL is not valid: a percent-encoded sequence does not decode.'),
    });
    const long = await server.request('GET', `/v1/squids/${'a'.repeat(101)}`);
    expect(long.status).toBe(400);
    expect(long.body).toEqual(errorBody(400, 'InvalidParameterValue', 'A path parameter is longer than 100 characters.'));
    expect(long.headers.get('x-request-id')).toMatch(/./);
  });

  it('logs a client that hangs up mid-push at info, not error', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line));
        callback();
      },
    });
    await start({}, { level: 'info', stream });
    const runId = await startRun();
    const socket = await openSocket(server.url);
    socket.write(
      `POST /v1/runs/${runId}/results HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token ${server.token}\r\n` +
        'Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n',
    );
    await pollUntil(() => lines.some((line) => line.msg === 'incoming request' && JSON.stringify(line).includes('/results')), { timeoutMs: 5000, what: 'the push to start' });
    socket.destroy();
    await pollUntil(() => lines.some((line) => line.msg === 'request.aborted'), { timeoutMs: 5000, what: () => `a request.aborted line in ${JSON.stringify(lines)}` });
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  });
});
