// The SQLite store's WAL checkpoints on a worker thread: rows an ingest committed reach the
// database file without the store's connection checkpointing, the WAL stays bounded under a
// stream of commits, close leaves a whole database, and a failed thread hands checkpoints back.
import Sqlite from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import { MAIN_THREAD_AUTOCHECKPOINT_PAGES, startWalCheckpointer, WAL_LIMIT_BYTES, type WalCheckpointer } from '../../src/storage/sqlite/wal-checkpointer.js';
import { testSecretBox } from '../helpers/temp-store.js';
import { createAccountWithSquid, pushRows } from './store-fixtures.js';
import { pollUntil } from '../helpers/poll-until.js';

const MIB = 1024 * 1024;

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'squidship-wal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fileBytes(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** About 1 KiB of JSON a row, each row distinct. */
function makeObjects(count: number): object[] {
  return Array.from({ length: count }, (_, index) => ({ index, text: `row ${index} `.padEnd(1000, 'x') }));
}

describe('SQLite store: WAL checkpoints on a thread', () => {
  it('copies an ingest\'s rows into the database file, and close leaves a whole database', async () => {
    const filePath = join(dir, 'squidship.db');
    const store = await createSqliteStore({ filePath, secretBox: testSecretBox() });
    await store.migrate();
    const { account, squid } = await createAccountWithSquid(store);
    const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 });
    const emptyBytes = fileBytes(filePath);

    // About 5 MiB of rows: far below the 10,000 pages at which the store's own connection would
    // checkpoint, so only the thread moves them out of the WAL.
    await pushRows(store, run.id, makeObjects(5000));
    await pollUntil(() => fileBytes(filePath) > emptyBytes + 4 * MIB, { timeoutMs: 15_000, what: 'the rows to be in the database file' });

    await Promise.all([store.close(), store.close()]);
    await store.close();
    expect(fileBytes(`${filePath}-wal`)).toBe(0);
    const reader = new Sqlite(filePath, { readonly: true });
    try {
      expect(reader.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(reader.prepare('SELECT count(*) AS n FROM results').get()).toEqual({ n: 5000 });
    } finally {
      reader.close();
    }
  });
});

describe('startWalCheckpointer', () => {
  let raw: Sqlite.Database | null = null;
  let checkpointer: WalCheckpointer | null = null;
  afterEach(async () => {
    await checkpointer?.close();
    raw?.close();
    checkpointer = null;
    raw = null;
  });

  function openRaw(filePath: string): Sqlite.Database {
    const db = new Sqlite(filePath);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${MAIN_THREAD_AUTOCHECKPOINT_PAGES}`);
    db.exec('CREATE TABLE pages (body BLOB)');
    return db;
  }

  it('keeps the WAL bounded while commits keep coming', async () => {
    const filePath = join(dir, 'bounded.db');
    const db = (raw = openRaw(filePath));
    const failures: Error[] = [];
    const started = (checkpointer = startWalCheckpointer({ raw: db, filePath, busyTimeoutMs: 5000, onFailure: (error) => failures.push(error) }));
    const insert = db.prepare('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO pages (body) SELECT randomblob(4000) FROM n');
    let largestWalBytes = 0;
    // 30 commits of about 4 MiB: 120 MiB through a WAL whose limit is 10,000 pages (40 MiB).
    for (let commit = 0; commit < 30; commit += 1) {
      await started.beforeWrite();
      insert.run();
      started.afterCommit();
      largestWalBytes = Math.max(largestWalBytes, fileBytes(`${filePath}-wal`));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(failures).toEqual([]);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // The limit and the commit that crossed it, however fast the checkpoints run: each commit
    // that finds the WAL file past the limit makes the next one wait.
    expect(largestWalBytes).toBeLessThan(WAL_LIMIT_BYTES + 5 * MIB);
    // The last checkpoint runs on the thread after the last commit: wait for it, not a snapshot.
    await pollUntil(() => fileBytes(filePath) > 60 * MIB, { timeoutMs: 15_000, what: () => `the database file to pass 60 MiB (${fileBytes(filePath)} bytes)` });
  });

  it('lets writes go on past the limit while a reader\'s snapshot holds the WAL, and starts it over after', async () => {
    const filePath = join(dir, 'held.db');
    const db = (raw = openRaw(filePath));
    const started = (checkpointer = startWalCheckpointer({ raw: db, filePath, busyTimeoutMs: 5000, onFailure: (error) => expect.fail(error.message) }));
    await pollUntil(() => db.pragma('wal_autocheckpoint', { simple: true }) === 0, { timeoutMs: 15_000, what: 'the thread to be ready' });
    const insert = db.prepare('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO pages (body) SELECT randomblob(4000) FROM n');
    const reader = new Sqlite(filePath, { readonly: true });
    try {
      // An open read transaction: no checkpoint can copy a frame committed after its snapshot.
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM pages').get();
      // 15 commits of about 4 MiB: past the 40 MiB limit, which no checkpoint can bring back now.
      for (let commit = 0; commit < 15; commit += 1) {
        await started.beforeWrite();
        insert.run();
        started.afterCommit();
      }
      expect(fileBytes(`${filePath}-wal`)).toBeGreaterThan(WAL_LIMIT_BYTES);
      reader.exec('COMMIT');
    } finally {
      reader.close();
    }
    // The reader gone, a checkpoint copies every frame and the next commits start the WAL over:
    // the first of them cuts its file back to the limit (journal_size_limit).
    await pollUntil(
      async () => {
        await started.beforeWrite();
        insert.run();
        started.afterCommit();
        return fileBytes(`${filePath}-wal`) <= WAL_LIMIT_BYTES;
      },
      { timeoutMs: 15_000, what: () => `the WAL file to be cut back (${fileBytes(`${filePath}-wal`)} bytes)` },
    );
  });

  it('hands checkpoints back to the store\'s connection when the thread fails', async () => {
    const filePath = join(dir, 'store.db');
    const db = (raw = openRaw(filePath));
    db.pragma('wal_autocheckpoint = 0');
    const failure = new Promise<Error>((resolve) => {
      // The thread opens a file that does not exist (fileMustExist) and fails at start.
      checkpointer = startWalCheckpointer({ raw: db, filePath: join(dir, 'missing.db'), busyTimeoutMs: 100, onFailure: resolve });
    });
    const error = await failure;
    expect(error.message).toMatch(/unable to open|missing\.db|no such file/i);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(MAIN_THREAD_AUTOCHECKPOINT_PAGES);
    expect(checkpointer!.beforeWrite()).toBeNull();
    await checkpointer!.close();
    await checkpointer!.close();
  });
});
