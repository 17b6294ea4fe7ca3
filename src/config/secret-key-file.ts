// The key that encrypts secrets at rest: SQUIDSHIP_SECRET_KEY when set, else <dataDir>/secret.key,
// generated on first use. The file holds the 32 bytes as base64 and is readable by its owner only.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, type Config } from './config.js';

/** AES-256-GCM (storage/secret-box.ts) takes a 256-bit key. */
const KEY_BYTES = 32;

export const SECRET_KEY_FILE_NAME = 'secret.key';

export function secretKeyFilePath(dataDir: string): string {
  return join(dataDir, SECRET_KEY_FILE_NAME);
}

/**
 * Returns config.secretKey when set; else reads <dataDir>/secret.key, creating it (and dataDir)
 * with 32 random bytes on first use. Throws ConfigError when the file does not hold a valid key.
 */
export async function loadSecretKey(config: Config): Promise<Buffer> {
  if (config.secretKey !== null) return config.secretKey;
  const path = secretKeyFilePath(config.dataDir);
  const existing = await readKeyFile(path);
  if (existing !== null) return existing;
  await mkdir(config.dataDir, { recursive: true });
  await createKeyFile(path);
  // Read back rather than return what we wrote: another process may have won the race.
  const created = await readKeyFile(path);
  if (created === null) throw new Error(`${path} disappeared right after it was created`);
  return created;
}

async function readKeyFile(path: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new ConfigError([
      `${path} does not hold a ${KEY_BYTES}-byte base64 key (found ${key.length} bytes): ` +
        'restore the original file, or set SQUIDSHIP_SECRET_KEY to the key the stored secrets were encrypted with',
    ]);
  }
  return key;
}

/**
 * Writes a temp file and hard-links it into place: link() fails when the name exists, so two
 * processes starting at once never see a half-written key or overwrite each other's.
 */
async function createKeyFile(path: string): Promise<void> {
  const tempPath = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tempPath, randomBytes(KEY_BYTES).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  try {
    await link(tempPath, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(tempPath);
  }
}
