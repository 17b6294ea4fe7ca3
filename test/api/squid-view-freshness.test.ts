// GET /v1/squids/{id} on SQLite shows every change at once: made through the API, through
// another connection to the same file, or by another process. And its bytes and headers are those
// of the same view answered by POST /v1/squids/{id}.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import type { Store } from '../../src/storage/store.js';
import { createTempSqliteStore, testSecretBox, type TempSqliteStore } from '../helpers/temp-store.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { s3Config } from '../storage/store-fixtures.js';

const S3_CONFIG = s3Config();

describe('squid view freshness (SQLite)', () => {
  let temp: TempSqliteStore;
  let server: TestServer;
  let other: Store | null = null;
  beforeEach(async () => {
    temp = await createTempSqliteStore();
    server = await startTestServer({ store: temp.store });
  });
  afterEach(async () => {
    await other?.close();
    other = null;
    await server.close();
    await temp.cleanup();
  });

  const databaseFile = () => join(temp.dir, 'squidship.db');

  async function getText(path: string, method = 'GET', body?: string) {
    const headers: Record<string, string> = { authorization: `Token ${server.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(server.url + path, { method, headers, body });
    return { status: response.status, text: await response.text(), type: response.headers.get('content-type'), length: response.headers.get('content-length') };
  }

  /** Reads the squid twice: both the same. */
  async function readTwice(id: string) {
    const first = await server.request('GET', `/v1/squids/${id}`);
    const second = await server.request('GET', `/v1/squids/${id}`);
    expect(second.body).toEqual(first.body);
    return second.body;
  }

  async function createSquid(name: string): Promise<string> {
    return (await server.request('POST', '/v1/squids', { name })).body.id as string;
  }

  it('answers, read again and again, the bytes and headers of the object path', async () => {
    const id = await createSquid('Shops "quoted" \u00e9\u2028');
    const bare = await getText(`/v1/squids/${id}`);
    await server.store.putDestination(id, 's3', true, S3_CONFIG, Date.now());
    await server.request('POST', '/v1/runs', { squid: id });
    const reads = [await getText(`/v1/squids/${id}`), await getText(`/v1/squids/${id}`), await getText(`/v1/squids/${id}`)];
    const objectPath = await getText(`/v1/squids/${id}`, 'POST', '{}');
    expect(objectPath.status).toBe(200);
    for (const read of reads) expect(read).toEqual(objectPath);
    expect(JSON.parse(objectPath.text)).toMatchObject({ name: 'Shops "quoted" \u00e9\u2028', total_runs: 1, last_run_status: 'RUNNING' });
    expect(JSON.parse(objectPath.text).s3_fields.aws_secret_key).toBe('*'.repeat(36) + 'EKEY');
    expect(bare.text).not.toBe(objectPath.text);
    const head = await fetch(`${server.url}/v1/squids/${id}`, { method: 'HEAD', headers: { authorization: `Token ${server.token}` } });
    expect([head.status, head.headers.get('content-type'), head.headers.get('content-length')]).toEqual([200, objectPath.type, objectPath.length]);
  });

  it('shows a change made through this server at once', async () => {
    const id = await createSquid('Before');
    expect(await readTwice(id)).toMatchObject({ name: 'Before', total_runs: 0, s3_fields: null });
    await server.request('POST', `/v1/squids/${id}`, { name: 'After', concurrency: 3 });
    expect(await readTwice(id)).toMatchObject({ name: 'After', concurrency: 3 });
    await server.store.putDestination(id, 's3', true, S3_CONFIG, Date.now());
    expect((await readTwice(id)).s3_fields).toMatchObject({ bucket: 'my-bucket', is_active: true });
    const run = (await server.request('POST', '/v1/runs', { squid: id })).body;
    expect(await readTwice(id)).toMatchObject({ last_run: run.id, last_run_status: 'RUNNING', total_runs: 1 });
    const aborted = (await server.request('POST', `/v1/runs/${run.id}/abort`)).body;
    expect(aborted.status).not.toBe('running');
    expect(await readTwice(id)).toMatchObject({ last_run_status: String(aborted.status).toUpperCase(), total_runs: 1 });
    await server.request('DELETE', `/v1/squids/${id}`);
    expect((await server.request('GET', `/v1/squids/${id}`)).status).toBe(404);
  });

  it('shows a change another connection to the same database file committed', async () => {
    const id = await createSquid('Before');
    expect(await readTwice(id)).toMatchObject({ name: 'Before', total_runs: 0 });
    other = await createSqliteStore({ filePath: databaseFile(), secretBox: testSecretBox() });
    await other.updateSquid(server.account.id, id, { name: 'Renamed elsewhere' });
    expect(await readTwice(id)).toMatchObject({ name: 'Renamed elsewhere', total_runs: 0 });
    const run = await other.startRun({ accountId: server.account.id, squidId: id, nowMs: Date.now() });
    expect(await readTwice(id)).toMatchObject({ last_run: run.id, total_runs: 1 });
    await other.putDestination(id, 's3', false, S3_CONFIG, Date.now());
    expect((await readTwice(id)).s3_fields).toMatchObject({ bucket: 'my-bucket', is_active: false });
  });

  it('shows a change another process committed', async () => {
    const id = await createSquid('Before');
    expect(await readTwice(id)).toMatchObject({ name: 'Before' });
    const script = `
      const Database = require('better-sqlite3');
      const db = new Database(process.argv[1]);
      db.pragma('busy_timeout = 5000');
      db.prepare('update squids set name = ? where id = ?').run('Renamed by another process', process.argv[2]);
      db.close();`;
    await promisify(execFile)(process.execPath, ['-e', script, databaseFile(), id], { cwd: process.cwd() });
    expect(await readTwice(id)).toMatchObject({ name: 'Renamed by another process' });
  });
});
