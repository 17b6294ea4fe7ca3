// Deleting a squid no longer deletes its rows in the request: `deleted_at` marks it deleted (every
// read leaves it out from then on, and its name is given up at once) and is the purge queue that
// survives a restart: a purger deletes the squid's results, run hashes and ingests in bounded
// batches, then the squid row itself (its runs and the rest go by ON DELETE CASCADE). Until then
// the squid and run rows hold their `seq`s, which results and run hashes reference: SQLite would
// hand a deleted row's seq (when it was the highest) to the next squid or run, which would then
// see the purge's leftovers as its own.
import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('squids').addColumn('deleted_at', 'bigint').execute();
  await db.schema.createIndex('squids_deleted_at').on('squids').column('deleted_at').execute();
}

export const squidDeletion: Migration = { up };
