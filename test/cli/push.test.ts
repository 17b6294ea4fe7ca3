import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pollUntil } from '../helpers/poll-until.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { linesOf, runCliInProcess, type CliResult } from './run-cli-in-process.js';

/** A loopback port nothing listens on: one the OS just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('squidship push', () => {
  let server: TestServer;
  let dir: string;
  let squidId: string;

  beforeAll(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'squidship-push-'));
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    // A squid per test: a squid has one active run at a time.
    const squid = await server.request('POST', '/v1/squids', { name: `push ${Math.random()}` });
    expect(squid.status).toBe(200);
    squidId = squid.body.id;
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  function push(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return runCliInProcess(['push', ...args], { SQUIDSHIP_URL: server.url, SQUIDSHIP_TOKEN: server.token, ...env });
  }

  /** The rows of the run, as the API lists them, without the fields the server adds. */
  async function rowsOf(runId: string): Promise<Array<Record<string, unknown>>> {
    const page = await server.request('GET', `/v1/results?run=${runId}&limit=100`);
    expect(page.status).toBe(200);
    return page.body.data.map(({ id, object, squid, run, scraping_time, ...own }: Record<string, unknown>) => {
      expect([id, object, squid, run, scraping_time].every((value) => value !== undefined)).toBe(true);
      return own;
    });
  }

  function runIdOf(result: CliResult): string {
    expect(result.stdout).toMatch(/^[0-9a-f]{32}\n$/);
    return result.stdout.trim();
  }

  it('streams an .ndjson file in requests of --batch-rows, with a plain line per request', async () => {
    const path = await file('rows.ndjson', '{"n":1,"name":"a"}\n{"n":2,"name":"b"}\n{"n":3,"name":"c"}\n{"n":4}\n{"n":5}');
    const result = await push([path, '--squid', squidId, '--batch-rows', '2']);
    expect(result.stderr).not.toContain('\r');
    expect(result.code).toBe(0);
    const runId = runIdOf(result);
    const lines = linesOf(result.stderr);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^squidship: request 1 sent 2 rows \(0\.00 MiB\); total 2 rows, 0\.00 MiB, \d+ rows\/s, [\d.]+ MiB\/s$/);
    expect(lines[2]).toMatch(/^squidship: request 3 sent 1 rows .*total 5 rows/);
    expect(lines[3]).toMatch(new RegExp(`^squidship: pushed 5 rows \\(0\\.00 MiB\\) into run ${runId} in 3 requests, [\\d.]+ s \\(\\d+ rows/s, [\\d.]+ MiB/s\\)$`));
    expect(await rowsOf(runId)).toEqual([{ n: 1, name: 'a' }, { n: 2, name: 'b' }, { n: 3, name: 'c' }, { n: 4 }, { n: 5 }]);
    const run = await server.request('GET', `/v1/runs/${runId}`);
    expect(run.body.status).toBe('running');
  });

  it('converts a .json array to rows', async () => {
    const path = await file('rows.json', ' [ {"city": "Marseille", "score": 4.4, "tags": ["a"]},\n{"city": "Lyon", "nested": {"x": null}} ]');
    const result = await push([path, '--squid', squidId]);
    expect(result.code).toBe(0);
    expect(await rowsOf(runIdOf(result))).toEqual([
      { city: 'Marseille', score: 4.4, tags: ['a'] },
      { city: 'Lyon', nested: { x: null } },
    ]);
  });

  it('converts a .csv file to rows keyed by the header, values as strings', async () => {
    const path = await file('rows.csv', '\uFEFFname,zip,note\n"Le Palais",01300,"says ""hi"", twice"\nBistro,13001,\n');
    const result = await push([path, '--squid', squidId]);
    expect(result.code).toBe(0);
    expect(await rowsOf(runIdOf(result))).toEqual([
      { name: 'Le Palais', zip: '01300', note: 'says "hi", twice' },
      { name: 'Bistro', zip: '13001', note: '' },
    ]);
  });

  it('completes the run with --complete', async () => {
    const path = await file('complete.jsonl', '{"n":1}\n');
    const result = await push([path, '--squid', squidId, '--complete']);
    expect(result.code).toBe(0);
    const runId = runIdOf(result);
    expect(linesOf(result.stderr).at(-1)).toMatch(/; run completed$/);
    const run = await pollUntil(async () => {
      const answer = await server.request('GET', `/v1/runs/${runId}`);
      return answer.body.status === 'done' && answer.body;
    }, { timeoutMs: 10_000, what: 'the run to be done' });
    expect(run.done_reason).toBe('tasks_done');
    expect(run.total_results).toBe(1);
  });

  it('pushes an empty file as a run without rows', async () => {
    const path = await file('empty.ndjson', '');
    const result = await push([path, '--squid', squidId]);
    expect(result.code).toBe(0);
    expect(linesOf(result.stderr).at(-1)).toContain('pushed 0 rows (0.00 MiB) into run');
    expect(await rowsOf(runIdOf(result))).toEqual([]);
  });

  it('exits 1 with the server message on a bad line, keeping the earlier requests rows', async () => {
    const path = await file('bad.ndjson', '{"n":1}\n{"n":2}\n{"n":3}\n{"n": oops}\n');
    const result = await push([path, '--squid', squidId, '--batch-rows', '2']);
    expect(result.code).toBe(1);
    const runId = runIdOf(result);
    const lines = linesOf(result.stderr);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^squidship: request 2 \\(rows from 3\\) failed: line 2\\b.*; run ${runId} keeps the 2 rows of the 1 earlier request and was aborted \\(the squid can start a new run\\)$`));
    expect(await rowsOf(runId)).toEqual([{ n: 1 }, { n: 2 }]);
    expect((await server.request('GET', `/v1/runs/${runId}`)).body.done_reason).toBe('aborted');
  });

  it('exits 1 naming the file when a .json file is not an array', async () => {
    const path = await file('object.json', '{"not": "an array"}');
    const result = await push([path, '--squid', squidId]);
    expect(result.code).toBe(1);
    const runId = runIdOf(result);
    expect(linesOf(result.stderr)).toEqual([expect.stringMatching(new RegExp(`^squidship: ${path.replace(/[.]/g, '\\.')}: .*; run ${runId} holds none of its rows and was aborted`))]);
    expect((await server.request('GET', `/v1/runs/${runId}`)).body.done_reason).toBe('aborted');
  });

  it('exits 1 with the server message for an unknown squid', async () => {
    const path = await file('unknown.ndjson', '{"n":1}\n');
    const result = await push([path, '--squid', 'f'.repeat(32)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(linesOf(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^squidship: .*squid/i);
  });

  it('exits 1 with a clear line when SQUIDSHIP_TOKEN is missing or wrong', async () => {
    const path = await file('token.ndjson', '{"n":1}\n');
    const missing = await push([path, '--squid', squidId], { SQUIDSHIP_TOKEN: '' });
    expect(missing.code).toBe(1);
    expect(linesOf(missing.stderr)).toEqual(['squidship: SQUIDSHIP_TOKEN is not set: set it to an API token (squidship token create prints one)']);
    const wrong = await push([path, '--squid', squidId], { SQUIDSHIP_TOKEN: '0'.repeat(40) });
    expect(wrong.code).toBe(1);
    expect(linesOf(wrong.stderr)).toHaveLength(1);
    expect(wrong.stderr).not.toContain('0'.repeat(40));
  });

  it('exits 1 when the server cannot be reached', async () => {
    const path = await file('closed.ndjson', '{"n":1}\n');
    const port = await closedPort();
    const result = await push([path, '--squid', squidId], { SQUIDSHIP_URL: `http://127.0.0.1:${port}` });
    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toEqual([
      `squidship: cannot reach Squidship at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (is the server running, and is SQUIDSHIP_URL right?)`,
    ]);
  });

  it('exits 1 for a file that does not exist, before starting a run', async () => {
    const result = await push([join(dir, 'missing.csv'), '--squid', squidId]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^squidship: cannot read .*missing\.csv: ENOENT/);
    const runs = await server.request('GET', `/v1/runs?squid=${squidId}`);
    expect(runs.body.total_results).toBe(0);
  });
});
