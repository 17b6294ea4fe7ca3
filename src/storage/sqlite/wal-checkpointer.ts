// SQLite's WAL checkpoints on a worker thread (wal-checkpoint-thread.ts) instead of on the
// store's connection. better-sqlite3 is synchronous, so an automatic checkpoint (copying the
// WAL's pages into the database file, with its fsyncs) ran inside the commit of whichever write
// crossed wal_autocheckpoint, on the main thread: about 45% of the store's time while ingesting.
// The thread checkpoints after each write transaction commits, beside the main thread's next one.
import { statSync } from 'node:fs';
import { startSiblingWorker } from '../../runtime/start-worker.js';
import { connectThread, type ThreadPort } from '../../runtime/thread-port.js';
import type SqliteDatabase from 'better-sqlite3';

/** What the thread is started with. */
export interface CheckpointThreadData {
  filePath: string;
  busyTimeoutMs: number;
  idleCheckpointMs: number;
}

export type CheckpointRequest = { type: 'checkpoint' } | { type: 'close' };

/** A failure comes as the thread port's error. */
export type CheckpointReply = { type: 'ready' } | { type: 'checkpointed'; busy: number; logFrames: number; checkpointedFrames: number };

/**
 * The main connection's automatic checkpoint whenever the thread is not running (before it is
 * ready, after it failed): every 10,000 pages (40 MiB of WAL). A commit of a small ingest dirties
 * about one run_hashes page per new hash, and rare checkpoints copy each such page once for
 * many commits (1,000-row ingests went 25% faster than with SQLite's default of 1,000).
 */
export const MAIN_THREAD_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * A checkpoint copies frames only up to the oldest reader's snapshot, and the writer starts the
 * WAL over only when every frame has been copied. Under a steady stream of commits the WAL could
 * so grow without end; once a commit takes it past this size, the next write transaction waits
 * for a checkpoint to copy every frame, and so starts the WAL over. The size of the WAL file
 * tells when: it is also the connection's journal_size_limit, so the first commit of a WAL started
 * over cuts the file back to it, and from then on the file is larger only if the WAL is. (The
 * frame counts a checkpoint reports are those of when it began: a writer faster than the
 * checkpoints went 1 to 2 checkpoints' worth of commits past the limit, 87 MiB for this 40 MiB on
 * a busy machine.) 10,000 pages of 4 KiB, as MAIN_THREAD_AUTOCHECKPOINT_PAGES.
 */
export const WAL_LIMIT_BYTES = 40 * 1024 * 1024;

const IDLE_CHECKPOINT_MS = 1000;
const CLOSE_TIMEOUT_MS = 30_000;

export interface WalCheckpointer {
  /** After a write transaction on the main connection has committed. */
  afterCommit(): void;
  /** Null when a write may start now; else resolves when it may (the WAL is over its limit). */
  beforeWrite(): Promise<void> | null;
  /** Resolves once the thread has finished its final checkpoint (after a close()) and exited. */
  close(): Promise<void>;
}

export interface WalCheckpointerOptions {
  /** The store's connection: its wal_autocheckpoint is 0 while the thread runs. */
  raw: SqliteDatabase.Database;
  /** The database file the thread opens (the one `raw` has open). */
  filePath: string;
  busyTimeoutMs: number;
  /** Called once if the thread fails: checkpoints are back on `raw` by then. */
  onFailure(error: Error): void;
}

export function startWalCheckpointer(options: WalCheckpointerOptions): WalCheckpointer {
  const { raw } = options;
  const walPath = `${options.filePath}-wal`;
  raw.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
  const data: CheckpointThreadData = { filePath: options.filePath, busyTimeoutMs: options.busyTimeoutMs, idleCheckpointMs: IDLE_CHECKPOINT_MS };
  const worker = startSiblingWorker(import.meta.url, 'wal-checkpoint-thread', data);
  worker.unref();
  // eslint-disable-next-line prefer-const -- the handlers below need the port before it exists
  let port: ThreadPort<CheckpointRequest>;
  let ready = false;
  let failed = false;
  let closing: Promise<void> | null = null;
  let inFlight = false;
  let wanted = false;
  let overLimit = false;
  /** The last checkpoint left frames uncopied and copied none more than the one before. */
  let stalled = false;
  let lastCheckpointedFrames = -1;
  let waiters: Array<() => void> = [];

  const release = (): void => {
    for (const wake of waiters.splice(0)) wake();
  };
  const post = (): void => {
    inFlight = true;
    wanted = false;
    worker.ref();
    port.post({ type: 'checkpoint' });
  };
  const fail = (error: Error): void => {
    if (failed) return;
    failed = true;
    overLimit = false;
    release();
    void port.terminate();
    // After close() the store's connection is closed: the thread's final checkpoint failed,
    // and the WAL is left for the next open to recover (its commits are in it).
    if (raw.open) raw.pragma(`wal_autocheckpoint = ${MAIN_THREAD_AUTOCHECKPOINT_PAGES}`);
    options.onFailure(error);
  };

  const onReply = (reply: CheckpointReply): void => {
    if (reply.type === 'ready') {
      ready = true;
      if (closing === null && !failed) raw.pragma('wal_autocheckpoint = 0');
      if (wanted) post();
      return;
    }
    inFlight = false;
    worker.unref();
    if (closing !== null || failed) return;
    // Every frame copied and nothing committed since this checkpoint began: the next write
    // transaction starts the WAL over. Writers wait only while checkpoints make progress: a
    // reader's old snapshot can hold them back, and waiting for that reader gains nothing.
    const caughtUp = reply.checkpointedFrames === reply.logFrames && !wanted;
    stalled = !caughtUp && reply.checkpointedFrames === lastCheckpointedFrames;
    lastCheckpointedFrames = reply.checkpointedFrames;
    overLimit = !caughtUp && !stalled && walFileBytes(walPath) > WAL_LIMIT_BYTES;
    if (wanted || overLimit) post();
    if (!overLimit) release();
  };
  port = connectThread<CheckpointRequest, CheckpointReply>(worker, 'WAL checkpoint thread', { onReply, onFailure: fail });

  return {
    afterCommit() {
      if (failed || closing !== null) return;
      // Checked on each commit (a stat, ~2 µs), not only when a checkpoint reports: a writer
      // faster than the checkpoints would otherwise run on past the limit until the next report.
      if (ready && !stalled && !overLimit) overLimit = walFileBytes(walPath) > WAL_LIMIT_BYTES;
      if (ready && !inFlight) post();
      else wanted = true;
    },
    beforeWrite() {
      if (!overLimit || failed || closing !== null) return null;
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    close() {
      closing ??= closeWorker(port, failed).finally(() => {
        waiters = [];
      });
      release();
      return closing;
    },
  };
}

function walFileBytes(walPath: string): number {
  return statSync(walPath, { throwIfNoEntry: false })?.size ?? 0;
}

/** Asks the thread for its final TRUNCATE checkpoint and waits for it to exit; stops it if it hangs. */
async function closeWorker(port: ThreadPort<CheckpointRequest>, failed: boolean): Promise<void> {
  const { worker } = port;
  worker.ref();
  port.expectExit();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  if (failed) {
    await port.terminate();
    return;
  }
  port.post({ type: 'close' });
  const timer = setTimeout(() => void port.terminate(), CLOSE_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
