// `squidship backup FILE` while the server serves, then a restore into a new data folder: the
// copy with the secret key is a working server with the same squid and its destination.
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSquidship, type RunningSquidship } from '../../src/main.js';
import { runCliInProcess } from './run-cli-in-process.js';

const TOKEN = 'backup_test_token_00000000000000001';

describe('squidship backup', () => {
  const running: RunningSquidship[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const server of running.splice(0)) await server.stop();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function start(dataDir: string): Promise<RunningSquidship> {
    const server = await startSquidship({
      env: { SQUIDSHIP_DATA_DIR: dataDir, SQUIDSHIP_PORT: '0', SQUIDSHIP_EMBEDDED_S3: 'false', SQUIDSHIP_LOG_LEVEL: 'silent', SQUIDSHIP_BOOTSTRAP_TOKEN: TOKEN },
      cwd: dataDir,
      role: 'api',
      out: { write: () => true } as unknown as NodeJS.WritableStream,
    });
    running.push(server);
    return server;
  }

  async function call(server: RunningSquidship, method: string, path: string, json?: unknown) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Token ${TOKEN}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('copies the database while serving; the copy restored with the key serves the same data', async () => {
    const root = await mkdtemp(join(tmpdir(), 'squidship-backup-'));
    dirs.push(root);
    const original = await start(join(root, 'data'));
    const squid = await call(original, 'POST', '/v1/squids', { name: 'kept across a restore' });
    const squidId = squid.body.id as string;
    const configured = await call(original, 'POST', `/v1/delivery?squid=${squidId}`, { s3_fields: { bucket: 'my-bucket', is_active: true, target_path: 'exports', aws_access_key: 'AKIAEXAMPLE', aws_secret_key: 'secret-example-1234' } });
    expect(configured.status).toBe(201);

    const backupFile = join(root, 'copy.db');
    const backup = await runCliInProcess(['backup', backupFile], { SQUIDSHIP_DATA_DIR: join(root, 'data') }, root);
    expect(backup).toMatchObject({ code: 0, stdout: `${backupFile}\n` });
    expect(backup.stderr).toMatch(/Keep the secret key \(.*secret\.key\)/);
    // Still serving after the copy.
    expect((await call(original, 'GET', `/v1/squids/${squidId}`)).status).toBe(200);

    const restoredDir = join(root, 'restored');
    await mkdir(restoredDir);
    await copyFile(backupFile, join(restoredDir, 'squidship.db'));
    await copyFile(join(root, 'data', 'secret.key'), join(restoredDir, 'secret.key'));
    const restored = await start(restoredDir);
    const read = await call(restored, 'GET', `/v1/squids/${squidId}`);
    expect(read.status).toBe(200);
    expect(read.body.name).toBe('kept across a restore');
  });

  it('says where the database should be when there is none, and refuses PostgreSQL', async () => {
    const root = await mkdtemp(join(tmpdir(), 'squidship-backup-'));
    dirs.push(root);
    const missing = await runCliInProcess(['backup', join(root, 'copy.db')], { SQUIDSHIP_DATA_DIR: join(root, 'nothing') }, root);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`squidship: there is no Squidship database at ${join(root, 'nothing', 'squidship.db')} (run the command where the server runs, or set SQUIDSHIP_DATA_DIR to its data folder)\n`);
    const postgres = await runCliInProcess(['backup', 'x.db'], { SQUIDSHIP_DATABASE_URL: 'postgres://u@127.0.0.1:1/db', SQUIDSHIP_SECRET_KEY: 'a'.repeat(64) }, root);
    expect(postgres.stderr).toMatch(/^squidship: squidship backup copies the embedded SQLite database.*pg_dump/);
    expect((await runCliInProcess(['backup'], {}, root)).code).toBe(2);
  });
});
