// What the database looks like to one connection, as a value that moves whenever anything may
// have changed: the statement cache gives a kept answer again while it has not moved.
//
// In WAL mode (the store's) every commit, by any connection of any process, rewrites the
// wal-index header at the start of the `-shm` file, and bumps its change counter: SQLite's own
// readers compare that header to see whether the database changed (https://www.sqlite.org/
// walformat.html, "the WAL-index header": two 48-byte copies, the second written first). So
// the version is read there, with one read of 96 bytes. `pragma data_version`, the other way,
// opens a read transaction, which locks and unlocks the `-shm` file (two fcntl calls). Measured
// under load on GET /v1/squids/{id} (A/B, two server processes each, alternating rounds): no
// version read at all would save ~4 µs of ~37 per request; this read saves ~2-2.5 µs. Anything
// unexpected in the header (the copies differ because a writer is mid-update, not initialised,
// a short read) counts as a change: the caller then reads the database again, never older.
// Without WAL or without the file, `data_version` and total_changes() are the version.
import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import type SqliteDatabase from 'better-sqlite3';

/** Equal values: nothing changed between the two reads. null inside a transaction. */
export type DatabaseVersion = string | number;

export interface DatabaseVersionReader {
  /** null inside a transaction: its changes may yet be rolled back. */
  read(): DatabaseVersion | null;
  /** Where the version comes from, known after the first read outside a transaction. */
  source(): 'wal-index' | 'data_version' | 'unknown';
  close(): void;
}

/** One copy of SQLite's WalIndexHdr; the file starts with two. */
const WAL_INDEX_HEADER_BYTES = 48;
/** WalIndexHdr.isInit: 1 once a connection has built the wal-index. */
const IS_INIT_OFFSET = 12;

export function createDatabaseVersionReader(raw: SqliteDatabase.Database): DatabaseVersionReader {
  let read: (() => DatabaseVersion) | null = null;
  let shmFd: number | null = null;
  return {
    read() {
      if (raw.inTransaction) return null;
      if (read === null) {
        shmFd = openWalIndex(raw);
        read = shmFd === null ? readDataVersion(raw) : readWalIndexHeader(shmFd);
      }
      return read();
    },
    source() {
      if (read === null) return 'unknown';
      return shmFd === null ? 'data_version' : 'wal-index';
    },
    close() {
      if (shmFd !== null) closeSync(shmFd);
      shmFd = null;
      read = () => {
        throw new Error('the database version reader is closed');
      };
    },
  };
}

/** The `-shm` file of a WAL database, open for reading; null when there is none to read. */
function openWalIndex(raw: SqliteDatabase.Database): number | null {
  if (raw.memory || String(raw.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return null;
  try {
    // SQLite names it after the database's real path (it resolves symbolic links).
    return openSync(`${realpathSync(raw.name)}-shm`, 'r');
  } catch {
    // Not there (another VFS, heap memory in exclusive locking mode): the pragma still works.
    return null;
  }
}

function readWalIndexHeader(fd: number): () => number {
  const both = Buffer.alloc(2 * WAL_INDEX_HEADER_BYTES);
  const seen = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  let seenValid = false;
  let epoch = 0;
  return () => {
    const bytes = readSync(fd, both, 0, both.length, 0);
    const settled = bytes === both.length && both[IS_INIT_OFFSET] === 1 &&
      both.compare(both, 0, WAL_INDEX_HEADER_BYTES, WAL_INDEX_HEADER_BYTES, 2 * WAL_INDEX_HEADER_BYTES) === 0;
    if (!settled) {
      seenValid = false;
      return ++epoch;
    }
    if (!seenValid || both.compare(seen, 0, WAL_INDEX_HEADER_BYTES, 0, WAL_INDEX_HEADER_BYTES) !== 0) {
      both.copy(seen, 0, 0, WAL_INDEX_HEADER_BYTES);
      seenValid = true;
      epoch += 1;
    }
    return epoch;
  };
}

/**
 * `data_version` moves when another connection (of this process or another) has committed,
 * total_changes() when this one has changed a row.
 */
function readDataVersion(raw: SqliteDatabase.Database): () => string {
  const dataVersion = raw.prepare('pragma data_version').pluck(true);
  const totalChanges = raw.prepare('select total_changes()').pluck(true);
  return () => `${String(dataVersion.get())}:${String(totalChanges.get())}`;
}
