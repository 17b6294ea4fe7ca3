// The composition root as `npm start` runs it: embedded SQLite and S3, the first-start banner.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startSquidship, type RunningSquidship } from '../src/main.js';
import { createStore } from '../src/storage/create-store.js';
import { createSecretBox } from '../src/storage/secret-box.js';
import { createAccountWithSquid, s3Config } from './storage/store-fixtures.js';

/** A loopback port held by a plain TCP server until `close()`. */
async function holdPort(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { port: address.port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Live processes whose command line contains `text` (Linux /proc). */
function listProcessesMentioning(text: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false; // gone meanwhile
      }
    });
}

function captureOutput(): { stream: Writable; text(): string } {
  let text = '';
  return {
    stream: new Writable({ write(chunk: Buffer, _encoding, callback) { text += chunk.toString(); callback(); } }),
    text: () => text,
  };
}

describe('startSquidship', () => {
  const running: RunningSquidship[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const server of running.splice(0)) await server.stop();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function start(dataDir: string, env: Record<string, string> = {}) {
    const out = captureOutput();
    const server = await startSquidship({
      env: { SQUIDSHIP_DATA_DIR: dataDir, SQUIDSHIP_PORT: '0', SQUIDSHIP_EMBEDDED_S3_PORT: '0', SQUIDSHIP_LOG_LEVEL: 'silent', ...env },
      cwd: dataDir,
      role: 'all',
      out: out.stream,
    });
    running.push(server);
    return { server, out };
  }

  it('prints a working token and curl line on first start only, and runs the embedded S3 endpoint', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'squidship-main-'));
    dirs.push(dataDir);
    const first = await start(dataDir);
    const token = /^ {2}([0-9a-f]{40})$/m.exec(first.out.text())?.[1];
    expect(token).toBeDefined();
    expect(first.out.text()).toContain(`curl -H "Authorization: Token ${token}" ${first.server.url}/v1/me`);
    const me = await fetch(`${first.server.url}/v1/me`, { headers: { authorization: `Token ${token}` } });
    expect(me.status).toBe(200);
    const bucket = await fetch(`${first.server.s3Endpoint}/my-bucket?list-type=2`);
    expect(bucket.status).toBe(200);
    await first.server.stop();
    await first.server.stop();

    const second = await start(dataDir);
    expect(second.out.text()).toBe('');
    const again = await fetch(`${second.server.url}/v1/me`, { headers: { authorization: `Token ${token}` } });
    expect(again.status).toBe(200);
  });

  it('makes SQUIDSHIP_BOOTSTRAP_TOKEN valid without printing it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'squidship-main-'));
    dirs.push(dataDir);
    const bootstrap = 'bootstrap_token_for_tests_000000001';
    const { server, out } = await start(dataDir, { SQUIDSHIP_BOOTSTRAP_TOKEN: bootstrap });
    expect(out.text()).not.toContain(bootstrap);
    expect(out.text()).toContain('SQUIDSHIP_BOOTSTRAP_TOKEN');
    const me = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Token ${bootstrap}` } });
    expect(me.status).toBe(200);
    const wrong = await fetch(`${server.url}/v1/me`, { headers: { authorization: 'Token bootstrap_token_for_tests_000000002' } });
    expect(wrong.status).toBe(401);
  });

  it('retires the bootstrap token at a restart without SQUIDSHIP_BOOTSTRAP_TOKEN, or with another one', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'squidship-main-'));
    dirs.push(dataDir);
    const meStatus = async (url: string | null, token: string) => (await fetch(`${url}/v1/me`, { headers: { authorization: `Token ${token}` } })).status;
    const first = 'bootstrap_token_for_tests_000000001';
    const second = 'bootstrap_token_for_tests_000000002';
    const one = await start(dataDir, { SQUIDSHIP_BOOTSTRAP_TOKEN: first });
    expect(await meStatus(one.server.url, first)).toBe(200);
    await one.server.stop();
    const two = await start(dataDir, { SQUIDSHIP_BOOTSTRAP_TOKEN: second });
    expect(await meStatus(two.server.url, first)).toBe(401);
    expect(await meStatus(two.server.url, second)).toBe(200);
    await two.server.stop();
    const three = await start(dataDir);
    expect(await meStatus(three.server.url, second)).toBe(401);
  });

  it('refuses a bootstrap token shorter than 32 characters', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'squidship-main-'));
    dirs.push(dataDir);
    await expect(start(dataDir, { SQUIDSHIP_BOOTSTRAP_TOKEN: 'a'.repeat(31) })).rejects.toThrow(/SQUIDSHIP_BOOTSTRAP_TOKEN is invalid: set 32 to 200/);
  });

  it('creates the data folder 0700 and the database files 0600', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'squidship-main-'));
    dirs.push(parent);
    const dataDir = join(parent, 'data');
    await start(dataDir);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    for (const file of ['squidship.db', 'squidship.db-wal', 'squidship.db-shm', 'secret.key']) {
      expect({ file, mode: (await stat(join(dataDir, file))).mode & 0o777 }).toEqual({ file, mode: 0o600 });
    }
  });

  it('stops with a clear error when the embedded S3 port is taken', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'squidship-main-'));
    dirs.push(dataDir);
    const { server } = await start(dataDir);
    const port = new URL(server.s3Endpoint ?? '').port;
    const other = await mkdtemp(join(tmpdir(), 'squidship-main-'));
    dirs.push(other);
    await expect(start(other, { SQUIDSHIP_EMBEDDED_S3_PORT: port })).rejects.toThrow(/port is in use.*SQUIDSHIP_EMBEDDED_S3_PORT/);
  });

  it('has the embedded endpoint on a fixed port serving once the start returns (it boots beside the app)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'squidship-main-'));
    dirs.push(dataDir);
    const free = await holdPort();
    await free.close();
    const { server } = await start(dataDir, { SQUIDSHIP_EMBEDDED_S3_PORT: String(free.port) });
    expect(server.s3Endpoint).toBe(`http://127.0.0.1:${free.port}`);
    expect((await fetch(`${server.s3Endpoint}/my-bucket?list-type=2`)).status).toBe(200);
  });

  it('stops the embedded endpoint it began when the start fails while it boots (its port is free again)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'squidship-main-'));
    dirs.push(dataDir);
    // A stored secret under another key: the start fails at the key check, after the embedded
    // endpoint's process was spawned and before anything waited for it.
    const store = await createStore({ databaseUrl: null, dataDir, secretBox: createSecretBox(randomBytes(32)) });
    await store.migrate();
    const { squid } = await createAccountWithSquid(store, 'keyed');
    await store.putDestination(squid.id, 's3', true, s3Config(), Date.now());
    await store.close();
    const free = await holdPort();
    await free.close();
    const env = { SQUIDSHIP_SECRET_KEY: randomBytes(32).toString('hex'), SQUIDSHIP_EMBEDDED_S3_PORT: String(free.port) };
    await expect(start(dataDir, env)).rejects.toThrow(/secret key does not decrypt/);
    // Its process is gone, not left booting (it would bind the port after this test), and the port is free.
    expect(listProcessesMentioning(join(dataDir, 's3'))).toEqual([]);
    await (await holdPort(free.port)).close();
  });
});
