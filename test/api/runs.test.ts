// Runs over real HTTP: start, list, get, stats, abort, complete, and tenant isolation.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const UNKNOWN_ID = '0123456789abcdef0123456789abcdef';
const RUN_NOT_FOUND = { errors: { message: 'Run not found.', type: 'RunDoesNotExist', code: 404 }, detail: 'Run not found.' };

const RUN_KEYS = [
  'id', 'object', 'squid', 'is_done', 'started_at', 'total_results', 'total_unique_results', 'next_launch_at', 'ended_at',
  'duration', 'credit_used', 'origin', 'force_launch', 'status', 'export_done', 'export_count', 'export_time', 'email_done',
  'email_time', 'created_at', 'done_reason', 'done_reason_desc',
];

describe('runs', () => {
  let server: TestServer;
  let squidId: string;
  beforeEach(async () => {
    server = await startTestServer();
    squidId = (await server.request('POST', '/v1/squids', { name: 'Runs' })).body.id;
  });
  afterEach(async () => {
    await server.close();
  });

  async function startRun(squid = squidId) {
    const response = await server.request('POST', '/v1/runs', { squid });
    expect(response.status).toBe(200);
    return response.body;
  }

  it('starts a run that answers the documented run object', async () => {
    const run = await startRun();
    expect(Object.keys(run).sort()).toEqual([...RUN_KEYS].sort());
    expect(run).toMatchObject({
      object: 'run', squid: squidId, is_done: false, status: 'running', total_results: 0, total_unique_results: 0,
      next_launch_at: null, ended_at: null, credit_used: 0, origin: 'user', force_launch: false, export_done: null,
      export_count: 0, export_time: null, email_done: null, email_time: null, done_reason: null, done_reason_desc: null,
    });
    expect(run.id).toMatch(/^[0-9a-f]{32}$/);
    expect(run.started_at).toMatch(/Z$/);
    expect(typeof run.duration).toBe('number');
    expect((await server.request('GET', `/v1/runs/${run.id}`)).body).toMatchObject({ id: run.id, status: 'running' });
    const squid = (await server.request('GET', `/v1/squids/${squidId}`)).body;
    expect(squid).toMatchObject({ last_run_status: 'RUNNING', total_runs: 1, last_run_at: run.started_at });
  });

  it('refuses a second active run, an unknown squid and a missing squid', async () => {
    await startRun();
    const second = await server.request('POST', '/v1/runs', { squid: squidId });
    expect(second.status).toBe(400);
    expect(second.body.errors).toMatchObject({ type: 'RunInProgress', code: 400 });
    const unknown = await server.request('POST', '/v1/runs', { squid: UNKNOWN_ID });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors).toMatchObject({ type: 'SquidDoesNotExistException', code: 404 });
    const missing = await server.request('POST', '/v1/runs', {});
    expect(missing.body).toEqual({
      errors: { message: 'A required field squid is missing.', type: 'ParamsNeeded', code: 400, param: 'squid' },
      detail: 'A required field squid is missing.',
    });
    const wrongType = await server.request('POST', '/v1/runs', { squid: 5 });
    expect(wrongType.body.errors.type).toBe('InvalidParameterValue');
  });

  it('lists a squid\'s runs newest first, paginated, and needs the squid parameter', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await startRun();
      ids.push(run.id);
      await server.request('POST', `/v1/runs/${run.id}/complete`);
    }
    const page = await server.request('GET', `/v1/runs?squid=${squidId}&limit=2`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ total_results: 3, limit: 2, page: 1, total_pages: 2, result_from: 1, result_to: 2 });
    expect(page.body.data.map((run: { id: string }) => run.id)).toEqual([ids[2], ids[1]]);
    const last = await server.request('GET', `/v1/runs?squid=${squidId}&limit=2&page=2`);
    expect(last.body.data.map((run: { id: string }) => run.id)).toEqual([ids[0]]);
    const missing = await server.request('GET', '/v1/runs');
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toMatchObject({ type: 'ParamsNeeded', message: 'A required parameter squid is missing.' });
    expect((await server.request('GET', `/v1/runs?squid=${UNKNOWN_ID}`)).status).toBe(404);
  });

  it('answers stats with the documented keys', async () => {
    const run = await startRun();
    await server.request('POST', `/v1/runs/${run.id}/results`, [{ a: 1 }, { a: 1 }, { a: 2 }]);
    const open = await server.request('GET', `/v1/runs/${run.id}/stats`);
    expect(open.status).toBe(200);
    expect(open.body).toMatchObject({
      id: run.id, object: 'run', is_done: false, percent_done: '0%', eta: '∞', total_results: 3, total_unique_results: 2,
      total_tasks: 0, total_tasks_done: 0, total_tasks_left: 0, current_task: '', total_requests: null, results_done: 3, ended_at: null,
    });
    expect(open.body.duration).toMatch(/^\d+:\d\d:\d\d(\.\d{6})?$/);
    await server.request('POST', `/v1/runs/${run.id}/complete`);
    const done = await server.request('GET', `/v1/runs/${run.id}/stats`);
    expect(done.body).toMatchObject({ is_done: true, percent_done: '100%', status: 'done' });
    expect(done.body.ended_at).toMatch(/Z$/);
    expect((await server.request('GET', `/v1/runs/${UNKNOWN_ID}/stats`)).body).toEqual(RUN_NOT_FOUND);
  });

  it('completes a run: done with tasks_done, and a second end answers 409 RunNotRunning', async () => {
    const run = await startRun();
    const completed = await server.request('POST', `/v1/runs/${run.id}/complete`);
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ id: run.id, status: 'done', is_done: true, done_reason: 'tasks_done' });
    expect(completed.body.done_reason_desc).toEqual(expect.any(String));
    expect(completed.body.ended_at).toMatch(/Z$/);
    for (const action of ['complete', 'abort']) {
      const again = await server.request('POST', `/v1/runs/${run.id}/${action}`);
      expect(again.status).toBe(409);
      expect(again.body.errors).toMatchObject({ type: 'RunNotRunning', code: 409 });
    }
    // The squid is free for a new run.
    await startRun();
  });

  it('aborts a run, keeping its results', async () => {
    const run = await startRun();
    await server.request('POST', `/v1/runs/${run.id}/results`, [{ a: 1 }]);
    const aborted = await server.request('POST', `/v1/runs/${run.id}/abort`, '', { 'content-type': 'application/json' });
    expect(aborted.status).toBe(200);
    expect(aborted.body).toMatchObject({ id: run.id, is_done: true, done_reason: 'aborted', total_results: 1 });
    expect(['aborted', 'done']).toContain(aborted.body.status);
    expect((await server.request('GET', `/v1/results?run=${run.id}`)).body.total_results).toBe(1);
    expect((await server.request('POST', `/v1/runs/${UNKNOWN_ID}/abort`)).body).toEqual(RUN_NOT_FOUND);
  });

  it('enqueues a delivery per active S3 destination when a run completes: the run shows uploading', async () => {
    await server.store.putDestination(squidId, 's3', true, {
      bucket: 'my-bucket', targetPath: 'exports', accessKeyId: null, secretAccessKey: null, region: null, endpoint: null, forcePathStyle: null,
    }, Date.now());
    const run = await startRun();
    const completed = await server.request('POST', `/v1/runs/${run.id}/complete`);
    expect(completed.body).toMatchObject({ status: 'uploading', is_done: false, done_reason: 'tasks_done' });
    const deliveries = await server.store.listRunDeliveries(server.account.id, run.id);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.target).toMatch(new RegExp(`^exports/runs_\\d{8}_\\d{4}_${run.id.slice(0, 8)}\\.csv$`));
  });

  it("answers another account's run exactly like an unknown one", async () => {
    const run = await startRun();
    const other = await server.createAccountWithToken('other');
    const asOther = { authorization: `Token ${other.token}` };
    for (const [method, path, body] of [
      ['GET', `/v1/runs/${run.id}`, undefined],
      ['GET', `/v1/runs/${run.id}/stats`, undefined],
      ['POST', `/v1/runs/${run.id}/abort`, undefined],
      ['POST', `/v1/runs/${run.id}/complete`, undefined],
      ['POST', `/v1/runs/${run.id}/results`, [{ a: 1 }]],
      ['GET', `/v1/results?run=${run.id}`, undefined],
      ['GET', `/v1/runs/${UNKNOWN_ID}`, undefined],
    ] as const) {
      const response = await server.request(method, path, body, asOther);
      expect({ path, status: response.status, body: response.body }).toEqual({ path, status: 404, body: RUN_NOT_FOUND });
    }
    expect((await server.request('GET', `/v1/runs/${run.id}`)).body).toMatchObject({ status: 'running', total_results: 0 });
  });
});
