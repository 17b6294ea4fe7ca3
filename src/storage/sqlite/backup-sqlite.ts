// An online, consistent copy of the SQLite database (SQLite's backup API through better-sqlite3):
// a running server keeps writing while it copies, and the copy is one point in time.
import { rename, rm } from 'node:fs/promises';
import SqliteDatabase from 'better-sqlite3';
import { AppError } from '../../domain/app-error.js';

/** Copies `databasePath` to `targetPath`; the target appears only once it is complete. */
export async function backupSqliteDatabase(databasePath: string, targetPath: string): Promise<{ bytes: number }> {
  let source: SqliteDatabase.Database;
  try {
    source = new SqliteDatabase(databasePath, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new AppError('DatabaseNotFound', `there is no Squidship database at ${databasePath}`, {
      cause: error,
      hint: 'run the command where the server runs, or set SQUIDSHIP_DATA_DIR to its data folder',
    });
  }
  const partialPath = `${targetPath}.partial`;
  try {
    // A busy writer makes a backup step wait, not fail.
    source.pragma('busy_timeout = 5000');
    await source.backup(partialPath);
    await rename(partialPath, targetPath);
  } catch (error) {
    await rm(partialPath, { force: true });
    throw error;
  } finally {
    source.close();
  }
  const copy = new SqliteDatabase(targetPath, { readonly: true, fileMustExist: true });
  try {
    const pages = copy.pragma('page_count', { simple: true }) as number;
    const pageBytes = copy.pragma('page_size', { simple: true }) as number;
    return { bytes: pages * pageBytes };
  } finally {
    copy.close();
  }
}
