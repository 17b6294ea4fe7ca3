// The WAL checkpoint thread (started by wal-checkpointer.ts): its own connection to the store's
// file, which only ever runs `PRAGMA wal_checkpoint`: it copies committed pages from the WAL into
// the database file and never writes a row. PASSIVE takes no lock that the writer waits for.
import { workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { openParentPort } from '../../runtime/thread-port.js';
import type { CheckpointReply, CheckpointRequest, CheckpointThreadData } from './wal-checkpointer.js';

const { filePath, busyTimeoutMs, idleCheckpointMs } = workerData as CheckpointThreadData;

// First: opening the database may already fail, and that failure goes through the port.
const port = openParentPort<CheckpointRequest, CheckpointReply>('wal-checkpoint-thread.ts', (request) => handleRequest(request));

function fail(error: unknown): void {
  clearInterval(idleTimer);
  port.fail(error);
}

function openDatabase(): SqliteDatabase.Database | null {
  try {
    // fileMustExist: the store opened (and so created) the file first; a missing file is a wrong path.
    const opened = new SqliteDatabase(filePath, { fileMustExist: true });
    opened.pragma(`busy_timeout = ${busyTimeoutMs}`);
    return opened;
  } catch (error) {
    fail(error);
    return null;
  }
}

let idleTimer: NodeJS.Timeout | undefined;
const db = openDatabase();

type CheckpointMode = 'PASSIVE' | 'TRUNCATE';

function checkpoint(mode: CheckpointMode): CheckpointReply {
  if (db === null) throw new Error('the database is not open');
  // One row: busy (1 if a lock kept it from finishing), log (frames in the WAL), checkpointed
  // (frames now in the database file).
  const [row] = db.pragma(`wal_checkpoint(${mode})`) as Array<{ busy: number; log: number; checkpointed: number }>;
  if (row === undefined) throw new Error(`PRAGMA wal_checkpoint(${mode}) answered no row`);
  return { type: 'checkpointed', busy: row.busy, logFrames: row.log, checkpointedFrames: row.checkpointed };
}

function checkpointWhenIdle(): void {
  try {
    checkpoint('PASSIVE');
  } catch (error) {
    fail(error);
  }
}

// Writes that do not tell the thread (small ones outside ingestion) are checkpointed by this
// timer. A PASSIVE checkpoint of a WAL that holds nothing new costs a lock and a read.
if (db !== null) idleTimer = setInterval(checkpointWhenIdle, idleCheckpointMs);

function handleRequest(request: CheckpointRequest): void {
  try {
    if (request.type === 'checkpoint') {
      port.reply(checkpoint('PASSIVE'));
      return;
    }
    // close: the store's connection has closed, so TRUNCATE empties the WAL file; closing
    // this last connection then deletes it.
    clearInterval(idleTimer);
    const reply = checkpoint('TRUNCATE');
    db!.close();
    port.reply(reply);
    port.close();
  } catch (error) {
    fail(error);
  }
}

if (db !== null) port.reply({ type: 'ready' });
