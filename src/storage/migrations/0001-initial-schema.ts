// The first schema, written with Kysely's schema builder so that SQLite and PostgreSQL get the
// same tables: TEXT ids, BIGINT epoch milliseconds, INTEGER 0/1 booleans. The dialect
// differences: the `seq` column (an auto-assigned creation order, behind addSeqColumn) and
// SQLite's WITHOUT ROWID for run_hashes.
import { PostgresAdapter, sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';

// Migrations work on any database, so they take Kysely<any> as Kysely's own docs advise.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type TableBuilder = CreateTableBuilder<any, any>;

function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** SQLite: INTEGER PRIMARY KEY is the rowid (max + 1). PostgreSQL: a BIGINT identity. */
function addSeqColumn(db: AnyDb, table: TableBuilder): TableBuilder {
  if (isPostgres(db)) {
    return table.addColumn('seq', 'bigint', (col) => col.primaryKey().generatedByDefaultAsIdentity());
  }
  return table.addColumn('seq', 'integer', (col) => col.primaryKey());
}

async function createAccountTables(db: AnyDb): Promise<void> {
  await addSeqColumn(db, db.schema.createTable('accounts'))
    .addColumn('id', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('accounts_name').on('accounts').columns(['name']).execute();
  await db.schema
    .createTable('api_tokens')
    .addColumn('token_hash', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();
}

async function createSquidTables(db: AnyDb): Promise<void> {
  await addSeqColumn(db, db.schema.createTable('squids'))
    .addColumn('id', 'text', (col) => col.notNull().unique())
    .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('crawler_id', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('is_active', 'integer', (col) => col.notNull())
    .addColumn('export_unique_results', 'integer', (col) => col.notNull())
    .addColumn('no_line_breaks', 'integer', (col) => col.notNull())
    .addColumn('concurrency', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addUniqueConstraint('squids_account_name', ['account_id', 'name'])
    .execute();
  await db.schema
    .createTable('destinations')
    .addColumn('squid_id', 'text', (col) => col.notNull().references('squids.id').onDelete('cascade'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('is_active', 'integer', (col) => col.notNull())
    .addColumn('config', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('destinations_pk', ['squid_id', 'kind'])
    .execute();
}

async function createRunTables(db: AnyDb): Promise<void> {
  await addSeqColumn(db, db.schema.createTable('runs'))
    .addColumn('id', 'text', (col) => col.notNull().unique())
    .addColumn('squid_id', 'text', (col) => col.notNull().references('squids.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('origin', 'text', (col) => col.notNull())
    .addColumn('total_results', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('total_unique_results', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('started_at', 'bigint', (col) => col.notNull())
    .addColumn('ended_at', 'bigint')
    .addColumn('end_reason', 'text')
    .addColumn('done_reason', 'text')
    .addColumn('export_done', 'integer')
    .addColumn('export_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('export_time', 'bigint')
    .addColumn('export_file_name', 'text')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('runs_squid_seq').on('runs').columns(['squid_id', 'seq']).execute();
  await db.schema
    .createTable('run_columns')
    .addColumn('run_id', 'text', (col) => col.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('position', 'integer', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('run_columns_pk', ['run_id', 'position'])
    .execute();
}

async function createResultTables(db: AnyDb): Promise<void> {
  await addSeqColumn(db, db.schema.createTable('ingests'))
    .addColumn('id', 'text', (col) => col.notNull().unique())
    .addColumn('run_id', 'text', (col) => col.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('first_result_seq', 'bigint')
    .addColumn('last_result_seq', 'bigint')
    .addColumn('row_count', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('ingests_run').on('ingests').columns(['run_id']).execute();
  await db.schema.createIndex('ingests_status_created').on('ingests').columns(['status', 'created_at']).execute();
  // Integer keys (the runs', squids' and ingests' seq) instead of 32-character ids keep every
  // index entry small: with text ids, inserting rows was three times slower. No foreign key
  // either: PostgreSQL checks one per inserted row, which doubled the insert time; deleteSquid
  // deletes the squid's results itself. A row is visible once its ingest is committed, and a
  // commit never rewrites its rows (see kysely/result-visibility.ts). Both indexes grow at
  // their end only (seq is push order), so appending rows touches few pages.
  await addSeqColumn(db, db.schema.createTable('results'))
    .addColumn('run_seq', 'bigint', (col) => col.notNull())
    .addColumn('squid_seq', 'bigint', (col) => col.notNull())
    .addColumn('ingest_seq', 'bigint', (col) => col.notNull())
    .addColumn('row_hash', 'text', (col) => col.notNull())
    .addColumn('hash_key', 'bigint', (col) => col.notNull())
    .addColumn('scraping_time', 'bigint', (col) => col.notNull())
    .addColumn('data', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('results_run_seq').on('results').columns(['run_seq', 'seq']).execute();
  await db.schema.createIndex('results_squid_seq').on('results').columns(['squid_seq', 'seq']).execute();
  // One entry per distinct row_hash among a run's committed rows: the row that brought it
  // first. Filled at commit (in key order, so each page is written once per commit), it counts
  // the unique rows and picks them for unique exports. Integers only, so that entries stay
  // small (a commit of a small ingest writes one page per new hash once the table is large):
  // the 52-bit hash_key is compared first, the full row_hash of first_seq's row only on a match.
  // SQLite: WITHOUT ROWID stores the table as its primary-key b-tree, one structure instead of two.
  await db.schema
    .createTable('run_hashes')
    .addColumn('run_seq', 'bigint', (col) => col.notNull())
    .addColumn('hash_key', 'bigint', (col) => col.notNull())
    .addColumn('first_seq', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('run_hashes_pk', ['run_seq', 'hash_key', 'first_seq'])
    .$call((table) => (isPostgres(db) ? table : table.modifyEnd(sql`without rowid`)))
    .execute();
}

async function createDeliveryTables(db: AnyDb): Promise<void> {
  await addSeqColumn(db, db.schema.createTable('deliveries'))
    .addColumn('id', 'text', (col) => col.notNull().unique())
    .addColumn('run_id', 'text', (col) => col.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('squid_id', 'text', (col) => col.notNull())
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('round', 'integer', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('config', 'text', (col) => col.notNull())
    .addColumn('object_key', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (col) => col.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('finished_at', 'bigint')
    .addUniqueConstraint('deliveries_run_kind_round', ['run_id', 'kind', 'round'])
    .execute();
  await db.schema.createIndex('deliveries_status_due').on('deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema
    .createTable('delivery_attempts')
    .addColumn('delivery_id', 'text', (col) => col.notNull().references('deliveries.id').onDelete('cascade'))
    .addColumn('number', 'integer', (col) => col.notNull())
    .addColumn('worker_id', 'text', (col) => col.notNull())
    .addColumn('started_at', 'bigint', (col) => col.notNull())
    .addColumn('ended_at', 'bigint')
    .addColumn('outcome', 'text')
    .addColumn('error', 'text')
    .addColumn('rows', 'bigint')
    .addColumn('bytes', 'bigint')
    .addColumn('object_key', 'text', (col) => col.notNull())
    .addColumn('etag', 'text')
    .addPrimaryKeyConstraint('delivery_attempts_pk', ['delivery_id', 'number'])
    .execute();
}

export const initialSchema: Migration = {
  async up(db) {
    await createAccountTables(db);
    await createSquidTables(db);
    await createRunTables(db);
    await createResultTables(db);
    await createDeliveryTables(db);
  },
  async down(db) {
    for (const table of ['delivery_attempts', 'deliveries', 'run_hashes', 'results', 'ingests', 'run_columns', 'runs', 'destinations', 'squids', 'api_tokens', 'accounts']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
