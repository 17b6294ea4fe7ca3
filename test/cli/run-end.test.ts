// `squidship run abort RUN`, `squidship run complete RUN` and `squidship --version`, run in
// process through runCli against a real server.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { runCliInProcess } from './run-cli-in-process.js';

describe('squidship run abort and run complete', () => {
  let server: TestServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startTestServer();
    env = { SQUIDSHIP_URL: server.url, SQUIDSHIP_TOKEN: server.token };
  });
  afterAll(async () => {
    await server.close();
  });

  async function startRunWithRows(): Promise<string> {
    const squid = await server.request('POST', '/v1/squids', { name: `run end ${Math.random()}` });
    const run = await server.request('POST', '/v1/runs', { squid: squid.body.id });
    expect((await server.request('POST', `/v1/runs/${run.body.id}/results`, [{ n: 1 }, { n: 2 }])).status).toBe(200);
    return run.body.id as string;
  }

  it('aborts a running run, keeping its rows', async () => {
    const runId = await startRunWithRows();
    const result = await runCliInProcess(['run', 'abort', runId], env);
    expect(result).toEqual({
      code: 0,
      stdout: `${runId} aborted\n`,
      stderr: `squidship: run ${runId} aborted with 2 rows\n`,
    });
    const run = (await server.request('GET', `/v1/runs/${runId}`)).body;
    expect(run).toMatchObject({ done_reason: 'aborted', total_results: 2 });
  });

  it('completes a running run', async () => {
    const runId = await startRunWithRows();
    const result = await runCliInProcess(['run', 'complete', runId], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`squidship: run ${runId} completed with 2 rows\n`);
    expect((await server.request('GET', `/v1/runs/${runId}`)).body.done_reason).toBe('tasks_done');
  });

  it('exits 1 with the server\'s message for a run that is not running or does not exist', async () => {
    const runId = await startRunWithRows();
    expect((await runCliInProcess(['run', 'complete', runId], env)).code).toBe(0);
    const again = await runCliInProcess(['run', 'abort', runId], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/^squidship: .*not running.*\n$/i);
    const unknown = await runCliInProcess(['run', 'complete', 'f'.repeat(32)], env);
    expect(unknown).toEqual({ code: 1, stdout: '', stderr: 'squidship: Run not found.\n' });
  });

  it('exits 2 on a wrong command line', async () => {
    expect(await runCliInProcess(['run'], env)).toEqual({ code: 2, stdout: '', stderr: 'squidship: run needs a subcommand: run abort RUN or run complete RUN (see squidship --help)\n' });
    expect((await runCliInProcess(['run', 'stop', 'x'], env)).stderr).toBe('squidship: unknown run subcommand "stop" (see squidship --help)\n');
    expect((await runCliInProcess(['run', 'abort'], env)).stderr).toBe('squidship: run abort needs a RUN id (see squidship --help)\n');
    expect((await runCliInProcess(['run', 'abort', 'a', 'b'], env)).stderr).toBe('squidship: run abort takes one RUN id, got also "b" (see squidship --help)\n');
  });

  it('exits 1 naming SQUIDSHIP_TOKEN when it is not set', async () => {
    const result = await runCliInProcess(['run', 'abort', 'f'.repeat(32)], { SQUIDSHIP_URL: server.url });
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'squidship: SQUIDSHIP_TOKEN is not set: set it to an API token (squidship token create prints one)\n' });
  });
});

describe('squidship --version', () => {
  it('prints the package version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V', 'version']) {
      expect(await runCliInProcess([flag])).toEqual({ code: 0, stdout: `squidship ${version}\n`, stderr: '' });
    }
  });
});
