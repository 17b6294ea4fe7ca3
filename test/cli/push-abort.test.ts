// A push whose rows the server refuses aborts the run it started, so the squid is free for the
// next run; a push that cannot reach the server leaves the run alone. Run in process.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { runCliInProcess } from './run-cli-in-process.js';

describe('squidship push: a refused push aborts its run', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer({ config: { maxRowBytes: 64 } });
    dir = await mkdtemp(join(tmpdir(), 'squidship-push-abort-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('aborts the run when the server refuses a row, and the squid can start the next run', async () => {
    const squid = (await server.request('POST', '/v1/squids', { name: 'refused' })).body.id as string;
    const path = join(dir, 'too-long.ndjson');
    await writeFile(path, `{"n":1}\n{"text":"${'x'.repeat(200)}"}\n`);
    const env = { SQUIDSHIP_URL: server.url, SQUIDSHIP_TOKEN: server.token };
    const result = await runCliInProcess(['push', path, '--squid', squid], env);
    expect(result.code).toBe(1);
    const runId = result.stdout.trim();
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(result.stderr).toMatch(new RegExp(`^squidship: request 1 \\(rows from 1\\) failed: .*; run ${runId} holds none of its rows and was aborted \\(the squid can start a new run\\)\\n$`));
    expect((await server.request('GET', `/v1/runs/${runId}`)).body).toMatchObject({ done_reason: 'aborted', total_results: 0 });
    const next = await server.request('POST', '/v1/runs', { squid });
    expect(next.status).toBe(200);
  });

  it('leaves the run running when the connection is lost, and aborts nothing', async () => {
    const calls: string[] = [];
    const cutter: Server = createServer((request, response) => {
      calls.push(`${request.method} ${request.url}`);
      if (request.url === '/v1/runs') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'a'.repeat(32), status: 'running' }));
        return;
      }
      request.socket.destroy();
    });
    await new Promise<void>((resolve) => cutter.listen(0, '127.0.0.1', resolve));
    try {
      const path = join(dir, 'cut.ndjson');
      await writeFile(path, '{"n":1}\n');
      const url = `http://127.0.0.1:${(cutter.address() as AddressInfo).port}`;
      const result = await runCliInProcess(['push', path, '--squid', 'b'.repeat(32)], { SQUIDSHIP_URL: url, SQUIDSHIP_TOKEN: 'c'.repeat(40) });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`; run ${'a'.repeat(32)} holds none of its rows and stays running (complete or abort it) (is the server running`);
      expect(calls).toEqual(['POST /v1/runs', `POST /v1/runs/${'a'.repeat(32)}/results`]);
    } finally {
      await new Promise((resolve) => cutter.close(resolve));
    }
  });
});
