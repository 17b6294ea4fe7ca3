import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import { testSecretBox } from '../helpers/temp-store.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { linesOf, runCliInProcess } from './run-cli-in-process.js';

describe('squidship token create and migrate', () => {
  let dataDir: string;
  let server: TestServer | null = null;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'squidship-cli-'));
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A server over the SQLite file the CLI wrote into dataDir. */
  async function serveDataDir(): Promise<TestServer> {
    const store = await createSqliteStore({ filePath: join(dataDir, 'squidship.db'), secretBox: testSecretBox() });
    const started = await startTestServer({ store });
    const close = started.close;
    server = { ...started, close: async () => { await close(); await store.close(); } };
    return server;
  }

  it('prints only a 40-hex token on stdout, and the token authenticates against the server', async () => {
    const result = await runCliInProcess(['token', 'create'], { SQUIDSHIP_DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[0-9a-f]{40}\n$/);
    expect(linesOf(result.stderr)).toEqual(['squidship: created an API token for account "default"']);
    const token = result.stdout.trim();

    const api = await serveDataDir();
    const me = await api.request('GET', '/v1/me', undefined, { authorization: `Token ${token}` });
    expect(me.status).toBe(200);
    expect(me.body.first_name).toBe('default');
    const wrong = await api.request('GET', '/v1/me', undefined, { authorization: `Token ${'0'.repeat(40)}` });
    expect(wrong.status).toBe(401);
  });

  it('creates the named account with --account, which sees only its own squids', async () => {
    // The default account is the oldest one; the test server's own token belongs to it.
    expect((await runCliInProcess(['token', 'create'], { SQUIDSHIP_DATA_DIR: dataDir })).code).toBe(0);
    const first = await runCliInProcess(['token', 'create', '--account', 'acme'], { SQUIDSHIP_DATA_DIR: dataDir });
    expect(first.code).toBe(0);
    expect(linesOf(first.stderr)).toEqual(['squidship: created an API token for account "acme"']);
    const second = await runCliInProcess(['token', 'create', '--account', 'acme'], { SQUIDSHIP_DATA_DIR: dataDir });
    expect(second.stdout.trim()).toMatch(/^[0-9a-f]{40}$/);
    expect(second.stdout).not.toBe(first.stdout);

    const api = await serveDataDir();
    const acme = { authorization: `Token ${first.stdout.trim()}` };
    const created = await api.request('POST', '/v1/squids', { name: 'acme squid' }, acme);
    expect(created.status).toBe(200);
    const sameAccount = await api.request('GET', `/v1/squids/${created.body.id}`, undefined, { authorization: `Token ${second.stdout.trim()}` });
    expect(sameAccount.status).toBe(200);
    const defaultAccount = await api.request('GET', `/v1/squids/${created.body.id}`);
    expect(defaultAccount.status).toBe(404);
  });

  it('migrate creates the database and the secret key file, and runs twice', async () => {
    for (let i = 0; i < 2; i++) {
      const result = await runCliInProcess(['migrate'], { SQUIDSHIP_DATA_DIR: dataDir });
      expect(result.code).toBe(0);
      expect(linesOf(result.stdout)).toEqual([`squidship: database migrated (SQLite in ${dataDir})`]);
    }
    expect((await stat(join(dataDir, 'squidship.db'))).isFile()).toBe(true);
    expect((await stat(join(dataDir, 'secret.key'))).mode & 0o777).toBe(0o600);
  });

  it('exits 1 naming the secret key file when it holds no valid key', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dataDir, 'secret.key'), 'c2hvcnQ=\n');
    const result = await runCliInProcess(['token', 'create'], { SQUIDSHIP_DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(linesOf(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain(`${join(dataDir, 'secret.key')} does not hold a 32-byte base64 key (found 5 bytes)`);
  });
});
