// The queue apart from the work: a delivery job is (run, kind, event, round) with a nullable
// target. `event` is new (existing rows: 'file', the run's export file); `object_key` becomes
// `target`, nullable, on deliveries and attempts. PostgreSQL alters the tables in place; SQLite
// cannot drop a NOT NULL, so it rebuilds both tables (children first, see rebuildSqlite).
import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const DELIVERY_COLUMNS = [
  'seq', 'id', 'run_id', 'squid_id', 'account_id', 'kind', 'round', 'status', 'config', 'attempts',
  'next_attempt_at', 'locked_by', 'locked_until', 'last_error', 'created_at', 'finished_at',
];
const ATTEMPT_COLUMNS = ['delivery_id', 'number', 'worker_id', 'started_at', 'ended_at', 'outcome', 'error', 'rows', 'bytes', 'etag'];

async function alterPostgres(db: AnyDb): Promise<void> {
  await sql`alter table deliveries add column event text not null default 'file'`.execute(db);
  await sql`alter table deliveries alter column event drop default`.execute(db);
  await sql`alter table deliveries rename column object_key to target`.execute(db);
  await sql`alter table deliveries alter column target drop not null`.execute(db);
  await sql`alter table deliveries drop constraint deliveries_run_kind_round`.execute(db);
  await sql`alter table deliveries add constraint deliveries_run_kind_event_round unique (run_id, kind, event, round)`.execute(db);
  await sql`alter table delivery_attempts rename column object_key to target`.execute(db);
  await sql`alter table delivery_attempts alter column target drop not null`.execute(db);
}

/**
 * New tables beside the old ones, rows copied, old ones dropped, new ones renamed. The attempts
 * move first: dropping `deliveries` while attempts still referenced it would cascade-delete them
 * (foreign keys are on, and cannot be turned off inside the migration's transaction). Renaming
 * `deliveries_next` rewrites the attempts' reference to it.
 */
async function rebuildSqlite(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('deliveries_next')
    .addColumn('seq', 'integer', (col) => col.primaryKey())
    .addColumn('id', 'text', (col) => col.notNull().unique())
    .addColumn('run_id', 'text', (col) => col.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('squid_id', 'text', (col) => col.notNull())
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('event', 'text', (col) => col.notNull())
    .addColumn('round', 'integer', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('config', 'text', (col) => col.notNull())
    .addColumn('target', 'text')
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (col) => col.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('finished_at', 'bigint')
    .addUniqueConstraint('deliveries_run_kind_event_round', ['run_id', 'kind', 'event', 'round'])
    .execute();
  const deliveryColumns = sql.join(DELIVERY_COLUMNS.map((column) => sql.ref(column)));
  await sql`insert into deliveries_next (${deliveryColumns}, event, target) select ${deliveryColumns}, 'file', object_key from deliveries`.execute(db);
  await db.schema
    .createTable('delivery_attempts_next')
    .addColumn('delivery_id', 'text', (col) => col.notNull().references('deliveries_next.id').onDelete('cascade'))
    .addColumn('number', 'integer', (col) => col.notNull())
    .addColumn('worker_id', 'text', (col) => col.notNull())
    .addColumn('started_at', 'bigint', (col) => col.notNull())
    .addColumn('ended_at', 'bigint')
    .addColumn('outcome', 'text')
    .addColumn('error', 'text')
    .addColumn('rows', 'bigint')
    .addColumn('bytes', 'bigint')
    .addColumn('target', 'text')
    .addColumn('etag', 'text')
    .addPrimaryKeyConstraint('delivery_attempts_next_pk', ['delivery_id', 'number'])
    .execute();
  const attemptColumns = sql.join(ATTEMPT_COLUMNS.map((column) => sql.ref(column)));
  await sql`insert into delivery_attempts_next (${attemptColumns}, target) select ${attemptColumns}, object_key from delivery_attempts`.execute(db);
  await db.schema.dropTable('delivery_attempts').execute();
  await db.schema.dropTable('deliveries').execute();
  await db.schema.alterTable('deliveries_next').renameTo('deliveries').execute();
  await db.schema.alterTable('delivery_attempts_next').renameTo('delivery_attempts').execute();
  await db.schema.createIndex('deliveries_status_due').on('deliveries').columns(['status', 'next_attempt_at']).execute();
}

export const deliveryJobs: Migration = {
  async up(db) {
    if (db.getExecutor().adapter instanceof PostgresAdapter) await alterPostgres(db);
    else await rebuildSqlite(db);
  },
};
