// `squidship token list` and `token revoke` on a data folder the CLI and a server share.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import type { Store } from '../../src/storage/store.js';
import { testSecretBox } from '../helpers/temp-store.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { linesOf, runCliInProcess } from './run-cli-in-process.js';

describe('squidship token list and token revoke', () => {
  let dataDir: string;
  let server: TestServer | null = null;
  let store: Store | null = null;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'squidship-cli-'));
  });
  afterEach(async () => {
    await server?.close();
    await store?.close();
    server = null;
    store = null;
    await rm(dataDir, { recursive: true, force: true });
  });

  async function createToken(account?: string): Promise<string> {
    const result = await runCliInProcess(['token', 'create', ...(account === undefined ? [] : ['--account', account])], { SQUIDSHIP_DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    return result.stdout.trim();
  }

  async function listTokens(): Promise<string[][]> {
    const result = await runCliInProcess(['token', 'list'], { SQUIDSHIP_DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    return linesOf(result.stdout).map((line) => line.split(/ {2,}/));
  }

  async function serveDataDir(): Promise<TestServer> {
    store = await createSqliteStore({ filePath: join(dataDir, 'squidship.db'), secretBox: testSecretBox() });
    server = await startTestServer({ store });
    return server;
  }

  it('lists each token\'s id, account, creation and last use, and never the token', async () => {
    const first = await createToken();
    const second = await createToken('acme');
    const api = await serveDataDir();
    expect((await api.request('GET', '/v1/me', undefined, { authorization: `Token ${second}` })).status).toBe(200);

    const [header, ...rows] = await listTokens();
    expect(header).toEqual(['ID', 'ACCOUNT', 'CREATED', 'LAST USED']);
    // The test server issued a third token for the default account.
    expect(rows).toHaveLength(3);
    const acme = rows.find((row) => row[1] === 'acme');
    expect(acme?.[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(acme?.[2]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(acme?.[3]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(rows.filter((row) => row[1] === 'default').map((row) => row[3])).toContain('never');
    const listed = (await runCliInProcess(['token', 'list'], { SQUIDSHIP_DATA_DIR: dataDir })).stdout;
    expect(listed).not.toContain(first);
    expect(listed).not.toContain(second);
  });

  it('revokes a token by id: a server that has not seen it refuses it at once', async () => {
    await createToken();
    const token = await createToken('acme');
    const acmeId = (await listTokens()).find((row) => row[1] === 'acme')?.[0] ?? '';
    const revoked = await runCliInProcess(['token', 'revoke', acmeId], { SQUIDSHIP_DATA_DIR: dataDir });
    expect(revoked.code).toBe(0);
    expect(linesOf(revoked.stderr)).toEqual([`squidship: revoked token ${acmeId}; running servers refuse it within 5 seconds`]);
    expect((await listTokens()).find((row) => row[1] === 'acme')).toBeUndefined();
    const api = await serveDataDir();
    const me = await api.request('GET', '/v1/me', undefined, { authorization: `Token ${token}` });
    expect(me.status).toBe(401);
  });

  it('exits 1 for an unknown id and 2 without one', async () => {
    await createToken();
    const unknown = await runCliInProcess(['token', 'revoke', 'f'.repeat(32)], { SQUIDSHIP_DATA_DIR: dataDir });
    expect(unknown.code).toBe(1);
    expect(linesOf(unknown.stderr)).toEqual([`squidship: no token with id ${'f'.repeat(32)} (squidship token list shows the ids)`]);
    const missing = await runCliInProcess(['token', 'revoke'], { SQUIDSHIP_DATA_DIR: dataDir });
    expect(missing.code).toBe(2);
  });
});
