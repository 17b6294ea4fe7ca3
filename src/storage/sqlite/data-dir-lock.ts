// One server per SQLite data folder: <dataDir>/squidship.lock holds the owner's pid. Two servers
// on one file would each wake only their own worker and fight over checkpoints. A lock whose pid
// is dead (a crash, a kill -9) is taken over, so it never blocks a restart.
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../domain/app-error.js';

export const LOCK_FILE_NAME = 'squidship.lock';

export interface DataDirLock {
  /** Removes the lock file; safe to call twice. */
  release(): Promise<void>;
}

/** Lock files this process holds: its own pid in a lock file is then not stale. */
const heldPaths = new Set<string>();

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE_NAME);
  // The second pass follows the removal of a stale lock.
  for (let pass = 0; pass < 2; pass += 1) {
    if (await tryCreateLockFile(path)) return createRelease(path);
    const ownerPid = await readOwnerPid(path);
    if (ownerPid !== null && (ownerPid === process.pid ? heldPaths.has(path) : isProcessAlive(ownerPid))) {
      throw new AppError('DataDirLocked', `${dataDir} is in use by another Squidship (pid ${ownerPid})`, {
        hint: 'stop it first, or set another SQUIDSHIP_DATA_DIR; several processes can share a PostgreSQL database (SQUIDSHIP_DATABASE_URL)',
      });
    }
    await removeIfPresent(path);
  }
  throw new AppError('DataDirLocked', `${path} keeps coming back: another Squidship is starting on ${dataDir}`);
}

async function tryCreateLockFile(path: string): Promise<boolean> {
  try {
    await writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  heldPaths.add(path);
  return true;
}

function createRelease(path: string): DataDirLock {
  let releasing: Promise<void> | null = null;
  return {
    release() {
      releasing ??= (async () => {
        heldPaths.delete(path);
        await removeIfPresent(path);
      })();
      return releasing;
    },
  };
}

/** The pid in the file, or null when it holds none (a crash between create and write). */
async function readOwnerPid(path: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
