import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config/config.js';
import { loadSecretKey } from '../../src/config/secret-key-file.js';

describe('loadSecretKey', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'squidship-key-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const configFor = (env: Record<string, string> = {}): Config => loadConfig({ SQUIDSHIP_DATA_DIR: join(dir, 'data'), ...env }, dir);

  it('generates a 32-byte key into <dataDir>/secret.key with mode 0600, creating dataDir, then reuses it', async () => {
    const key = await loadSecretKey(configFor());
    expect(key).toHaveLength(32);
    const path = join(dir, 'data', 'secret.key');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64').equals(key)).toBe(true);

    const again = await loadSecretKey(configFor());
    expect(again.equals(key)).toBe(true);
  });

  it('gives every process starting at once the same key', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadSecretKey(configFor())));
    for (const key of keys) expect(key.equals(keys[0]!)).toBe(true);
  });

  it('returns SQUIDSHIP_SECRET_KEY when set and writes no file', async () => {
    const hex = 'ab'.repeat(32);
    const key = await loadSecretKey(configFor({ SQUIDSHIP_SECRET_KEY: hex }));
    expect(key.toString('hex')).toBe(hex);
    await expect(stat(join(dir, 'data', 'secret.key'))).rejects.toThrow(/ENOENT/);
  });

  it('rejects a file of the wrong length with an error naming the file', async () => {
    const path = join(dir, 'secret.key');
    await writeFile(path, Buffer.alloc(16).toString('base64'));
    const error = await loadSecretKey(loadConfig({ SQUIDSHIP_DATA_DIR: dir }, dir)).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `${path} does not hold a 32-byte base64 key (found 16 bytes): restore the original file, ` +
        'or set SQUIDSHIP_SECRET_KEY to the key the stored secrets were encrypted with',
    ]);
  });
});
