// The embedded store: one SQLite file (WAL) through better-sqlite3. SQLite has a single
// writer, so every write transaction starts with BEGIN IMMEDIATE (it takes the write lock at
// once, and busy_timeout makes other processes wait for it instead of failing mid-way).
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteDialect, sql } from 'kysely';
import { runMigrations } from '../migrations/run-migrations.js';
import type { SecretBox } from '../secret-box.js';
import type { Store } from '../store.js';
import { createKyselyStore } from '../kysely/create-kysely-store.js';
import type { Database } from '../kysely/database.js';
import { publishRowsInTwoSteps } from '../kysely/publish-ingest-rows.js';
import { toHashKey, type DialectOps } from '../kysely/dialect-ops.js';

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
  constructor(private readonly raw: SqliteDatabase.Database) {
    super({ database: raw });
  }
  override createAdapter(): SqliteAdapter {
    return new LockingSqliteAdapter(this.raw);
  }
}

function openDatabase(filePath: string): SqliteDatabase.Database {
  mkdirSync(dirname(filePath), { recursive: true });
  const raw = new SqliteDatabase(filePath);
  raw.pragma('journal_mode = WAL');
  raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  raw.pragma('foreign_keys = ON');
  // NORMAL in WAL mode: durable against process crashes, may lose the last commits on power loss.
  raw.pragma('synchronous = NORMAL');
  return raw;
}

export async function createSqliteStore(options: { filePath: string; secretBox: SecretBox }): Promise<Store> {
  const raw = openDatabase(options.filePath);
  const db = new Kysely<Database>({ dialect: new LockingSqliteDialect(raw) });
  const wakeups = new EventEmitter();
  // Prepared once (after migrate() made the table): ingestion inserts each row with one call
  // into SQLite, with no SQL to compile.
  let insertResult: SqliteDatabase.Statement | null = null;
  let closed = false;

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
    transaction: (work) =>
      db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const result = await work(conn);
          await sql`commit`.execute(conn);
          return result;
        } catch (error) {
          await rollback(conn);
          throw error;
        }
      }),
    async insertResultRows(_trx, target, rows) {
      // Called inside ops.transaction, which holds the connection: these synchronous
      // statements run on it, inside the open transaction.
      insertResult ??= raw.prepare(
        'INSERT INTO results (run_seq, squid_seq, ingest_seq, is_unique, row_hash, hash_key, scraping_time, data) VALUES (?, ?, ?, 0, ?, ?, ?, ?)',
      );
      let first = Number.MAX_SAFE_INTEGER;
      let last = 0;
      for (const row of rows) {
        const { lastInsertRowid } = insertResult.run(target.runSeq, target.squidSeq, target.ingestSeq, row.rowHash, toHashKey(row.rowHash), row.scrapingTimeMs, row.data);
        const seq = Number(lastInsertRowid);
        if (seq < first) first = seq;
        if (seq > last) last = seq;
      }
      return { first, last };
    },
    publishIngestRows: publishRowsInTwoSteps,
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
    migrate: () => runMigrations(db, rollback),
    async close() {
      if (closed) return;
      closed = true;
      wakeups.removeAllListeners();
      await db.destroy();
    },
  };
  return createKyselyStore(ops, options.secretBox);
}
