// `squidship token create` with the default data folder (./data under the current folder) needs
// the database there: from another folder it says where it looked instead of creating one.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from './run-cli-in-process.js';

describe('squidship token create outside a data folder', () => {
  let cwd: string;
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'squidship-cwd-'));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('exits 1 naming the database it looked for, and creates nothing', async () => {
    const result = await runCliInProcess(['token', 'create'], {}, cwd);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `squidship: no database at ${join(cwd, 'data', 'squidship.db')} (the default data folder is ./data under the current folder, ${cwd}) ` +
      '(run token create in the folder you run squidship serve in, or set SQUIDSHIP_DATA_DIR (or SQUIDSHIP_DATABASE_URL) as the server has it; ' +
      'to start a new database there, run squidship migrate first)\n',
    );
    expect(await readdir(cwd)).toEqual([]);
  });

  it('issues a token once the default data folder holds a database', async () => {
    const migrated = await runCliInProcess(['migrate'], {}, cwd);
    expect(migrated.code).toBe(0);
    const result = await runCliInProcess(['token', 'create'], {}, cwd);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[0-9a-f]{40}\n$/);
  });

  it('creates the database in a data folder named explicitly, as before', async () => {
    const dataDir = join(cwd, 'chosen');
    await mkdir(dataDir);
    const result = await runCliInProcess(['token', 'create'], { SQUIDSHIP_DATA_DIR: dataDir }, cwd);
    expect(result.code).toBe(0);
    expect(await readdir(dataDir)).toContain('squidship.db');
  });
});
