// What lets a running server clean up after a process that died mid-way (issue 15, item 5):
// - ingests get `heartbeat_at`, which the process that owns an open ingest touches while its
//   request is alive; the sweeper discards ingests whose heartbeat stopped (existing ingests
//   start with their creation time). Indexed with the status, as the sweeper asks.
// - `delivery_open_writes`: what a delivery attempt opened at its destination and has not
//   closed yet (S3: a multipart upload), as the channel's own JSON, so that a later attempt of
//   the job or the worker's sweeper can close it after a crash. Gone with its job.
import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export const orphanCleanup: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('ingests').addColumn('heartbeat_at', 'bigint', (col) => col.notNull().defaultTo(0)).execute();
    await db.updateTable('ingests').set((eb) => ({ heartbeat_at: eb.ref('created_at') })).execute();
    await db.schema.createIndex('ingests_status_heartbeat').on('ingests').columns(['status', 'heartbeat_at']).execute();
    await db.schema
      .createTable('delivery_open_writes')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('delivery_id', 'text', (col) => col.notNull().references('deliveries.id').onDelete('cascade'))
      .addColumn('attempt', 'integer', (col) => col.notNull())
      .addColumn('ref', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('delivery_open_writes_delivery').on('delivery_open_writes').columns(['delivery_id']).execute();
  },
};
