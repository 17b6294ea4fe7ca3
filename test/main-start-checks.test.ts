// What a server checks before it serves: that no other server runs on its SQLite data folder (a
// dead one's lock does not count), and that its secret key decrypts the stored secrets.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSquidship, type RunningSquidship } from '../src/main.js';
import { createStore } from '../src/storage/create-store.js';
import { createSecretBox } from '../src/storage/secret-box.js';
import { LOCK_FILE_NAME } from '../src/storage/sqlite/data-dir-lock.js';
import { createAccountWithSquid, s3Config } from './storage/store-fixtures.js';

describe('start-up checks', () => {
  const running: RunningSquidship[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const server of running.splice(0)) await server.stop();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'squidship-checks-'));
    dirs.push(dir);
    return dir;
  }

  async function start(dataDir: string, env: Record<string, string> = {}): Promise<RunningSquidship> {
    const server = await startSquidship({
      env: { SQUIDSHIP_DATA_DIR: dataDir, SQUIDSHIP_PORT: '0', SQUIDSHIP_EMBEDDED_S3: 'false', SQUIDSHIP_LOG_LEVEL: 'silent', ...env },
      cwd: dataDir,
      role: 'api',
      out: { write: () => true } as unknown as NodeJS.WritableStream,
    });
    running.push(server);
    return server;
  }

  it('refuses a second server on the same SQLite data folder, naming the pid, until the first stops', async () => {
    const dataDir = await tempDir();
    const first = await start(dataDir);
    await expect(start(dataDir)).rejects.toThrow(new RegExp(`${dataDir} is in use by another Squidship \\(pid ${process.pid}\\)`));
    await first.stop();
    const second = await start(dataDir);
    expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
  });

  it('takes over the lock of a process that died', async () => {
    const dataDir = await tempDir();
    const child = execFile(process.execPath, ['-e', '']);
    const deadPid = child.pid;
    await new Promise((resolve) => child.once('exit', resolve));
    await writeFile(join(dataDir, LOCK_FILE_NAME), `${deadPid}\n`);
    const server = await start(dataDir);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('refuses a key that does not decrypt the stored secrets; an empty database takes any key', async () => {
    const dataDir = await tempDir();
    const key = randomBytes(32);
    await (await start(dataDir, { SQUIDSHIP_SECRET_KEY: randomBytes(32).toString('hex') })).stop();
    const store = await createStore({ databaseUrl: null, dataDir, secretBox: createSecretBox(key) });
    const { squid } = await createAccountWithSquid(store, 'keyed');
    await store.putDestination(squid.id, 's3', true, s3Config(), Date.now());
    await store.close();

    await expect(start(dataDir, { SQUIDSHIP_SECRET_KEY: randomBytes(32).toString('hex') })).rejects.toThrow(/secret key does not decrypt the stored destination secrets/);
    const server = await start(dataDir, { SQUIDSHIP_SECRET_KEY: key.toString('hex') });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});

