// The embedded store: one SQLite file (WAL) through better-sqlite3. SQLite has a single
// writer, so every write transaction starts with BEGIN IMMEDIATE (it takes the write lock at
// once, and busy_timeout makes other processes wait for it instead of failing mid-way).
// That wait is synchronous: it blocks the event loop, every request with it. The server keeps it
// short (SQUIDSHIP_SQLITE_BUSY_TIMEOUT_MS, 50 ms) and answers 503 DatabaseBusy past it; CLI
// commands, which serve nobody meanwhile, wait the default 5 s.
import { EventEmitter } from 'node:events';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteDialect, sql } from 'kysely';
import { runMigrations } from '../migrations/run-migrations.js';
import type { SecretBox } from '../secret-box.js';
import type { IngestRow, Store } from '../store.js';
import { createKyselyStore } from '../kysely/create-kysely-store.js';
import type { Database } from '../kysely/database.js';
import { toHashKey, type DialectOps } from '../kysely/dialect-ops.js';
import { planSqliteResultTexts, sqliteResultExportOps } from './result-export-ops.js';
import { createStatementCache, type CachingSqliteDatabase } from './statement-cache.js';
import { MAIN_THREAD_AUTOCHECKPOINT_PAGES, startWalCheckpointer, WAL_LIMIT_BYTES, type WalCheckpointer } from './wal-checkpointer.js';

/** The wait of CLI commands and migrations, and of the threads' own connections (off the loop). */
const BUSY_TIMEOUT_MS = 5000;
const WAKEUP_EVENT = 'deliveries';

/**
 * Kysely's SQLite adapter takes no migration lock (one connection per process). Ours opens
 * BEGIN IMMEDIATE, so that two processes migrating one file take turns, and commits after.
 */
class LockingSqliteAdapter extends SqliteAdapter {
  constructor(private readonly raw: SqliteDatabase.Database) {
    super();
  }
  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`begin immediate`.execute(db);
  }
  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    if (this.raw.inTransaction) await sql`commit`.execute(db);
  }
}

class LockingSqliteDialect extends SqliteDialect {
  constructor(
    private readonly raw: SqliteDatabase.Database,
    statements: CachingSqliteDatabase,
  ) {
    super({ database: statements });
  }
  override createAdapter(): SqliteAdapter {
    return new LockingSqliteAdapter(this.raw);
  }
}

function openDatabase(filePath: string, busyTimeoutMs: number): SqliteDatabase.Database {
  mkdirSync(dirname(filePath), { recursive: true, mode: 0o700 });
  // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the same mode.
  closeSync(openSync(filePath, 'a', 0o600));
  const raw = new SqliteDatabase(filePath);
  raw.pragma('journal_mode = WAL');
  raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
  raw.pragma('foreign_keys = ON');
  // NORMAL in WAL mode: durable against process crashes, may lose the last commits on power loss.
  raw.pragma('synchronous = NORMAL');
  // Until the store first ingests rows (and from then on in a thread, wal-checkpointer.ts).
  raw.pragma(`wal_autocheckpoint = ${MAIN_THREAD_AUTOCHECKPOINT_PAGES}`);
  // A WAL that grew past this (a long export's snapshot kept it from starting over) is cut
  // back to it when it next starts over, instead of keeping its largest size on disk. The
  // checkpoint thread's limit, which reads the WAL's size from its file (wal-checkpointer.ts).
  raw.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
  return raw;
}

/**
 * Rows per INSERT: one call into SQLite per 50 rows instead of per row (appends went 12% faster).
 * The rows of one INSERT get consecutive seqs (each rowid is the table's max + 1, and the write
 * lock is ours), so the first is the last minus 49.
 */
const ROWS_PER_STATEMENT = 50;
const RESULT_COLUMNS = '(run_seq, squid_seq, ingest_seq, row_hash, hash_key, scraping_time, data)';

interface ResultInserts {
  one: SqliteDatabase.Statement;
  many: SqliteDatabase.Statement;
}

function prepareResultInserts(raw: SqliteDatabase.Database): ResultInserts {
  // data: a row's UTF-8 bytes when it has them (bound as a BLOB, cast to the TEXT of exactly
  // those bytes: better-sqlite3 does not encode a string that was never decoded), else its text.
  const tuple = '(?, ?, ?, ?, ?, ?, CAST(? AS TEXT))';
  return {
    one: raw.prepare(`INSERT INTO results ${RESULT_COLUMNS} VALUES ${tuple}`),
    many: raw.prepare(`INSERT INTO results ${RESULT_COLUMNS} VALUES ${Array(ROWS_PER_STATEMENT).fill(tuple).join(', ')}`),
  };
}

export interface SqliteStoreOptions {
  filePath: string;
  secretBox: SecretBox;
  /** How long the store's writes wait for another process's write lock (default 5 s). */
  busyTimeoutMs?: number;
}

export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  const raw = openDatabase(options.filePath, busyTimeoutMs);
  const statements = createStatementCache(raw);
  const db = new Kysely<Database>({ dialect: new LockingSqliteDialect(raw, statements) });
  const wakeups = new EventEmitter();
  // Prepared once (after migrate() made the table): ingestion inserts rows with no SQL to compile.
  let insertResults: ResultInserts | null = null;
  let closing: Promise<void> | null = null;
  // Started by the first ingestion: stores that never ingest rows (CLI commands, most tests)
  // start no thread, and their few small commits are checkpointed on the connection.
  let checkpointer: WalCheckpointer | null = null;
  const startCheckpointer = (): WalCheckpointer =>
    startWalCheckpointer({
      raw,
      filePath: options.filePath,
      busyTimeoutMs: BUSY_TIMEOUT_MS,
      onFailure: (error) => {
        process.emitWarning(`${error.message}; SQLite checkpoints on the store's connection again (wal_autocheckpoint = ${MAIN_THREAD_AUTOCHECKPOINT_PAGES})`, { code: 'SQUIDSHIP_WAL_CHECKPOINTER_FAILED' });
      },
    });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any of our Kysely instances
  const rollback = async (conn: Kysely<any>): Promise<void> => {
    if (raw.inTransaction) await sql`rollback`.execute(conn);
  };

  const ops: DialectOps = {
    dialect: 'sqlite',
    rowLocks: false,
    db,
    // Kysely's SQLite driver hands out its one connection to one caller at a time, so holding
    // it for the transaction also keeps this process's other queries out until commit.
    async transaction(work) {
      await checkpointer?.beforeWrite();
      return db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const result = await work(conn);
          await sql`commit`.execute(conn);
          checkpointer?.afterCommit();
          return result;
        } catch (error) {
          await rollback(conn);
          throw error;
        }
      });
    },
    ...sqliteResultExportOps(db),
    planResultTextsThread: (runId, { unique, batchSize }) =>
      planSqliteResultTexts(db, { filePath: options.filePath, busyTimeoutMs: BUSY_TIMEOUT_MS, runId, unique, batchSize }),
    async insertResultRows(_trx, target, rows) {
      // Called inside ops.transaction, which holds the connection: these synchronous
      // statements run on it, inside the open transaction.
      insertResults ??= prepareResultInserts(raw);
      checkpointer ??= startCheckpointer();
      const values: unknown[] = [];
      const push = (row: IngestRow) => {
        values.push(target.runSeq, target.squidSeq, target.ingestSeq, row.rowHash, toHashKey(row.rowHash), row.scrapingTimeMs, row.dataBytes ?? row.data);
      };
      let first = 0;
      let last = 0;
      let start = 0;
      for (; start + ROWS_PER_STATEMENT <= rows.length; start += ROWS_PER_STATEMENT) {
        values.length = 0;
        for (let index = start; index < start + ROWS_PER_STATEMENT; index += 1) push(rows[index]!);
        last = Number(insertResults.many.run(values).lastInsertRowid);
        if (first === 0) first = last - ROWS_PER_STATEMENT + 1;
      }
      for (; start < rows.length; start += 1) {
        values.length = 0;
        push(rows[start]!);
        last = Number(insertResults.one.run(values).lastInsertRowid);
        if (first === 0) first = last;
      }
      return { first, last };
    },
    notifyDeliveriesInTransaction: async () => {},
    notifyDeliveriesCommitted: () => {
      wakeups.emit(WAKEUP_EVENT);
    },
    async subscribeDeliveryWakeups(listener) {
      wakeups.on(WAKEUP_EVENT, listener);
      return async () => {
        wakeups.off(WAKEUP_EVENT, listener);
      };
    },
    isUniqueViolation: (error) =>
      error instanceof Error && 'code' in error && (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'),
    async migrate() {
      // At start, before any request: two processes migrating one file take turns on the lock.
      raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      try {
        await runMigrations(db, rollback);
      } finally {
        raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
      }
    },
    close() {
      closing ??= (async () => {
        wakeups.removeAllListeners();
        await db.destroy();
        // After the store's connection: the thread's TRUNCATE checkpoint is then the last one.
        await checkpointer?.close();
      })();
      return closing;
    },
  };
  return createKyselyStore(ops, options.secretBox);
}
